"""Ingest throughput: a 2,000-chunk library with the default embedder, next to the embedder's raw
encode speed on the same chunk texts in the same run (the ceiling); target ratio >= 0.8. Then the
unchanged library is ingested again: target < 5% of the first time.

    python bench/ingest.py [--chunks 2000] [--embedder SPEC]

The library is Markdown files with front matter (what `verify ingest` reads), written once under
bench/.cache/ingest/sources/ from a seeded shuffle of the evidence sentences of ../shared/eval/ and
the seed sources (real encyclopedic and news sentences, so the encoder sees realistic lengths).
The vector store is rebuilt from scratch on every run: the first ingest is what is measured.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time

from _shared import CACHE, EVAL_DIR, SEED_SOURCES, SHARED_SETS, machine

from verify.config import DEFAULT_EMBEDDER
from verify.documents import expand_sources, load_document
from verify.embed import build_embedder
from verify.ingest import chunk_document, ingest
from verify.vectorstore import VectorStore, index_text

HERE = CACHE / "ingest"


def sentence_pool() -> list[str]:
    pool: list[str] = []
    for name in SHARED_SETS:
        path = EVAL_DIR / f"{name}.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                pool += [" ".join(e["text"].split()) for e in json.loads(line)["evidence"]]
    for path in expand_sources([str(SEED_SOURCES)]):
        doc = load_document(path)
        pool += [p.strip() for p in doc.text.split("\n") if len(p.strip()) > 40]
    return sorted(set(pool))


def write_library(target_chunks: int, seed: int = 0) -> tuple[list[str], int]:
    """Markdown sources totalling about `target_chunks` chunks; reused when already written."""
    folder = HERE / f"sources-{target_chunks}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        return json.loads(manifest.read_text())["files"], json.loads(manifest.read_text())["chunks"]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    pool = sentence_pool()
    files, total = [], 0
    while total < target_chunks:
        n = len(files)
        paragraphs = ["\n".join(rng.sample(pool, 3)) for _ in range(rng.randint(3, 6))]
        body = "\n\n".join(paragraphs)
        path = folder / f"doc-{n:05d}.md"
        path.write_text(f'---\ntitle: "Synthetic source {n}"\nlanguage: en\n---\n{body}\n', encoding="utf-8")
        total += len(chunk_document(load_document(str(path))))
        files.append(str(path))
    manifest.write_text(json.dumps({"files": files, "chunks": total}))
    return files, total


def chunk_texts(files: list[str]) -> list[str]:
    texts = []
    for path in files:
        doc = load_document(path)
        texts += [index_text(doc.meta.title, c.text) for c in chunk_document(doc)]
    return texts


def raw_encode(embedder, texts: list[str]) -> float:
    t0 = time.perf_counter()
    embedder.embed_documents(texts)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    args = parser.parse_args()
    files, expected = write_library(args.chunks)
    embedder = build_embedder(args.embedder)
    texts = chunk_texts(files)
    embedder.embed_documents(texts[:64])  # warm-up: model load and first-call costs are not throughput

    raw_before = raw_encode(embedder, texts)
    store_dir = HERE / "vectorstore"
    shutil.rmtree(store_dir, ignore_errors=True)
    vstore = VectorStore(store_dir, "bench", args.embedder)
    t0 = time.perf_counter()
    first = ingest(files, vstore, embedder)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = ingest(files, vstore, embedder)
    again_s = time.perf_counter() - t0
    raw_after = raw_encode(embedder, texts)  # twice, around the ingest: a shared machine's load drifts

    raw_s = (raw_before + raw_after) / 2
    raw_rate, ingest_rate = len(texts) / raw_s, first.chunks_added / first_s
    print(f"Ingest benchmark ({machine()}); embedder '{args.embedder}'")
    print(f"library: {len(files)} Markdown files, {first.chunks_added} chunks ({first.summary()})")
    print(f"raw encode of the same {len(texts)} chunk texts: {raw_rate:.1f} chunks/s "
          f"({raw_before:.1f} s before, {raw_after:.1f} s after the ingest)")
    print(f"first ingest (read, chunk, embed, store): {first_s:.1f} s = {ingest_rate:.1f} chunks/s")
    ratio = ingest_rate / raw_rate
    print(f"ratio ingest / raw encode: {ratio:.2f} (target >= 0.8: {'ok' if ratio >= 0.8 else 'MISSED'})")
    share = again_s / first_s
    print(f"re-ingest unchanged library: {again_s:.2f} s = {share:.1%} of the first "
          f"({again.summary()}; target < 5%: {'ok' if share < 0.05 else 'MISSED'})")


if __name__ == "__main__":
    main()
