"""Dashboard render time on a synthetic 500-claim run: `python bench/ui.py [--claims 500] [--reruns 7]`.

Seeds a temp store with tests/report/factory.py's synthetic run (the one bench/report.py uses: article,
run, claims with spans, five evidence passages per claim, verdicts with citations, some failed, review
events on three claims in four), then drives ui/app.py headless with Streamlit's
AppTest on that run's page (article view + claim panel) and prints the median time per rerun for:
a plain rerun, moving the focus to another claim, and a rerun after someone else's new decision
(which invalidates the decision cache), and approving the focused claim in the UI. Target: under 2 s per rerun.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

# AppTest drives the script from the main thread, which Streamlit reports as a harmless warning.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

from tests.report.factory import synthetic_run  # noqa: E402  (the same synthetic run bench/report.py uses)
from verify.review import decide, decisions  # noqa: E402
from verify.store import Store  # noqa: E402


def timed(action) -> float:
    start = time.perf_counter()
    at = action()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"the app raised: {[e.value for e in at.exception]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--reruns", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VERIFY_DB"] = str(Path(tmp) / "verify.db")
        store = Store(os.environ["VERIFY_DB"])
        t0 = time.perf_counter()
        run_id = synthetic_run(store, n_claims=args.claims, hostile=False, run_id="r-bench", n_sources=200, k=5)
        states = {cid: d.state for cid, d in decisions(store, run_id).items()}
        reviewed = sum(state != "unreviewed" for state in states.values())
        print(f"seeded {args.claims} claims ({reviewed} reviewed) in {time.perf_counter() - t0:.1f} s")
        at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=120)
        at.query_params["run"] = run_id
        at.session_state["reviewer"] = "bench"
        first = timed(at.run)
        plain = [timed(at.run) for _ in range(args.reruns)]
        ids = list(states)
        focus = [timed(at.selectbox(key="claim_select").set_value(ids[(k * 97) % args.claims]).run)
                 for k in range(args.reruns)]
        view_verdicts = store.get_verdicts(run_id)
        open_ok = [cid for cid in ids[args.claims // 2:]
                   if states[cid] == "unreviewed" and cid in view_verdicts and view_verdicts[cid].status == "ok"]
        after_event = []
        for cid in open_ok[: args.reruns]:
            decide(store, run_id=run_id, claim_id=cid, reviewer="other", action="approve",
                   machine_verdict=view_verdicts[cid])
            after_event.append(timed(at.run))
        submit = []
        for _ in range(args.reruns):
            cid = at.selectbox(key="claim_select").value
            submit.append(timed(at.button(key=f"submit_{cid}").click().run))
        html_kb = sum(len(h.value) for h in at.get("html")) / 1024
    print(f"first render (cold caches): {first:.2f} s")
    runs = (("plain rerun", plain), ("focus another claim", focus),
            ("rerun after someone else's decision", after_event), ("approve in the UI (+ next claim)", submit))
    for name, values in runs:
        print(f"{name:37s} median {statistics.median(values):.3f} s  (min {min(values):.3f}, max {max(values):.3f}, "
              f"n={len(values)})")
    worst = max(statistics.median(values) for _, values in runs)
    print(f"page HTML {html_kb:.0f} KiB; target < 2 s per rerun: {'met' if worst < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
