"""`verify eval`: score retrieval and verdicts on a labelled set.

pooled: every evidence item of the file becomes a source of one temporary library (or, with
`sources`, a real library of files such as seeds/sources/); each claim is retrieved for and judged
with verify.judge.judge_claim. paired: each claim is judged against its own evidence only, no
retrieval. Claims are given, so extraction is skipped; a claim's English form (`text_en`) is its
`meta.claim_en` when the set provides one, else the claim itself. LLM replies are cached in the
SQLite store, so a re-run with the same model and settings is deterministic and free.
"""

from __future__ import annotations

import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import metrics
from .config import Settings
from .documents import Document, expand_sources, load_document
from .embed import build_embedder
from .errors import InputError
from .evalset import EvalClaim, EvalSet, covers, load_dataset, make_document, pool_documents, sentence_is_gold
from .ingest import IngestReport, chunk_document, ingest_documents
from .judge import judge_claim
from .llm import StructuredLLM, build_chat_model
from .models import Claim, Evidence, Span, Verdict
from .pipeline import ProgressSink, SilentProgress
from .prompts import load_prompt, parse_spec
from .retrieve import Query, Retriever, as_queries
from .vectorstore import VectorStore

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


@dataclass
class Library:
    vstore: VectorStore
    texts: dict[str, str]  # source id -> full text, for checking citations verbatim
    report: IngestReport


@dataclass
class ClaimOutcome:
    item: EvalClaim
    evidence: list[Evidence]
    verdict: Verdict
    wall_s: float
    ranks: list[int | None] | None = None  # first rank of each gold item (pooled, claims with gold)
    citations: list[dict] = field(default_factory=list)


# --- Libraries ------------------------------------------------------------------------------------


def build_library(evalset: EvalSet, vstore: VectorStore, embedder, sources: list[str] | None = None) -> Library:
    """Ingest the set's evidence pool (or the given source files); unchanged sources are skipped."""
    docs = read_sources(sources) if sources else pool_documents(evalset.claims)
    report = IngestReport()
    ingest_documents(docs, vstore, embedder, report)
    return Library(vstore=vstore, texts={d.meta.source_id: d.text for d in docs}, report=report)


def read_sources(locations: list[str]) -> list[Document]:
    docs = []
    for location in expand_sources(locations):
        try:
            docs.append(load_document(location))
        except InputError:
            continue  # `verify ingest` reports unreadable files; the eval scores what is readable
    return docs


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


def as_claim(item: EvalClaim, index: int, run_id: str, use_claim_en: bool) -> Claim:
    """The claim is its own article: an exact span over the whole text."""
    text_en = item.claim_en if use_claim_en and item.claim_en else item.claim
    return Claim(id=f"{run_id}:{item.id}", run_id=run_id, article_id=f"eval:{item.id}", index=index,
                 text=item.claim, text_en=text_en, quote=item.claim, span=Span(start=0, end=len(item.claim)),
                 anchor="exact")


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
        from .store import Store

        if cfg.mode not in ("pooled", "paired"):
            raise InputError(f"unknown mode {cfg.mode!r}: use pooled or paired")
        self.cfg, self.settings = cfg, settings
        self.progress = progress or SilentProgress()
        self.evalset = load_dataset(cfg.dataset)  # first: a bad line fails before any model loads
        self.items = sample(self.evalset.claims, cfg.limit, cfg.seed)
        if chat is None:
            chat, model_id = build_chat_model(settings)
        self.store = Store(settings.db_path)  # every call is logged and cached, as in `verify run`
        self.llm = StructuredLLM(chat, model_id or "unknown", settings, calls=self.store.call_log())
        self.prompt = load_prompt(*parse_spec("judge_claim/v1"))
        self.judge_wall_s = 0.0
        self.retrieval_s_per_claim = 0.0
        self.run_id = f"eval-{Path(cfg.dataset).stem}-{cfg.mode}"

    def run(self) -> dict:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="verify-eval-") as workdir:
            if self.cfg.mode == "pooled":
                outcomes, retrieval, setup = self._pooled(Path(workdir))
            else:
                outcomes, retrieval, setup = self._paired(), None, 0.0
        from .evalreport import summarise

        return summarise(self, outcomes, retrieval, setup, time.perf_counter() - started)

    def _pooled(self, workdir: Path):
        t0 = time.perf_counter()
        self.progress.start("library", None)
        library = open_library(self.cfg, self.settings, self.evalset, workdir)
        self.progress.advance("library")
        setup = time.perf_counter() - t0
        retriever = Retriever(library.vstore, build_embedder(self.settings.embedder), top_k=self.settings.top_k)
        self.progress.start("retrieve", len(self.evalset.claims))
        # recall is measured on every claim of the set; only the sampled ones are judged
        t1 = time.perf_counter()
        all_results = retrieve_all(retriever, self.evalset.claims, self.cfg.use_claim_en)
        self.retrieval_s_per_claim = (time.perf_counter() - t1) / len(self.evalset.claims)
        self.progress.advance("retrieve", len(self.evalset.claims))
        retrieval = retrieval_metrics(self.evalset.claims, all_results)
        retrieval["claims"] = len(self.evalset.claims)
        by_id = {item.id: ev for item, ev in zip(self.evalset.claims, all_results)}
        jobs = [(item, by_id[item.id][: self.settings.top_k], library.texts) for item in self.items]
        outcomes = self._judge_all(jobs)
        for outcome in outcomes:
            if outcome.item.gold():
                outcome.ranks = gold_ranks(by_id[outcome.item.id], outcome.item)
        return outcomes, retrieval, setup

    def _paired(self) -> list[ClaimOutcome]:
        jobs = []
        for item in self.items:
            evidence, texts = paired_evidence(item)
            jobs.append((item, evidence, texts))
        return self._judge_all(jobs)

    def _judge_all(self, jobs) -> list[ClaimOutcome]:
        self.progress.start("judge", len(jobs))
        workers = 1 if self.settings.is_local else max(1, self.settings.concurrency)

        def work(index: int, job) -> ClaimOutcome:
            item, evidence, texts = job
            t0 = time.perf_counter()
            claim = as_claim(item, index, self.run_id, self.cfg.use_claim_en)
            verdict = judge_claim(claim, evidence, self.llm, self.prompt, item.language)
            outcome = ClaimOutcome(item, evidence, verdict, time.perf_counter() - t0)
            outcome.citations = check_citations(verdict, item, texts)
            self.progress.advance("judge")
            return outcome

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(work, range(len(jobs)), jobs))  # map keeps dataset order
        self.judge_wall_s = time.perf_counter() - t0
        return outcomes


def check_citations(verdict: Verdict, item: EvalClaim, texts: dict[str, str]) -> list[dict]:
    gold = item.gold()
    out = []
    for cit in verdict.citations:
        source = texts.get(cit.source_id, "")
        out.append({"chunk_id": cit.chunk_id, "text": cit.text, "valid": source[cit.start:cit.end] == cit.text,
                    "gold": sentence_is_gold(cit.text, gold) if gold else None})
    return out
