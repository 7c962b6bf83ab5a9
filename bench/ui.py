"""Dashboard render time on a synthetic 500-claim run: `python bench/ui.py [--claims 500] [--reruns 7]`.

Seeds a temp store through the Store API (article, run, claims with spans, five evidence passages per
claim, verdicts with citations, some review events), then drives ui/app.py headless with Streamlit's
AppTest on that run's page (article view + claim panel) and prints the median time per rerun for:
a plain rerun, moving the focus to another claim, and a rerun after someone else's new decision
(which invalidates the decision cache), and approving the focused claim in the UI. Target: under 2 s per rerun.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
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

from verify.models import (Article, Chunk, Citation, Claim, Evidence, PromptRef, Run, RunSettings,  # noqa: E402
                           Sentence, SourceMeta, Span, Verdict, utcnow)
from verify.review import decide  # noqa: E402
from verify.store import Store  # noqa: E402

LABELS = ["SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO"]
PROMPT = PromptRef(id="judge_claim", version="v1", sha256="0" * 64)


def sentence(i: int) -> str:
    return f"Sentence {i}: the ministry reported {i * 37 % 1000} new cases in region {i % 17} on day {i % 28 + 1}."


def passage(claim_no: int, rank: int) -> Chunk:
    texts = [f"Source {rank} line {k} about claim {claim_no}, with figures {k * 11} and {rank * 7}." for k in range(4)]
    sentences, start = [], 0
    for k, text in enumerate(texts):
        sentences.append(Sentence(index=k, text=text, start=start, end=start + len(text)))
        start += len(text) + 1
    meta = SourceMeta(source_id=f"src{rank}", title=f"Source {rank}", url=f"https://example.org/{rank}",
                      publisher="Example News", published="2025-03-14", language="en")
    return Chunk(id=f"src{rank}:{claim_no}", source=meta, n=claim_no, text=" ".join(texts), start=0,
                 end=len(" ".join(texts)), sentences=sentences)


def seed(store: Store, n_claims: int, n_reviewed: int) -> str:
    rng = random.Random(7)
    sentences = [sentence(i) for i in range(n_claims)]
    text = "\n\n".join(" ".join(sentences[i:i + 4]) for i in range(0, n_claims, 4))
    article = Article.from_text(text, title=f"Synthetic article with {n_claims} claims", language="en",
                                source="bench")
    store.save_article(article)
    settings = RunSettings(model="fake-model", embedder="hash", top_k=5, collection="sources",
                           extract_prompt="extract_claims/v1", judge_prompt="judge_claim/v1", window_chars=4000,
                           temperature=0.0)
    run = Run(id="r-bench", article_id=article.id, created_at=utcnow(), status="done", settings=settings)
    store.create_run(run)
    claims = []
    for i, quote in enumerate(sentences):
        start = text.index(quote)
        claims.append(Claim(id=f"c{i:04d}", run_id=run.id, article_id=article.id, index=i, text=quote,
                            text_en=quote, quote=quote, span=Span(start=start, end=start + len(quote)), anchor="exact"))
    store.save_claims(claims)
    verdicts = {}
    for i, claim in enumerate(claims):
        evidence = [Evidence(chunk=passage(i, rank), rank=rank, fused_score=1 / (rank + 60)) for rank in range(1, 6)]
        cited = evidence[0].chunk.sentences[1]
        label = rng.choice(LABELS)
        verdict = Verdict(id=f"v{i:04d}", run_id=run.id, claim_id=claim.id, status="ok", label=label,
                          rationale="Synthetic rationale.", confidence=round(rng.random(), 2), model="fake-model",
                          prompt=PROMPT, citations=[Citation(chunk_id=evidence[0].chunk.id, source_id="src1",
                                                             sentence_index=1, text=cited.text, start=cited.start,
                                                             end=cited.end)])
        store.save_judgement(claim, evidence, verdict)
        verdicts[claim.id] = verdict
    for claim in claims[:n_reviewed]:
        decide(store, run_id=run.id, claim_id=claim.id, reviewer="bench", action="approve",
               machine_verdict=verdicts[claim.id])
    return run.id


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
        run_id = seed(store, args.claims, n_reviewed=args.claims // 5)
        print(f"seeded {args.claims} claims ({args.claims // 5} reviewed) in {time.perf_counter() - t0:.1f} s")
        at = AppTest.from_file(str(ROOT / "ui" / "app.py"), default_timeout=120)
        at.query_params["run"] = run_id
        at.session_state["reviewer"] = "bench"
        first = timed(at.run)
        plain = [timed(at.run) for _ in range(args.reruns)]
        ids = [f"c{i:04d}" for i in range(args.claims)]
        focus = [timed(at.selectbox(key="claim_select").set_value(ids[(k * 97) % args.claims]).run)
                 for k in range(args.reruns)]
        view_verdicts = store.get_verdicts(run_id)
        after_event = []
        for k in range(args.reruns):
            cid = ids[args.claims // 2 + k]
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
