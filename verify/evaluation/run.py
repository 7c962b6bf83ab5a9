"""`verify eval`: score retrieval and verdicts on a labelled set.
Over 300 lines: the evaluator's pooled and paired modes share one loop and one result record.

pooled: every evidence item of the file becomes a source of one temporary library (or, with
`sources`, a real library of files such as seeds/sources/; files that cannot be read are listed and
counted in the results); each claim is retrieved for and judged. paired: each claim is judged
against its own evidence only, no retrieval. Claims are given, so extraction is skipped; a claim's
English form (`text_en`) is its `meta.claim_en` when the set provides one, else the claim itself.

Judging is the pipeline's own step (verify.pipeline.judge_claims), so each eval is also a run in the
store: the judged claims as one article, with their evidence, verdicts and citations, which
`verify show` and the dashboard open like any run. LLM replies are cached in the store, so a re-run
with the same model and settings is deterministic and free.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..backends import build_chat_model
from ..config import Settings
from ..documents import Document, expand_sources, load_document
from ..embed import build_embedder
from ..errors import InputError
from ..ingest import IngestReport, chunk_document, ingest_documents
from ..models import Article, Claim, Evidence, Run, RunSettings, Span, Usage, Verdict, utcnow
from ..judge import default_judge_prompt
from ..judge_calibrated import judge_prompt_of
from ..pipeline import (JudgeJob, ProgressSink, SilentProgress, extraction_summary, judge_claims, judge_workers,
                        new_run_id)
from ..retrieve import Query, Retriever, as_queries
from ..store import Store, location
from ..structured import StructuredLLM
from ..vectorstore import VectorStore
from ..vocabulary import is_demo_grade
from . import metrics
from .dataset import EvalClaim, EvalSet, covers, load_dataset, make_document, pool_documents, sentence_is_gold
from .report import ClaimOutcome, EvalFacts, summarise

RECALL_KS = (1, 5, 10)


@dataclass
class EvalConfig:
    dataset: Path
    mode: str = "pooled"  # pooled | paired
    limit: int | None = None
    seed: int = 0
    sources: list[str] | None = None  # pooled over these files instead of the set's evidence
    library_dir: Path | None = None  # keep the pooled vector store here (default: a temporary folder)
    use_claim_en: bool = True
    # Claims never judged here (their evidence still pools into the library): e.g. the split a calibrator
    # was fitted on, so that the figures are on claims it has not seen.
    exclude_ids: frozenset[str] = frozenset()


@dataclass
class Library:
    vstore: VectorStore
    texts: dict[str, str]  # source id -> full text, for checking citations verbatim
    report: IngestReport
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (location, reason), left out


@dataclass
class JudgeInput:
    item: EvalClaim
    evidence: list[Evidence]
    texts: dict[str, str]  # source id -> full text of the evidence shown, for checking citations


# --- Libraries ------------------------------------------------------------------------------------


def build_library(evalset: EvalSet, vstore: VectorStore, embedder, sources: list[str] | None = None) -> Library:
    """Ingest the set's evidence pool (or the given source files); unchanged sources are skipped.
    A source that cannot be read or stored is kept in `unreadable` with its reason."""
    docs, unreadable = read_sources(sources) if sources else (pool_documents(evalset.claims), [])
    report = IngestReport()
    ingest_documents(docs, vstore, embedder, report)
    unreadable += [(location, _with_location(location, reason)) for location, reason in report.failed]
    return Library(vstore=vstore, texts={d.meta.source_id: d.text for d in docs}, report=report,
                   unreadable=unreadable)


def read_sources(locations: list[str]) -> tuple[list[Document], list[tuple[str, str]]]:
    """The readable documents, and (location, reason) for each one that is not: the results list them,
    since a missing source lowers recall for a reason that has nothing to do with retrieval."""
    docs, unreadable = [], []
    for location in expand_sources(locations):
        try:
            docs.append(load_document(location))
        except InputError as exc:
            unreadable.append((location, _with_location(location, str(exc))))
    return docs, unreadable


def _with_location(location: str, reason: str) -> str:
    return reason if location in reason else f"{location}: {reason}"


def open_library(cfg: EvalConfig, settings: Settings, evalset: EvalSet, workdir: Path) -> Library:
    folder = cfg.library_dir or workdir
    vstore = VectorStore(folder, "eval", settings.embedder)
    return build_library(evalset, vstore, build_embedder(settings.embedder), cfg.sources)


def gold_ranks(evidence: list[Evidence], item: EvalClaim) -> list[int | None]:
    """For each gold item, the rank of the first retrieved chunk that holds it (None: not retrieved)."""
    return [next((ev.rank for ev in evidence if covers(ev.chunk, g)), None) for g in item.gold()]


def query_set(item: EvalClaim, use_claim_en: bool = True) -> list[Query]:
    english = [Query(item.claim_en, "en")] if use_claim_en and item.claim_en else []
    return as_queries([Query(item.claim, None if item.language == "und" else item.language)] + english)


def retrieve_all(retriever: Retriever, items: list[EvalClaim], use_claim_en: bool = True,
                 depth: int = max(RECALL_KS)) -> list[list[Evidence]]:
    return retriever.retrieve_many([query_set(i, use_claim_en) for i in items], top_k=depth)


def retrieval_metrics(items: list[EvalClaim], results: list[list[Evidence]]) -> dict:
    ranks = [gold_ranks(ev, item) for item, ev in zip(items, results) if item.gold()]
    return metrics.retrieval(ranks, RECALL_KS)


# --- Claims and paired evidence ----------------------------------------------------------------------


def eval_article(items: list[EvalClaim], title: str, source: str) -> tuple[Article, list[Span]]:
    """The judged claims as one article, a paragraph each, so the stored run reads like any other
    in `verify show` and the dashboard; the spans locate each claim in it."""
    spans, offset = [], 0
    for item in items:
        spans.append(Span(start=offset, end=offset + len(item.claim)))
        offset += len(item.claim) + 2
    languages = Counter(item.language for item in items)
    language = languages.most_common(1)[0][0] if languages else "und"
    text = "\n\n".join(item.claim for item in items)
    return Article.from_text(text, title=title, language=language, source=source), spans


def as_claim(item: EvalClaim, index: int, run_id: str, article_id: str, span: Span, use_claim_en: bool) -> Claim:
    text_en = item.claim_en if use_claim_en and item.claim_en else item.claim
    return Claim(id=f"{run_id}:{item.id}", run_id=run_id, article_id=article_id, index=index,
                 text=item.claim, text_en=text_en, quote=item.claim, span=span, anchor="exact")


def paired_evidence(item: EvalClaim) -> tuple[list[Evidence], dict[str, str]]:
    """The claim's own evidence items as passages, in file order, with no retrieval scores."""
    evidence, texts = [], {}
    for n, ev in enumerate(item.evidence):
        doc = make_document(f"{ev.source_id}#{n}", ev.title, ev.text, language=None)
        texts[doc.meta.source_id] = doc.text
        for chunk in chunk_document(doc):
            evidence.append(Evidence(chunk=chunk, rank=len(evidence) + 1, fused_score=0.0))
    return evidence, texts


def sample(items: list[EvalClaim], limit: int | None, seed: int) -> list[EvalClaim]:
    """A seeded sample that keeps the label mix (round-robin over shuffled labels), in file order."""
    if not limit or limit >= len(items):
        return list(items)
    rng = random.Random(seed)
    by_label: dict[str, list[EvalClaim]] = {}
    for item in items:
        by_label.setdefault(item.label, []).append(item)
    for group in by_label.values():
        rng.shuffle(group)
    chosen: list[EvalClaim] = []
    while len(chosen) < limit:
        for label in sorted(by_label):
            if by_label[label] and len(chosen) < limit:
                chosen.append(by_label[label].pop())
    keep = {id(c) for c in chosen}
    return [item for item in items if id(item) in keep]


# --- The run --------------------------------------------------------------------------------------


class Evaluator:
    def __init__(self, cfg: EvalConfig, settings: Settings, chat=None, model_id: str | None = None,
                 progress: ProgressSink | None = None):
        if cfg.mode not in ("pooled", "paired"):
            raise InputError(f"unknown mode {cfg.mode!r}: use pooled or paired")
        self.cfg, self.settings = cfg, settings
        self.progress = progress or SilentProgress()
        self.evalset = load_dataset(cfg.dataset)  # first: a bad line fails before any model loads
        self.items = sample([c for c in self.evalset.claims if c.id not in cfg.exclude_ids], cfg.limit, cfg.seed)
        if chat is None:
            chat, model_id = build_chat_model(settings)
        self.store = Store(settings.db_path)  # every call is logged and cached, as in `verify run`
        self.llm = StructuredLLM(chat, model_id or "unknown", settings, calls=self.store.call_log())
        self.prompt = judge_prompt_of(self.llm) or default_judge_prompt()  # stance prompts for local:qwen
        self.run_id = "eval-" + new_run_id().removeprefix("r")
        self.facts = EvalFacts(
            dataset=Path(cfg.dataset).name, mode=cfg.mode, scheme=self.evalset.scheme, labels=self.evalset.labels,
            claims_in_set=len(self.evalset.claims), model=self.llm.model_id,
            embedder=settings.embedder if cfg.mode == "pooled" else None, top_k=settings.top_k,
            library="sources: " + ", ".join(cfg.sources) if cfg.sources else "evidence pool",
            limit=cfg.limit, seed=cfg.seed, run_id=self.run_id, db=location.shown(settings.db_path),
            unreadable_sources=[], sent=Usage(), cached=Usage())

    def run(self) -> dict:
        started = time.perf_counter()
        retrieval = None
        with tempfile.TemporaryDirectory(prefix="verify-eval-") as workdir:
            if self.cfg.mode == "pooled":
                inputs, retrieval = self._pooled(Path(workdir))
            else:
                inputs = [JudgeInput(item, *paired_evidence(item)) for item in self.items]
            outcomes = self._judge(inputs)
        self.facts.wall_s = time.perf_counter() - started
        self.facts.sent, self.facts.cached = self._call_usage()
        results = summarise(self.facts, outcomes, retrieval)
        self._finish_run(outcomes, results)
        return results

    def _pooled(self, workdir: Path) -> tuple[list[JudgeInput], dict]:
        t0 = time.perf_counter()
        self.progress.start("library", None)
        library = open_library(self.cfg, self.settings, self.evalset, workdir)
        self.progress.advance("library")
        for _, reason in library.unreadable:
            self.progress.note(f"[skipped] {reason}")
        self.facts.unreadable_sources = library.unreadable
        self.facts.library_s = time.perf_counter() - t0
        retriever = Retriever(library.vstore, build_embedder(self.settings.embedder), top_k=self.settings.top_k)
        claims = self.evalset.claims
        self.progress.start("retrieve", len(claims))
        # recall is measured on every claim of the set; only the sampled ones are judged
        t1 = time.perf_counter()
        all_results = retrieve_all(retriever, claims, self.cfg.use_claim_en)
        self.facts.retrieval_s_per_claim = (time.perf_counter() - t1) / len(claims)
        self.progress.advance("retrieve", len(claims))
        retrieval = {**retrieval_metrics(claims, all_results), "claims": len(claims)}
        self._by_id = {item.id: ev for item, ev in zip(claims, all_results)}
        inputs = [JudgeInput(item, self._by_id[item.id][: self.settings.top_k], library.texts) for item in self.items]
        return inputs, retrieval

    def _judge(self, inputs: list[JudgeInput]) -> list[ClaimOutcome]:
        """The pipeline's judging step on a run of its own: every verdict is stored with its evidence."""
        claims = self._start_run()
        jobs = [JudgeJob(claim, i.evidence, i.item.language) for claim, i in zip(claims, inputs)]
        self.progress.start("judge", len(jobs))
        t0 = time.perf_counter()
        judged = judge_claims(jobs, self.llm, self.prompt, self.store, judge_workers(self.settings),
                              on_done=lambda _: self.progress.advance("judge"))
        self.facts.judge_wall_s = time.perf_counter() - t0
        outcomes = []
        for i, done in zip(inputs, judged):
            outcome = ClaimOutcome(i.item, i.evidence, done.verdict, done.wall_s,
                                   citations=check_citations(done.verdict, i.item, i.texts))
            if self.cfg.mode == "pooled" and i.item.gold():
                outcome.ranks = gold_ranks(self._by_id[i.item.id], i.item)
            outcomes.append(outcome)
        return outcomes

    def _start_run(self) -> list[Claim]:
        title = f"verify eval: {self.facts.dataset} ({self.cfg.mode}, {len(self.items)} claims)"
        article, spans = eval_article(self.items, title, str(self.cfg.dataset))
        self.store.save_article(article)
        self.store.create_run(Run(id=self.run_id, article_id=article.id, created_at=utcnow(), status="running",
                                  settings=self._run_settings()))
        claims = [as_claim(item, n, self.run_id, article.id, span, self.cfg.use_claim_en)
                  for n, (item, span) in enumerate(zip(self.items, spans))]
        self.store.save_claims(claims)
        return claims

    def _run_settings(self) -> RunSettings:
        return RunSettings(
            model=self.llm.model_id, embedder=self.facts.embedder or "none (paired: no retrieval)",
            top_k=self.settings.top_k, collection=self.facts.library,
            extract_prompt="none/claims given by the dataset",  # no extraction; reports read id/version
            judge_prompt=f"{self.prompt.ref.id}/{self.prompt.ref.version}",
            window_chars=0, temperature=self.settings.temperature)

    def _call_usage(self) -> tuple[Usage, Usage]:
        """From the call log of this eval's run: requests sent to the model and those the cache answered."""
        calls = self.store.llm_calls(self.run_id)  # one row per request, failed tries included
        sent = [c.usage.model_copy(update={"calls": 1}) for c in calls if not c.cached]
        cached = [c.usage.model_copy(update={"cached_calls": 1, "latency_s": 0.0}) for c in calls if c.cached]
        return sum(sent, Usage()), sum(cached, Usage())

    def _finish_run(self, outcomes: list[ClaimOutcome], results: dict) -> None:
        counts = Counter(o.verdict.label.value if o.verdict.label else "failed" for o in outcomes)
        cls = results["classification"]
        self.store.finish_run(self.run_id, "done", {
            "claims": len(outcomes), "flagged_spans": 0,
            "verdicts": {k: counts.get(k, 0) for k in ("SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO", "failed")},
            **extraction_summary([]),
            "usage": self.store.call_usage(self.run_id).model_dump(),
            "demo_grade_model": is_demo_grade(self.settings.model),
            "eval": {"dataset": results["dataset"], "mode": results["mode"], "scheme": results["scheme"],
                     "accuracy": cls["accuracy"], "balanced_accuracy": cls["balanced_accuracy"],
                     "macro_f1": cls["macro_f1"], "unreadable_sources": results["unreadable_source_count"]},
        })


def check_citations(verdict: Verdict, item: EvalClaim, texts: dict[str, str]) -> list[dict]:
    gold = item.gold()
    out = []
    for cit in verdict.citations:
        source = texts.get(cit.source_id, "")
        out.append({"chunk_id": cit.chunk_id, "text": cit.text, "valid": source[cit.start:cit.end] == cit.text,
                    "gold": sentence_is_gold(cit.text, gold) if gold else None})
    return out
