"""Two `verify run` processes on one store and one vector store; two reviewers on one claim."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from tests.conftest import SEED_ARTICLE, SEED_CLAIMS, SEED_SOURCES
from tests.fakes import extraction_reply, judge_reply
from tests.faults.conftest import is_extraction
from tests.openai_server import Behaviour, OpenAICompatibleServer
from verify.embed import build_embedder
from verify.ingest import ingest
from verify.retrieve import Retriever
from verify.review import ReviewConflict, decide
from verify.store import Store
from verify.vectorstore import VectorStore


def test_two_runs_at_once_share_the_store_and_vector_store(store_url, tmp_path):
    def reply(request):
        if is_extraction(request):
            return Behaviour(extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS]))
        return Behaviour(judge_reply("NOT_ENOUGH_INFO", []), delay_s=0.05)

    vs = tmp_path / "shared-vs"  # the store: a new SQLite file, or a new PostgreSQL database both create at once
    env = dict(os.environ, VERIFY_DB=store_url, VERIFY_VECTORSTORE=str(vs), VERIFY_EXTRACT_MODE="abstractive")
    with OpenAICompatibleServer(reply) as server:
        args = [sys.executable, "-m", "verify.cli", "run", str(SEED_ARTICLE), "--sources", str(SEED_SOURCES),
                "--model", "m", "--base-url", server.base_url, "--no-cache"]
        procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    store = Store(store_url, read_only=True)
    runs = [r[0] for r in store.query("SELECT id FROM runs WHERE status = 'done'")]
    per_run = store.query("SELECT run_id, COUNT(*) FROM verdicts GROUP BY run_id")
    claims = tuple(store.query("SELECT COUNT(*), COUNT(DISTINCT id) FROM claims")[0])
    evidence = store.query("SELECT c.run_id, COUNT(*) FROM evidence e JOIN claims c ON c.id = e.claim_id "
                           "GROUP BY c.run_id")
    store.close()
    assert len(runs) == 2 and sorted(n for _, n in per_run) == [len(SEED_CLAIMS)] * 2  # nothing lost
    assert claims == (2 * len(SEED_CLAIMS), 2 * len(SEED_CLAIMS))  # nothing duplicated
    assert [n for _, n in evidence] == [5 * len(SEED_CLAIMS)] * 2  # both retrieved from the whole library
    # Ingest is serialised by a file lock: one process embedded the library, the other found it unchanged.
    assert sorted("17 added" in o for o in outputs) == [False, True]
    assert sum("17 unchanged" in o for o in outputs) == 1
    assert VectorStore(vs, "sources", "hash").count() == 31


def other_sources(folder, n: int):
    folder.mkdir()
    for i in range(n):
        (folder / f"note-{i:02d}.md").write_text(
            f"# Note {i}\n\nOfficials met in Jeddah on day {i} to discuss item {i * 7} of the Kursk ceasefire plan.\n",
            encoding="utf-8")
    return folder


def library_saving_its_index_every(vs, n: int) -> None:
    """Create the collection as verify would, except that Chroma saves its vector index file every
    `n` writes instead of every 1,000: a small library then behaves like a large one, where another
    process's in-memory copy of the index goes stale as soon as the file is saved."""
    import chromadb
    from chromadb.config import Settings

    chromadb.PersistentClient(path=str(vs), settings=Settings(anonymized_telemetry=False)).create_collection(
        "sources", metadata={"embedder": "hash", "hnsw:space": "cosine", "hnsw:sync_threshold": n,
                             "hnsw:batch_size": n})


def test_two_runs_with_different_sources_one_ingesting_while_the_other_retrieves(tmp_path):
    """Issue 10. Run A ingests the seed sources and is held at its extraction call while run B
    ingests other sources; then A retrieves and judges. Before the fix A's Chroma
    client went on using its in-memory vector index from before B's ingest and died with
    `InternalError: Error finding id`."""
    arrived = [threading.Event(), threading.Event()]  # extraction calls of run A, then run B
    order = iter(range(2))

    def reply(request):
        if is_extraction(request):
            n = min(next(order, 1), 1)
            arrived[n].set()
            if n == 0:  # run A has ingested: hold it until run B has ingested too (B's extraction call)
                arrived[1].wait(timeout=120)
            return Behaviour(extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS]))
        return Behaviour(judge_reply("NOT_ENOUGH_INFO", []))

    db, vs = tmp_path / "shared.db", tmp_path / "shared-vs"
    other = other_sources(tmp_path / "other-sources", 40)
    library_saving_its_index_every(vs, 10)
    env = dict(os.environ, VERIFY_DB=str(db), VERIFY_VECTORSTORE=str(vs), VERIFY_EXTRACT_MODE="abstractive")
    with OpenAICompatibleServer(reply) as server:
        args = [sys.executable, "-m", "verify.cli", "run", str(SEED_ARTICLE), "--model", "m", "--embedder", "hash",
                "--base-url", server.base_url, "--no-cache", "--sources"]
        run_a = subprocess.Popen(args + [str(SEED_SOURCES)], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        arrived[0].wait(timeout=120)  # A ingested first, so B's writes land after A loaded the index
        run_b = subprocess.Popen(args + [str(other)], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        outputs = [p.communicate(timeout=240)[0] for p in (run_a, run_b)]
    assert [run_a.returncode, run_b.returncode] == [0, 0], [last_error(out) for out in outputs]
    with sqlite3.connect(db) as con:
        done = con.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0]
        verdicts = con.execute("SELECT COUNT(*), COUNT(DISTINCT claim_id) FROM verdicts").fetchone()
        evidence = con.execute("SELECT COUNT(*) FROM evidence").fetchone()[0]
    assert done == 2 and verdicts == (2 * len(SEED_CLAIMS),) * 2  # nothing lost, nothing doubled
    assert evidence == 2 * 5 * len(SEED_CLAIMS)
    assert VectorStore(vs, "sources", "hash").count() == 31 + 40


# Another process: ingest the folder argv[2] into the library argv[1]. Mode "unlocked": as a program that
# does not take verify's write lock would (an older verify); "hold": keep the write lock until stdin closes.
OTHER_PROCESS = """
import contextlib, sys
from verify.embed import build_embedder
from verify.ingest import ingest
from verify.vectorstore import VectorStore
vs_path, folder, mode = sys.argv[1], sys.argv[2], sys.argv[3]
vs = VectorStore(vs_path, "sources", "hash")
if mode == "unlocked":
    VectorStore.write_lock = lambda self: contextlib.nullcontext()
    ingest([folder], vs, build_embedder("hash"))
elif mode == "hold":
    with vs.write_lock():
        ingest([folder], vs, build_embedder("hash"))
        print("ingested", flush=True)
        sys.stdin.read()
else:
    print(ingest([folder], vs, build_embedder("hash")).summary(), flush=True)
"""


def other_process(vs, folder, mode: str = "ingest", **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, str(vs), str(folder), mode], text=True, **popen)


def all_vectors_readable(vs) -> str:
    """What a fresh process finds: every chunk counted has its vector, or the error it got."""
    code = ("import sys; from verify.vectorstore import VectorStore; v = VectorStore(sys.argv[1], 'sources', 'hash'); "
            "print(len(v.collection.get(include=['embeddings'])['embeddings']), v.count())")
    done = subprocess.run([sys.executable, "-c", code, str(vs)], capture_output=True, text=True, timeout=120)
    return done.stdout.strip() or last_error(done.stderr)


def seeded_library(vs):
    """The seed sources (31 chunks) ingested by this process, its vector index loaded in memory."""
    library_saving_its_index_every(vs, 10)
    store = VectorStore(vs, "sources", "hash")
    ingest([str(SEED_SOURCES)], store, build_embedder("hash"))
    assert len(store.collection.get(include=["embeddings"])["embeddings"]) == 31
    return store


def test_a_write_after_another_process_wrote_keeps_that_process_vectors(tmp_path):
    """Before the fix this process, its in-memory index older than the other process's ingest, saved
    that stale index over the other's: its 40 vectors were gone for good and every later reader died
    with `Error finding id`."""
    vs = tmp_path / "vs"
    mine = seeded_library(vs)
    assert other_process(vs, other_sources(tmp_path / "theirs", 40)).wait(timeout=120) == 0
    third = tmp_path / "third"
    third.mkdir()
    for i in range(15):
        (third / f"alfred-{i}.md").write_text(f"# Alfred {i}\n\nCyclone Alfred update number {i}.\n", encoding="utf-8")
    ingest([str(third)], mine, build_embedder("hash"))
    assert all_vectors_readable(vs) == "86 86"


def test_a_retrieval_waits_for_an_ingest_in_progress_and_then_sees_all_of_it(tmp_path):
    """Before the fix nothing stopped a reader while another process held the write lock: it read a
    half-written library with a stale index and died with `Error finding id`."""
    vs = tmp_path / "vs"
    retriever = Retriever(seeded_library(vs), build_embedder("hash"), top_k=3)
    writer = other_process(vs, other_sources(tmp_path / "theirs", 40), "hold", stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)
    assert writer.stdout.readline().strip() == "ingested"  # the other process still holds the write lock
    found: list = []
    reader = threading.Thread(target=lambda: found.append(retriever.retrieve(["officials met in Jeddah on day 7"])))
    reader.start()
    reader.join(timeout=2)
    assert reader.is_alive(), "the retrieval did not wait for the ingest in progress"
    writer.stdin.close()  # the ingest ends
    reader.join(timeout=60)
    assert writer.wait(timeout=60) == 0 and found, "the retrieval failed (see the captured log)"
    assert found[0][0].chunk.source.title == "Note 7"  # the other process's source, whole


def test_a_library_written_without_the_lock_is_reopened_once_on_error_finding_id(tmp_path):
    """A program that writes the library without verify's lock leaves no token saying so; the read
    that trips over this process's stale index is tried once more on a reopened client."""
    vs = tmp_path / "vs"
    mine = seeded_library(vs)
    assert other_process(vs, other_sources(tmp_path / "theirs", 40), "unlocked").wait(timeout=120) == 0
    found = Retriever(mine, build_embedder("hash"), top_k=3).retrieve(["officials met in Jeddah on day 7"])
    assert found[0].chunk.source.title == "Note 7"  # the other program's chunk, read with its vector


def last_error(output: str) -> str:
    return next((line for line in reversed(output.splitlines()) if "rror" in line), output[-300:])


def test_two_reviewers_deciding_one_claim_conflict(store_url, seeded_run):
    run_id = seeded_run.run.id
    claim = seeded_run.claims[0]
    verdict = seeded_run.verdicts[claim.id]
    alice, bob = Store(seeded_run.store.location), Store(seeded_run.store.location)  # two dashboards, two connections
    seen_by_both = None  # both opened the claim before anyone decided
    decide(alice, run_id=run_id, claim_id=claim.id, reviewer="alice", action="approve", machine_verdict=verdict,
           expected_last_event=seen_by_both)
    with pytest.raises(ReviewConflict, match="alice changed this claim"):
        decide(bob, run_id=run_id, claim_id=claim.id, reviewer="bob", action="reject", machine_verdict=verdict,
               corrected_label="REFUTED", expected_last_event=seen_by_both)
    rows = alice.query("SELECT reviewer FROM review_events WHERE claim_id = ?", (claim.id,))
    assert [r[0] for r in rows] == ["alice"]  # bob's decision was not silently written over alice's
