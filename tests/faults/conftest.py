"""Fault-injection helpers: a seeded library shared by a module, and runs against a misbehaving server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, SEED_SOURCES, fake_settings
from tests.fakes import extraction_reply
from tests.openai_server import Behaviour, OpenAICompatibleServer, user_text
from verify.embed import build_embedder
from verify.ingest import ingest
from verify.pipeline import Pipeline, RunOutcome
from verify.vectorstore import VectorStore

EXTRACTION_MARK = "check-worthy claims from the article"


def is_extraction(request: dict) -> bool:
    return EXTRACTION_MARK in user_text(request)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The seed sources in a real Chroma folder (hash embedder), ingested once per test module."""
    path = tmp_path_factory.mktemp("library") / "vectorstore"
    ingest([str(SEED_SOURCES)], VectorStore(path, "sources", "hash"), build_embedder("hash"))
    return path


@dataclass
class FaultRun:
    outcome: RunOutcome
    server: OpenAICompatibleServer
    pipeline: Pipeline
    sleeps: list[float]

    @property
    def judge_requests(self) -> list[dict]:
        return [r for r in self.server.requests if not is_extraction(r)]

    @property
    def verdict(self):
        return next(iter(self.outcome.verdicts.values()))


def run_against(judge: Callable[[dict, int], Behaviour], library, n_claims: int = 1, **overrides) -> FaultRun:
    """Run the seed article (first n claims) against a local server whose judge replies come from
    `judge(request, n)` (n counts judge requests from 0). Backoff sleeps are recorded, not slept."""
    counter = {"n": 0}
    claims = [(q, c, e) for q, c, e, _ in SEED_CLAIMS[:n_claims]]

    def reply(request: dict) -> Behaviour:
        if is_extraction(request):
            return Behaviour(extraction_reply(*claims))
        n = counter["n"]
        counter["n"] += 1
        return judge(request, n)

    sleeps: list[float] = []
    with OpenAICompatibleServer(reply) as server:
        settings = fake_settings(model="fault-model", base_url=server.base_url, vectorstore=library, **overrides)
        pipeline = Pipeline(settings)
        pipeline.llm.sleep = sleeps.append
        outcome = pipeline.run(str(SEED_ARTICLE))
    return FaultRun(outcome, server, pipeline, sleeps)
