"""Retrieval latency per claim on a 100,000-chunk library; target p95 < 100 ms.

    python bench/latency.py [--chunks 100000] [--claims 200]

The library is synthetic and built once, cached in bench/.cache/latency/: each chunk is four
sentences drawn (seeded) from a pool of real evidence sentences (../shared/eval/ and seeds/sources/),
and its vector is the normalised sum of its sentences' vectors from the default embedder. Embedding
100,000 passages with the multilingual USE (~50 passages/s here) would take over half an hour, and
latency depends on the index size and vector dimension, not on which passages they are.
Queries are real: each claim is retrieved exactly as `verify run` does (claim + English form, dense
+ BM25, fusion, chunk fetch), one claim at a time, after one warm-up query; the first query of a
fresh process (lexical index load or build) is reported separately.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import numpy as np
from _shared import CACHE, SEED_SET, dataset_path, machine

from verify.config import DEFAULT_EMBEDDER
from verify.embed import build_embedder
from verify.evaluation.dataset import load_dataset
from verify.models import Chunk, Sentence, SourceMeta
from verify.retrieve import Query, Retriever
from verify.vectorstore import VectorStore

HERE = CACHE / "latency"
PER_SOURCE = 5  # chunks per synthetic source


def pool(embedder_spec: str) -> tuple[list[str], np.ndarray]:
    """Pool sentences and their vectors, embedded once."""
    from ingest import sentence_pool  # bench/ingest.py: the same real sentences

    texts_file, vectors_file = HERE / "pool.json", HERE / f"pool-{embedder_spec}.npy"
    if texts_file.is_file() and vectors_file.is_file():
        return json.loads(texts_file.read_text()), np.load(vectors_file)
    HERE.mkdir(parents=True, exist_ok=True)
    texts = sentence_pool()
    vectors = np.asarray(build_embedder(embedder_spec).embed_documents(texts), dtype=np.float32)
    texts_file.write_text(json.dumps(texts))
    np.save(vectors_file, vectors)
    return texts, vectors


def synthetic_chunk(n: int, picks: list[int], texts: list[str]) -> Chunk:
    src = SourceMeta(source_id=f"syn-{n // PER_SOURCE:05d}", title=f"Synthetic source {n // PER_SOURCE}",
                     language="en", path="synthetic", content_hash=f"syn{n // PER_SOURCE}")
    sentences, cursor, parts = [], 0, []
    for i, pick in enumerate(picks):
        text = texts[pick]
        sentences.append(Sentence(index=i, text=text, start=cursor, end=cursor + len(text)))
        parts.append(text)
        cursor += len(text) + 1
    body = " ".join(parts)
    return Chunk(id=f"{src.source_id}:{n % PER_SOURCE}", source=src, n=n % PER_SOURCE, text=body, start=0,
                 end=len(body), sentences=sentences)


def library(size: int, spec: str) -> VectorStore:
    vstore = VectorStore(HERE / "vectorstore", f"synthetic-{size}", spec)
    if vstore.count() >= size:
        return vstore
    texts, vectors = pool(spec)
    rng = random.Random(0)
    t0 = time.perf_counter()
    for start in range(vstore.count(), size, 5000):
        chunks, embs = [], []
        for n in range(start, min(size, start + 5000)):
            picks = rng.sample(range(len(texts)), 4)
            chunks.append(synthetic_chunk(n, picks, texts))
            v = vectors[picks].sum(axis=0)
            embs.append((v / np.linalg.norm(v)).tolist())
        vstore.add_chunks(chunks, embs)
        print(f"  library: {start + len(chunks)} / {size} chunks ({time.perf_counter() - t0:.0f} s)", flush=True)
    return vstore


def claims(limit: int) -> list[list[Query]]:
    sets = [load_dataset(SEED_SET).claims]
    if dataset_path("climate_fever_dev").is_file():
        sets.append(load_dataset(dataset_path("climate_fever_dev")).claims)
    items = [c for group in sets for c in group][:limit]
    return [[Query(c.claim, c.language)] + ([Query(c.claim_en, "en")] if c.claim_en else []) for c in items]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=200)
    args = parser.parse_args()
    spec = DEFAULT_EMBEDDER
    vstore = library(args.chunks, spec)
    embedder = build_embedder(spec)
    embedder.embed_query("warm-up")  # model load is not retrieval latency
    queries = claims(args.claims)
    retriever = Retriever(vstore, embedder, top_k=5)
    t0 = time.perf_counter()
    retriever.retrieve(queries[0])
    cold = time.perf_counter() - t0
    timings = []
    for qs in queries:
        t0 = time.perf_counter()
        retriever.retrieve(qs)
        timings.append((time.perf_counter() - t0) * 1000)
    embed_ms = []
    for qs in queries[:50]:
        t0 = time.perf_counter()
        embedder.embed_documents([q.text for q in qs])
        embed_ms.append((time.perf_counter() - t0) * 1000)
    p50, p95 = np.percentile(timings, 50), np.percentile(timings, 95)
    print(f"Retrieval latency ({machine()}); embedder '{spec}', library {vstore.count()} chunks")
    print(f"first query of the process (includes the lexical index load/build): {cold:.2f} s")
    print(f"per claim over {len(timings)} claims ({sum(len(q) for q in queries) / len(queries):.1f} queries each): "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms (target p95 < 100 ms: "
          f"{'ok' if p95 < 100 else 'MISSED'})")
    print(f"of which query embedding alone: p50 {np.percentile(embed_ms, 50):.1f} ms")


if __name__ == "__main__":
    main()
