"""Dashboard responsiveness in a real browser: `python bench/ui_browser.py [--claims 500] [--repeats 9]`.

Seeds a temp store with tests/report/factory.py's synthetic run (as bench/ui.py does), starts `verify ui`
on 127.0.0.1 and drives Debian's headless Chromium with Playwright on that run's page (1440x900). It
prints the median click-to-settled time for:

- decide + next: a click on Submit decision (Approve already chosen, or Needs more evidence on a failed
  verdict) until the next claim's form is on screen: the run finished and the page shows exactly one
  decision form, for another claim (target < 300 ms);
- changing the decision choice: a click on another Decision option until the app is idle again
  (target < 150 ms);
- for reference, a full page rerun (a search typed in the sidebar, then cleared).

"Settled" = Streamlit's server said the script run completed (a successful `script_finished` message on
the websocket, not one cut short for a rerun) and the browser then painted two frames; each step also checks the page shows what the click
should have produced. Times include the Playwright round trips (a few ms), so they are upper bounds.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.report.factory import synthetic_run  # noqa: E402  (the synthetic run bench/ui.py uses)
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy  # noqa: E402
from verify.review import decisions, events_for  # noqa: E402
from verify.store import Store  # noqa: E402

TARGETS = {"decide + next": 0.300, "change the decision choice": 0.150}
PAINTED = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


def script_finished(payload) -> bool:
    """A run that completed (not one cut short to rerun: a decision's callback reruns the review pane and
    the sidebar's count fragments in one run, which ends with one such message)."""
    if isinstance(payload, str):
        return False
    try:
        msg = ForwardMsg.FromString(payload)
    except Exception:  # noqa: BLE001 - a frame that is not a ForwardMsg is not the end of a run
        return False
    return msg.WhichOneof("type") == "script_finished" and msg.script_finished in DONE


class Page:
    """The run page with the websocket watched, so a click can be timed until its run finished."""

    def __init__(self, browser, url: str):
        self.page = browser.new_page(viewport={"width": 1440, "height": 900})
        self.page.set_default_timeout(60_000)
        self.sockets = []
        self.page.on("websocket", lambda socket: self.sockets.append(socket))
        self.page.goto(url)

    def settle(self) -> None:
        self.page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')")
        self.page.wait_for_timeout(400)

    def timed_click(self, selector: str, until: str | None = None, arg=None) -> float:
        """Seconds from a click on the element until its script run finished and was painted (and, with
        `until`, that script predicate holds on the page)."""
        return self.timed(lambda: self.page.locator(selector).first.evaluate("el => el.click()"), until, arg)

    def timed(self, action, until: str | None = None, arg=None) -> float:
        socket = self.sockets[-1]
        start = time.perf_counter()
        with socket.expect_event("framereceived", predicate=script_finished, timeout=60_000):
            action()
        if until:  # the browser may still be applying the run's updates when the last frame arrives
            self.page.wait_for_function(until, arg=arg, timeout=60_000)
        self.page.evaluate(PAINTED)
        return time.perf_counter() - start

    def deciding(self) -> str:
        return self.page.locator("text=/Decision for claim #\\d+/").first.inner_text()


# The next claim's form is on screen: one decision form only, for another claim than `before` (a number).
NEXT_FORM = """(before) => {
  const forms = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .map((e) => /^Decision for claim #(\\d+)/.exec(e.innerText)).filter(Boolean);
  return forms.length === 1 && Number(forms[0][1]) !== before;
}"""


def option(name: str) -> str:
    return f"[data-testid='stRadio']:has-text('Decision') label:has-text('{name}')"


def measure(page: Page, repeats: int, store: Store, run_id: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"decide + next": [], "change the decision choice": [],
                                   "full page rerun (a sidebar search)": []}
    for k in range(repeats):  # alternate two choices that keep Submit enabled: only the choice changes
        out["change the decision choice"].append(page.timed_click(option("Needs more evidence" if k % 2 == 0
                                                                         else "Reject")))
        page.settle()
    for _ in range(repeats):
        approve = page.page.locator(option("Approve"))  # not offered on a failed verdict
        (approve if approve.count() else page.page.locator(option("Needs more evidence"))).first.click()
        page.settle()
        before, events = page.deciding(), len(events_for(store, run_id=run_id))
        number = int(before.split("#")[1].split()[0])
        out["decide + next"].append(page.timed_click("button:has-text('Submit decision')", NEXT_FORM, number))
        after = page.deciding()
        if after == before or len(events_for(store, run_id=run_id)) != events + 1:
            page.page.screenshot(path="/tmp/ui_browser_failed.png")
            shown = page.page.locator("[data-testid='stAlert']").all_inner_texts()
            raise SystemExit(f"error: decide + next did not record one decision and open the next claim ({before!r}, "
                             f"now {after!r}, alerts {shown}); screenshot /tmp/ui_browser_failed.png")
        page.settle()
    search = page.page.get_by_role("textbox", name="Search claims")
    for k in range(repeats):  # a search that matches every synthetic claim, typed in and then cleared
        search.fill("" if k % 2 else "claim")
        out["full page rerun (a sidebar search)"].append(page.timed(lambda: search.press("Enter")))
        page.settle()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"error: no Chromium at {CHROMIUM}: apt-get install chromium (or set VERIFY_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "verify.db"
        store = Store(str(db))
        run_id = synthetic_run(store, n_claims=args.claims, hostile=False, run_id="r-bench", n_sources=200, k=5)
        reviewed = sum(d.state != "unreviewed" for d in decisions(store, run_id).values())
        print(f"seeded {args.claims} claims ({reviewed} reviewed)")
        port = free_port()
        verify_cmd = [shutil.which("verify")] if shutil.which("verify") else [sys.executable, "-m", "verify.cli"]
        with open(Path(tmp) / "ui.log", "wb") as log:
            server = subprocess.Popen(verify_cmd + ["ui", "--db", str(db), "--port", str(port)], stdout=log,
                                      stderr=subprocess.STDOUT, env=dict(os.environ))
            try:
                url = f"http://127.0.0.1:{port}"
                wait_healthy(url, server)
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    started = time.perf_counter()
                    page = Page(browser, f"{url}/?run={run_id}")
                    page.page.get_by_role("button", name="Submit decision").wait_for()
                    page.settle()
                    print(f"first load of the run page: {time.perf_counter() - started:.2f} s")
                    name = page.page.get_by_role("textbox", name="Reviewer")
                    name.fill("bench")
                    name.press("Enter")
                    page.settle()
                    results = measure(page, args.repeats, store, run_id)
                    browser.close()
            finally:
                server.terminate()
                server.wait(timeout=10)
    report(results)


def report(results: dict[str, list[float]]) -> None:
    met = True
    for name, values in results.items():
        median = statistics.median(values)
        target = TARGETS.get(name)
        verdict = "" if target is None else f"  target < {target * 1000:.0f} ms: {'met' if median < target else 'NOT met'}"
        met = met and (target is None or median < target)
        print(f"{name:36s} median {median * 1000:4.0f} ms  (min {min(values) * 1000:.0f}, max "
              f"{max(values) * 1000:.0f}, n={len(values)}){verdict}")
    print("all targets met" if met else "some targets NOT met")


if __name__ == "__main__":
    main()
