"""The lexical signal: BM25 (bm25s) over every chunk, saved beside the library for its exact version."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np

from ..vectorstore import VectorStore

log = logging.getLogger(__name__)

LEXICAL_DIR = ".lexical"  # saved BM25 indexes, inside the vector store folder
TOKENIZER_VERSION = "t1"  # bump when tokenize() changes: saved indexes are then rebuilt
STOPWORDS = set(
    """a an and are as at be by for from has have he her his in is it its of on or that the their they this
    to was were will with which who not but le la les un une des du de d l et est en au aux que qui dans pour
    par sur ne pas il elle ils elles se sa son ses a été qu s y ce cette ces leur leurs ont avait""".split()
)
WORD = re.compile(r"\w+", re.UNICODE)


def tokenize(text: str) -> list[str]:
    """Lower-case, accent-free words: 'Poutine' and 'poutine', 'Kiev' and 'kiev' meet."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return [w for w in WORD.findall(folded) if w not in STOPWORDS and len(w) > 1]


def library_version(vstore: VectorStore) -> str | None:
    """The version a saved index is kept for: the library's (VectorStore.version) and the tokenizer's.
    None when the library's cannot be read: the index is then rebuilt in memory, never saved."""
    version = vstore.version()
    return None if version is None else f"{TOKENIZER_VERSION}:{version[0]}:{version[1]}"


class LexicalIndex:
    """BM25 over every chunk of the collection, built once per library version and kept on disk
    (building it reads every chunk back from Chroma: about 35 s for 100,000 chunks on 2 cores)."""

    def __init__(self, ids: list[str], model):
        self.ids = ids
        self.model = model
        self._position: dict[str, int] | None = None

    @property
    def position(self) -> dict[str, int]:
        """Chunk id -> row of `scores()`, built once (13 ms per claim at 100,000 chunks otherwise)."""
        if self._position is None:
            self._position = {cid: n for n, cid in enumerate(self.ids)}
        return self._position

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "LexicalIndex":
        import bm25s

        model = bm25s.BM25()
        model.index([tokenize(t) or ["\u2205"] for t in texts], show_progress=False)  # a token per document
        return cls(ids, model)

    @classmethod
    def for_store(cls, vstore: VectorStore) -> "LexicalIndex":
        """Load the saved index of this exact library version, or build and save it."""
        version = library_version(vstore)  # None on a Chroma server: no folder to save in, nor a version
        if version is not None:
            cached = cls.load(vstore.path / LEXICAL_DIR / vstore.collection.name, version)
            if cached is not None:
                return cached
        index = cls.build(*vstore.all_texts())
        if version is not None and index.ids:
            index.save(vstore.path / LEXICAL_DIR / vstore.collection.name, version)
        return index

    def save(self, folder: Path, version: str) -> None:
        tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
        try:
            self.model.save(str(tmp), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            (tmp / "version.txt").write_text(version, encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
        except OSError as exc:  # a read-only library still works, it just rebuilds each process
            log.warning("could not save the lexical index in %s: %s", folder, exc)
            shutil.rmtree(tmp, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, version: str) -> "LexicalIndex | None":
        import bm25s

        try:
            if (folder / "version.txt").read_text(encoding="utf-8") != version:
                return None
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            return cls(ids, bm25s.BM25.load(str(folder), show_progress=False))
        except (OSError, ValueError, KeyError):
            return None

    def scores(self, query: str) -> np.ndarray | None:
        """BM25 score of every chunk (in `ids` order); None when no query word is indexed."""
        tokens = tokenize(query)
        if not tokens or not self.ids:
            return None
        scores = np.asarray(self.model.get_scores(tokens), dtype=np.float32)
        return scores if scores.any() else None
