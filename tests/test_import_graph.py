"""Issue 13 item 4: the dashboard loads no model code, and all SQL lives in the store layer.

Opening the dashboard used to import LangChain (verify/store.py imported verify/llm.py for its call
records), and the dashboard, the report and review.py each ran their own SQL.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORE_LAYER = ROOT / "verify" / "store"

# Top-level packages (and verify's own model modules) the dashboard must never load.
MODEL_CODE = ("langchain", "langchain_core", "langchain_openai", "langchain_community", "openai", "llama_cpp",
              "torch", "transformers", "sentence_transformers", "chromadb",
              "verify.llm", "verify.structured", "verify.backends", "verify.embed", "verify.vectorstore")

# Files outside verify/store/ allowed to talk SQLite, each with its reason. They read Chroma's
# own database file, not verify's store.
SQLITE_EXCEPTIONS = {
    "verify/chroma_internals.py": "reads the library version from Chroma's own chroma.sqlite3: no public API gives it "
                                  "(issue 13 item 5)",
}
# SQL as this project writes it (keywords in capitals), not English ("Drop the collection ...").
SQL_TEXT = re.compile(r"^\s*(SELECT .+ FROM|INSERT (OR \w+ )?INTO|UPDATE \w+ SET|DELETE FROM|CREATE (TABLE|INDEX)|"
                      r"ALTER TABLE|DROP (TABLE|INDEX)|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b")


def dashboard_modules() -> list[str]:
    """What ui/app.py imports (read from its source, so the test follows the app), and every report
    module, since the report is built inside the dashboard when a reviewer downloads it."""
    tree = ast.parse((ROOT / "ui" / "app.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("ui", "verify"):
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "ui")
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] in ("ui", "verify"))
    names.update(f"verify.{p.stem}" for p in (ROOT / "verify").glob("report*.py"))
    return sorted(names | {"verify.review", "verify.store"})


def test_the_dashboard_imports_no_model_code():
    modules = dashboard_modules()
    assert {"ui.state", "ui.export", "verify.review"} <= set(modules)
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    pulled = sorted(m for m in loaded if any(m == bad or m.startswith(bad + ".") for bad in MODEL_CODE))
    assert pulled == [], f"importing the dashboard loads model code: {pulled[:10]}"


def sources() -> list[Path]:
    return sorted(p for folder in ("verify", "ui") for p in (ROOT / folder).rglob("*.py"))


def outside_store(path: Path) -> bool:
    return STORE_LAYER not in path.parents and path.relative_to(ROOT).as_posix() not in SQLITE_EXCEPTIONS


def test_only_the_store_layer_imports_sqlite():
    offenders = []
    for path in filter(outside_store, sources()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                          if name.split(".")[0] in ("sqlite3", "sqlalchemy")]
    assert offenders == []


def test_no_sql_text_outside_the_store_layer():
    """A query written anywhere else (`store.query("SELECT ...")`) is caught by its text."""
    offenders = []
    for path in filter(outside_store, sources()):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.match(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]}")
    assert offenders == []
