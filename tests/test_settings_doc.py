"""Every setting is read in one place and documented: the README's configuration table names each
environment variable, and no module but verify/config.py reads a VERIFY_* variable itself (issue 13)."""

import ast
from pathlib import Path

import pytest

from verify.config import Settings, env_names

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_has_its_variables_in_the_readme():
    missing = [name for field in Settings.model_fields for name in env_names(field) if f"`{name}`" not in README]
    assert not missing, f"settings read from the environment but not documented in README.md: {missing}"


def _reads_verify_variable(node: ast.AST) -> bool:
    """os.environ.get("VERIFY_..."), os.getenv("VERIFY_..."), os.environ["VERIFY_..."]."""
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        name = ast.unparse(node.func)
        return name in {"os.environ.get", "os.getenv", "environ.get", "getenv"} and \
            str(node.args[0].value).startswith("VERIFY_")
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return ast.unparse(node.value) in {"os.environ", "environ"} and str(node.slice.value).startswith("VERIFY_")
    return False


def test_only_config_reads_verify_variables():
    offenders = []
    for path in [*ROOT.joinpath("verify").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py")]:
        if path.name == "config.py" and path.parent.name == "verify":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree) if _reads_verify_variable(n)]
    assert not offenders, f"read VERIFY_* through verify.config instead: {offenders}"


def test_one_setting_read_below_the_commands_is_checked_by_its_variable(monkeypatch):
    from verify.config import env_setting
    from verify.errors import ConfigError

    monkeypatch.setenv("VERIFY_EMBED_THREADS", "")
    assert env_setting("embed_threads") is None  # empty counts as unset
    monkeypatch.setenv("VERIFY_EMBED_THREADS", "3")
    assert env_setting("embed_threads") == 3
    monkeypatch.setenv("VERIFY_EMBED_THREADS", "0")
    with pytest.raises(ConfigError, match="VERIFY_EMBED_THREADS='0' is not valid"):
        env_setting("embed_threads")
    monkeypatch.delenv("VERIFY_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert env_setting("base_url") == "http://127.0.0.1:9/v1"  # the field's second variable
