"""The Chroma vector store: embedder mismatch refused, a deleted or corrupted folder explained and
recovered with `verify ingest --rebuild`, a changed source replacing its old chunks."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_SOURCES
from verify.cli import app
from verify.embed import build_embedder
from verify.errors import EmbedderMismatch
from verify.ingest import ingest
from verify.vectorstore import VectorStore

runner = CliRunner()


@pytest.fixture
def vs_path(tmp_path):
    path = tmp_path / "vectorstore"
    assert runner.invoke(app, ["ingest", str(SEED_SOURCES), "--vectorstore", str(path)]).exit_code == 0
    return path


def test_embedder_mismatch_is_refused(vs_path):
    with pytest.raises(EmbedderMismatch, match="built with embedder 'hash', not 'hash:64'"):
        VectorStore(vs_path, "sources", "hash:64")
    result = runner.invoke(app, ["ingest", str(SEED_SOURCES), "--vectorstore", str(vs_path), "--embedder", "hash:64"])
    assert result.exit_code == 2 and "--rebuild" in result.output and "Traceback" not in result.output


def test_deleted_vectorstore_is_explained_and_rebuilt(vs_path, tmp_path):
    from tests.conftest import make_pipeline
    from tests.fakes import scripted
    from verify.pipeline import SilentProgress

    shutil.rmtree(vs_path)
    notes: list[str] = []

    class Notes(SilentProgress):
        def note(self, message: str) -> None:
            notes.append(message)

    pipeline = make_pipeline(scripted(), vectorstore=vs_path)
    pipeline.progress = Notes()
    outcome = pipeline.run(str(SEED_SOURCES / "nbc-kellogg-talks.md"))  # no replies scripted: no claims
    assert outcome.run.status == "done"
    assert any("source library is empty" in n and "verify ingest" in n for n in notes)
    result = runner.invoke(app, ["ingest", "--rebuild", str(SEED_SOURCES), "--vectorstore", str(vs_path)])
    assert result.exit_code == 0 and "17 added" in result.output


def test_corrupted_vectorstore_is_a_clear_error_and_rebuild_recovers(vs_path):
    (vs_path / "chroma.sqlite3").write_bytes(b"\x00garbage" * 4096)
    for wal in vs_path.glob("chroma.sqlite3-*"):
        wal.unlink()
    result = runner.invoke(app, ["ingest", str(SEED_SOURCES), "--vectorstore", str(vs_path)])
    assert result.exit_code == 2 and "could not be opened" in result.output
    assert "verify ingest --rebuild" in result.output and "Traceback" not in result.output
    rebuilt = runner.invoke(app, ["ingest", "--rebuild", str(SEED_SOURCES), "--vectorstore", str(vs_path)])
    assert rebuilt.exit_code == 0 and "17 added" in rebuilt.output, rebuilt.output


def test_reingest_of_a_changed_source_replaces_its_old_chunks(tmp_path):
    source = tmp_path / "port.md"
    source.write_text("The port reopened on Monday. Ferries resumed at noon.\n")
    vstore = VectorStore(tmp_path / "vs", "sources", "hash")
    embedder = build_embedder("hash")
    ingest([str(source)], vstore, embedder)
    source.write_text("The port stayed closed on Monday. Ferries were cancelled all week.\n")
    report = ingest([str(source)], vstore, embedder)
    assert report.replaced == ["port"]
    texts = vstore.collection.get(where={"source_id": "port"}, include=["documents"])["documents"]
    assert texts == ["The port stayed closed on Monday. Ferries were cancelled all week."]


def test_corrupted_index_files_are_a_clear_error_at_query_time_and_rebuild_recovers(tmp_path, monkeypatch):
    from tests.conftest import SEED_ARTICLE, SEED_CLAIMS
    from tests.fakes import extraction_reply
    from tests.faults.conftest import is_extraction
    from tests.openai_server import Behaviour, OpenAICompatibleServer
    from verify.documents import Document
    from verify.ingest import IngestReport, ingest_documents
    from verify.models import SourceMeta, content_hash
    from verify.vectorstore import _forget_client

    path = tmp_path / "vs"
    docs = [Document(text=t, meta=SourceMeta(source_id=f"g{i}", language="en", content_hash=content_hash(t)))
            for i, t in enumerate(f"Gauge {i} read {i % 97} centimetres on Monday." for i in range(1100))]
    ingest_documents(docs, VectorStore(path, "sources", "hash"), build_embedder("hash"), IngestReport())
    _forget_client(path)  # as a new process would, read the index from disk
    index_files = list(path.rglob("*.bin"))
    assert index_files  # over 1,000 chunks Chroma persists an HNSW index
    for file in index_files:
        file.write_bytes(b"\x07garbage" * 100)

    def reply(request):
        return Behaviour(extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS[:1]]) if is_extraction(request) else "")

    monkeypatch.setenv("VERIFY_EXTRACT_MODE", "abstractive")
    with OpenAICompatibleServer(reply) as server:
        result = runner.invoke(app, ["run", str(SEED_ARTICLE), "--model", "m", "--base-url", server.base_url,
                                     "--vectorstore", str(path)])
    assert result.exit_code == 2 and "may be corrupted" in result.output and "--rebuild" in result.output
    assert "Traceback" not in result.output
    rebuilt = runner.invoke(app, ["ingest", "--rebuild", str(SEED_SOURCES), "--vectorstore", str(path)])
    assert rebuilt.exit_code == 0 and "17 added" in rebuilt.output, rebuilt.output
