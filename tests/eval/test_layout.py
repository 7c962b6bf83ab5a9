"""Evaluation is one package whose modules import each other one way (issue 13, item 7)."""

import ast
import importlib.util
from pathlib import Path

import verify.evaluation

PACKAGE = Path(verify.evaluation.__file__).parent


def sibling_imports(path: Path) -> set[str]:
    """Modules of verify/evaluation/ that a file imports, TYPE_CHECKING blocks included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("verify.evaluation."):
            found.add(node.module.rsplit(".", 1)[1])
    return found


def test_evaluation_modules_import_each_other_without_a_cycle():
    graph = {p.stem: sibling_imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert {"dataset", "run", "metrics", "report"} <= set(graph)

    def reaches(start: str, target: str, seen: frozenset = frozenset()) -> bool:
        return any(n == target or (n not in seen and reaches(n, target, seen | {n})) for n in graph.get(start, ()))

    assert [m for m in graph if reaches(m, m)] == []
    assert "run" not in graph["report"] | graph["dataset"] | graph["metrics"]


def test_the_old_top_level_eval_modules_are_gone():
    for name in ("evaluate", "evalreport", "evalset", "metrics"):
        assert importlib.util.find_spec(f"verify.{name}") is None, name
