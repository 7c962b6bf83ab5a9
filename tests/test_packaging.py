"""The wheel is the whole product (issue 13): built from a copy of the project and installed into a fresh
virtualenv outside the checkout, `verify run` judges an article and `verify ui` serves the dashboard.

The virtualenv sees this environment's site-packages (torch, llama-cpp, ...) so nothing heavy is
reinstalled; `verify` itself comes from the wheel, which the first test checks.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, SEED_SOURCES
from tests.faults.conftest import is_extraction
from tests.fakes import extraction_reply, judge_reply
from tests.openai_server import Behaviour, OpenAICompatibleServer
from verify.store import Store

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(300)]

ROOT = Path(__file__).resolve().parent.parent
BUILD_INPUTS = ["pyproject.toml", "README.md", "verify", "prompts", "ui"]  # what setuptools reads to build


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv outside the checkout with the wheel built from this checkout installed; its bin/ folder."""
    work = tmp_path_factory.mktemp("packaging")
    wheel = build_wheel(work)
    env_dir = work / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=False)
    python = env_dir / "bin" / "python"
    if sys.prefix != sys.base_prefix:  # inside a virtualenv, "system" means the base interpreter: add ours
        purelib = run_ok([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip()
        lines = [f"import site; site.addsitedir({path!r})" for path in site.getsitepackages()]
        Path(purelib, "_outer_env.pth").write_text("\n".join(lines) + "\n")
    # --force-reinstall: the checkout's editable install is visible through the shared site-packages.
    run_ok([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--force-reinstall",
            str(wheel)])
    return env_dir / "bin"


def build_wheel(work: Path) -> Path:
    """Build from a copy, so the checkout gets no build/ or egg-info and no stale file sneaks in."""
    src = work / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    src.mkdir()
    for name in BUILD_INPUTS:
        (shutil.copytree(ROOT / name, src / name, ignore=ignore) if (ROOT / name).is_dir()
         else shutil.copy(ROOT / name, src / name))
    run_ok([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-cache-dir",
            "-w", str(work / "dist"), str(src)])
    return next((work / "dist").glob("verify-*.whl"))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERIFY_") and k != "PYTHONPATH"}
    return dict(env, **extra)


def run_ok(argv: list[str], cwd: Path | None = None, **env: str) -> str:
    result = subprocess.run(argv, cwd=cwd, env=clean_env(**env), capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, f"{argv[:3]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_wheel_carries_its_files_inside_the_package_only(installed, tmp_path):
    python = str(installed / "python")
    where = run_ok([python, "-c", "import sysconfig, verify; print(verify.__file__); print(sysconfig.get_path('purelib'))"],
                   cwd=tmp_path).split()
    package, purelib = Path(where[0]).parent, Path(where[1])
    assert package == purelib / "verify", f"verify was imported from {package}, not from the wheel"
    assert (package / "schemas" / "report.schema.json").is_file()
    # No generic top-level names in site-packages: they would clash with other distributions.
    assert not (purelib / "ui").exists() and not (purelib / "prompts").exists()
    # Every subpackage of the checkout is in the wheel (the package list in pyproject.toml is explicit).
    source = Path(__file__).resolve().parent.parent / "verify"
    subpackages = sorted(str(d.relative_to(source)) for d in source.rglob("*") if (d / "__init__.py").is_file())
    missing = [name for name in subpackages if not (package / name / "__init__.py").is_file()]
    assert not missing, f"subpackages left out of the wheel (add them to pyproject.toml): {missing}"


def one_claim_supported(request: dict) -> Behaviour:
    if is_extraction(request):
        return Behaviour(extraction_reply(SEED_CLAIMS[0][:3]))
    return Behaviour(judge_reply("SUPPORTED", ["S1"]))


def test_verify_run_from_the_installed_wheel_stores_a_verdict(installed, tmp_path):
    article = shutil.copy(SEED_ARTICLE, tmp_path / "article.txt")
    (tmp_path / "sources").mkdir()
    shutil.copy(SEED_SOURCES / "reuters-witkoff-putin-meeting.md", tmp_path / "sources")
    db = tmp_path / "verify.db"
    with OpenAICompatibleServer(one_claim_supported) as server:
        out = run_ok([str(installed / "verify"), "run", str(article), "--sources", str(tmp_path / "sources"),
                      "--model", "m", "--base-url", server.base_url, "--embedder", "hash", "--db", str(db),
                      "--vectorstore", str(tmp_path / "vs")], cwd=tmp_path)
    run_id = re.search(r"Run (r\S+)", out).group(1)
    verdicts = Store(db).get_verdicts(run_id)
    assert [v.label for v in verdicts.values()] == ["SUPPORTED"], out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_verify_ui_from_the_installed_wheel_serves_the_dashboard(installed, tmp_path):
    Store(tmp_path / "verify.db")  # an empty store: the dashboard opens an existing one
    port = free_port()
    server = subprocess.Popen([str(installed / "verify"), "ui", "--db", str(tmp_path / "verify.db"), "--port", str(port)],
                              cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_healthy(server, f"http://127.0.0.1:{port}/_stcore/health", timeout_s=120)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert f"http://127.0.0.1:{port}" in output
    # The health check only says Streamlit is up; the page itself must import its modules from the wheel.
    script = ("from streamlit.testing.v1 import AppTest; from verify.resources import DASHBOARD_APP as app; "
              "at = AppTest.from_file(str(app), default_timeout=60).run(); "
              "assert not at.exception, [e.value for e in at.exception]; print(app)")
    app = run_ok([str(installed / "python"), "-c", script], cwd=tmp_path, VERIFY_DB=str(tmp_path / "verify.db"))
    assert Path(app.strip()).is_relative_to(installed.parent), app


def wait_healthy(server: subprocess.Popen, url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.poll() is None, f"verify ui exited with {server.returncode}:\n{server.communicate()[0]}"
        try:
            if httpx.get(url, timeout=2).text == "ok":
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    return False
