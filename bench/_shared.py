"""Helpers shared by the bench scripts: paths, cached vector stores, query-embedding memo, machine line."""

from __future__ import annotations

import os
import platform
import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a clean clone without `pip install -e .` side effects

CACHE = ROOT / "bench" / ".cache"
SEED_SET = ROOT / "seeds" / "eval" / "seed_claims.jsonl"
SEED_SOURCES = ROOT / "seeds" / "sources"
# French claims written for real news reports of the seed's events (seeds/eval/README.md): a library not
# written for its claims, so its recall is not flattered the way seeds/sources/ flatters the seed set.
NEWS_SET = ROOT / "seeds" / "eval" / "news_fr_claims.jsonl"
NEWS_SOURCES = ROOT / "seeds" / "eval" / "news"
# named sets kept in the repository, with the source folder each is pooled over
LOCAL_SETS = {"seed": (SEED_SET, SEED_SOURCES), "news_fr": (NEWS_SET, NEWS_SOURCES)}
EVAL_DIR = Path(os.environ.get("VERIFY_EVAL_DIR", ROOT.parent / "shared" / "eval"))
SHARED_SETS = ["climate_fever_dev", "fever_en_dev", "scifact_dev", "daccord_fr_dev"]

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import logging  # noqa: E402

logging.getLogger("chromadb").setLevel(logging.ERROR)

from verify.embed import ArrayEmbeddings  # noqa: E402


def collection_name(spec: str) -> str:
    """Chroma collection names allow [A-Za-z0-9._-] only, and at least 3 characters ("e5" is 2)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", spec).strip("-._") or "default"
    return name if len(name) >= 3 else f"{name}-embedder"


def dataset_path(name: str) -> Path:
    return LOCAL_SETS[name][0] if name in LOCAL_SETS else EVAL_DIR / f"{name}.jsonl"


def machine() -> str:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{date.today().isoformat()}, {platform.machine()} {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, "
            f"no GPU, Python {platform.python_version()}")


class MemoEmbeddings(ArrayEmbeddings):
    """Remember query vectors: a settings grid re-asks the same queries many times."""

    def __init__(self, inner: ArrayEmbeddings):
        self.inner = inner
        self.memo: dict[tuple[str, str], list[float]] = {}  # (how embedded, text) -> vector

    def segments(self):
        return self.inner.segments()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._remembered("documents", texts, self.inner.embed_documents)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self._remembered("queries", texts, self.inner.embed_queries)

    def _remembered(self, kind: str, texts: list[str], embed) -> list[list[float]]:
        todo = [t for t in dict.fromkeys(texts) if (kind, t) not in self.memo]
        if todo:
            self.memo.update(((kind, t), v) for t, v in zip(todo, embed(todo)))
        return [self.memo[kind, t] for t in texts]


def table(rows: list[dict], columns: list[str]) -> str:
    """A Markdown table (also readable in a terminal)."""
    def cell(value) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
