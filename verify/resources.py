"""Where the files that ship with verify are: the prompts and the dashboard.

In the source checkout (and an editable install, which runs it) prompts/ and ui/ sit beside the
package, as the repository layout asks. A wheel carries them inside the package instead, as
verify/_prompts and verify/_dashboard/ui (pyproject.toml maps them there), so that installing
verify puts no generic top-level `ui` or `prompts` into site-packages. (The report schema lives in
the package already: verify/schemas, shipped as package data.)
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def shipped(in_wheel: str, in_checkout: str) -> Path:
    """The folder inside the installed package when it is there, else the one beside the package."""
    inside = PACKAGE / in_wheel
    return inside if inside.is_dir() else PACKAGE.parent / in_checkout


PROMPTS_DIR = shipped("_prompts", "prompts")
# ui/app.py puts the folder above ui/ on sys.path, so its page modules import as `ui.*` in both layouts.
DASHBOARD_APP = shipped("_dashboard/ui", "ui") / "app.py"
