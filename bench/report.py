"""Export time of the citation report for a synthetic 500-claim run (target: under 2 s per format).

    python bench/report.py [--claims 500] [--repeat 3]

The run is written through the real Store API into a temporary SQLite file: 500 claims anchored on
article sentences, 5 evidence passages each from a 200-source library, verdicts with 1-2 citations
(every 7th failed, the last claim unjudged) and review events for three claims in four. Each figure
is the full `render_report` call the CLI and dashboard make (store reads + build + render), median
of the repeats.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the synthetic-run factory lives with the report tests

from tests.report.factory import synthetic_run  # noqa: E402
from verify.report import FORMATS, build_report, render_report  # noqa: E402
from verify.store import Store  # noqa: E402

TARGET_S = 2.0


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        start = time.perf_counter()
        run_id = synthetic_run(store, n_claims=args.claims, hostile=False, n_sources=200, k=5)
        print(f"seeded {args.claims} claims in {time.perf_counter() - start:.1f} s "
              f"({platform.machine()}, {platform.python_version()})")
        build_s, report = timed(lambda: build_report(store, run_id), args.repeat)
        print(f"{'build only':<12} {build_s:6.3f} s  ({len(report.claims)} claims, "
              f"{len(report.bibliography)} cited sources)")
        failures = 0
        for fmt in FORMATS:
            seconds, data = timed(lambda: render_report(store, run_id, fmt), args.repeat)
            verdict = "ok" if seconds < TARGET_S else "SLOW"
            failures += verdict != "ok"
            print(f"{fmt:<12} {seconds:6.3f} s  {len(data) / 1024:8.0f} KiB  {verdict}")
        store.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
