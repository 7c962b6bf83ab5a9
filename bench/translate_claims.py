"""Give a claim set the offline default model's own English forms, to measure retrieval as `verify run`
does it (claim + the model's translation), not with translations a person wrote:

    python bench/translate_claims.py seeds/eval/news_fr_claims.jsonl -o /tmp/news_fr.model_en.jsonl
    python bench/retrieval.py /tmp/news_fr.model_en.jsonl --sources seeds/eval/news/

Each non-English claim's `meta.claim_en` is replaced by the translation of `local` (Qwen 1.5B, the same
prompt and call the judge uses: verify/stance.py english_claim); the written one is kept as
`meta.claim_en_written`. Translations are cached with bench/offline_judge.py's cache, so a re-run is cheap.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from offline_judge import CachedProbe  # noqa: E402

from verify import stance  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", type=Path)
    ap.add_argument("-o", "--out", type=Path, required=True)
    args = ap.parse_args()
    probe, prompts = CachedProbe(n_threads=1), stance.StancePrompts.load()
    rows = [json.loads(line) for line in args.dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.perf_counter()
    for i, row in enumerate(rows, 1):
        meta = row.setdefault("meta", {})
        if "claim_en" in meta:
            meta["claim_en_written"] = meta["claim_en"]
        meta["claim_en"] = stance.english_claim(row["claim"], row.get("language", "en"), probe, prompts)
        print(f"[{i}/{len(rows)}] {meta['claim_en']}", file=sys.stderr, flush=True)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} claims translated in {time.perf_counter() - started:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
