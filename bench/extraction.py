"""Extraction: extractive vs abstractive, against the 20 gold claims of the seed article (issue 12).

    nice -n 5 python bench/extraction.py                       # local:qwen, both modes
    nice -n 5 python bench/extraction.py --model local --modes extractive

Each mode extracts the claims of seeds/articles/trump-poutine-koursk.fr.txt through the product's own
extraction stage (`Pipeline.extract`: the mode's prompt, windows, anchoring, de-duplication, and the English
forms local:qwen adds), into bench/.cache/extraction.db, whose call log is the reply cache: a re-run asks the
model nothing it has asked before. The claims are compared with seed:001..seed:020 of
seeds/eval/seed_claims.jsonl (the 20 claims the real article makes; `meta.claim_en` is their English form)
by the claim memory's matcher (verify/memory.py: USE cosine over text and English form, threshold chosen on
seeds/eval/claim_pairs.jsonl, and no disagreement of figures, dates, names or negation). Per mode:

- claims: how many the mode stored;
- recall: share of the 20 gold claims matched by at least one extracted claim;
- precision: share of extracted claims that match some gold claim;
- exact: share of extracted claims anchored exactly (anchor == "exact");
- dup_gold: extracted claims that match a gold claim another extracted claim also matches;
- dup_pairs: pairs of extracted claims the matcher says are the same claim;
- wall time of the stage (model load excluded) and the machine's load (`uptime`) before and after.

Then the first article sentences no extracted claim's span touches (the opening paragraph was never
extracted when the issue-11 reviewer looked).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verify.memory import THRESHOLD, ClaimText, is_match, similarities  # noqa: E402

ARTICLE = ROOT / "seeds" / "articles" / "trump-poutine-koursk.fr.txt"
GOLD = ROOT / "seeds" / "eval" / "seed_claims.jsonl"
GOLD_IDS = [f"seed:{i:03d}" for i in range(1, 21)]  # the claims the real article makes (seeds/README.md)
CACHE = ROOT / "bench" / ".cache"
MODES = ("extractive", "abstractive")
COLUMNS = ["mode", "claims", "recall", "precision", "exact", "dup_gold", "dup_pairs", "wall_s", "load_before",
           "load_after"]


@dataclass(frozen=True)
class Metrics:
    claims: int
    recall: float
    precision: float
    exact: float
    dup_gold: int
    dup_pairs: int
    missed: list[int]  # indices of the gold claims no extracted claim matches


def load_gold(path: Path = GOLD, ids: list[str] = GOLD_IDS) -> list[tuple[str, ClaimText]]:
    rows = {row["id"]: row for row in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if row}
    return [(i, ClaimText(rows[i]["claim"], rows[i]["meta"].get("claim_en", ""), rows[i]["language"])) for i in ids]


def match_matrix(embedder, a: list[ClaimText], b: list[ClaimText], threshold: float = THRESHOLD) -> list[list[bool]]:
    """a x b: does the claim memory's matcher say a[i] and b[j] are the same claim."""
    if not a or not b:
        return [[False] * len(b) for _ in a]
    scores = similarities(embedder, a, b)
    return [[is_match(float(scores[i, j]), a[i], b[j], threshold) for j in range(len(b))] for i in range(len(a))]


def metrics(to_gold: list[list[bool]], among: list[list[bool]], anchors: list[str], n_gold: int) -> Metrics:
    """The figures of one mode from its match matrices: extracted x gold, and extracted x extracted."""
    n = len(to_gold)
    matched_gold = [j for j in range(n_gold) if any(row[j] for row in to_gold)]
    shared = sum(any(to_gold[i][j] and to_gold[k][j] for j in range(n_gold) for k in range(n) if k != i)
                 for i in range(n))
    pairs = sum(among[i][k] for i in range(n) for k in range(i + 1, n))
    return Metrics(
        claims=n,
        recall=len(matched_gold) / n_gold if n_gold else 0.0,
        precision=sum(any(row) for row in to_gold) / n if n else 0.0,
        exact=sum(a == "exact" for a in anchors) / n if n else 0.0,
        dup_gold=shared,
        dup_pairs=pairs,
        missed=[j for j in range(n_gold) if j not in matched_gold],
    )


def uncovered(text: str, language: str, spans: list[tuple[int, int]]) -> list[str]:
    """The article's sentences, in order, that no claim span overlaps."""
    from verify.text import split_sentences

    return [" ".join(text[s:e].split()) for s, e in split_sentences(text, language)
            if not any(min(e, ce) > max(s, cs) for cs, ce in spans)]


def uptime() -> str:
    """The load averages (1, 5, 15 min), as `uptime` prints them."""
    line = subprocess.run(["uptime"], capture_output=True, text=True).stdout
    return line.rsplit("load average:", 1)[-1].strip().replace(",", "") if "load average" in line else "?"


def extract(spec: str, mode: str, chat, model_id: str, article_path: Path):
    """Claims of one mode through the pipeline's extraction stage; (claims, article, wall seconds, usage)."""
    from verify.config import Settings
    from verify.models import Run, utcnow
    from verify.pipeline import Pipeline, new_run_id, read_article

    settings = Settings(model=spec, extract_mode=mode, db_path=CACHE / "extraction.db", embedder="hash",
                        vectorstore=CACHE / "extraction-vectorstore", collection="extraction-bench")
    pipeline = Pipeline(settings, chat=chat, model_id=model_id)
    article = read_article(str(article_path), settings)
    pipeline.store.save_article(article)
    run = Run(id=new_run_id(), article_id=article.id, created_at=utcnow(), status="running",
              settings=pipeline.run_settings())
    pipeline.store.create_run(run)
    started = time.perf_counter()
    extraction = pipeline.extract(run, article, kept=[])
    wall = time.perf_counter() - started
    pipeline.store.finish_run(run.id, "done", {"bench": "extraction", "mode": mode})
    return extraction, article, wall


def report_mode(mode: str, extraction, article, wall: float, before: str, after: str, embedder,
                gold: list[tuple[str, ClaimText]], show: int) -> dict:
    claims = extraction.claims
    texts = [ClaimText(c.text, c.text_en, article.language) for c in claims]
    gold_texts = [g for _, g in gold]
    m = metrics(match_matrix(embedder, texts, gold_texts), match_matrix(embedder, texts, texts),
                [c.anchor for c in claims], len(gold))
    print(f"\n## {mode}: {m.claims} claims, {len(extraction.failures)} failed windows, "
          f"{extraction.usage.calls} model calls ({extraction.usage.cached_calls} from the cache)")
    for failure in extraction.failures:
        print(f"  failed: {failure}")
    for c in claims:
        print(f"  [{c.anchor}] {c.text[:110]!r}\n      en: {c.text_en[:110]!r}")
    print(f"  gold claims missed: {', '.join(gold[j][0] for j in m.missed) or 'none'}")
    lost = uncovered(article.text, article.language, [(c.span.start, c.span.end) for c in claims if c.span])
    print(f"  first article sentences no claim covers ({len(lost)} in all):")
    for sentence in lost[:show]:
        print(f"    - {sentence[:140]}")
    return {"mode": mode, "claims": m.claims, "recall": m.recall, "precision": m.precision, "exact": m.exact,
            "dup_gold": m.dup_gold, "dup_pairs": m.dup_pairs, "wall_s": round(wall, 1), "load_before": before,
            "load_after": after}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="local:qwen", help="model spec (default local:qwen)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--article", type=Path, default=ARTICLE)
    parser.add_argument("--embedder", default="use", help="the matcher's embedder (the claim memory uses `use`)")
    parser.add_argument("--show", type=int, default=5, help="uncovered sentences to print per mode")
    args = parser.parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    CACHE.mkdir(parents=True, exist_ok=True)

    from _shared import machine, table
    from verify.backends import build_chat_model
    from verify.config import Settings
    from verify.embed import build_embedder

    chat, model_id = build_chat_model(Settings(model=args.model))
    started = time.perf_counter()
    if hasattr(chat, "_client"):
        chat._client()  # load the weights now, so the first mode's time is extraction only
    print(f"{machine()}; model {model_id} loaded in {time.perf_counter() - started:.1f} s; "
          f"matcher {args.embedder} at {THRESHOLD} + lexical check")
    embedder, gold = build_embedder(args.embedder), load_gold()
    rows = []
    for mode in args.modes:
        before = uptime()
        extraction, article, wall = extract(args.model, mode, chat, model_id, args.article)
        rows.append(report_mode(mode, extraction, article, wall, before, uptime(), embedder, gold, args.show))
    print(f"\n{args.model} on {args.article.name}, {len(gold)} gold claims:\n")
    print(table(rows, COLUMNS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
