"""The Chroma vector store: embedder mismatch refused, a deleted or corrupted folder explained and
recovered with `verify ingest --rebuild`, a changed source replacing its old chunks."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

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
    from tests.fakes import extraction_reply, scripted
    from verify.pipeline import SilentProgress

    shutil.rmtree(vs_path)
    notes: list[str] = []

    class Notes(SilentProgress):
        def note(self, message: str) -> None:
            notes.append(message)

    pipeline = make_pipeline(scripted(extraction_reply()), vectorstore=vs_path)
    pipeline.progress = Notes()
    outcome = pipeline.run(str(SEED_SOURCES / "nbc-kellogg-talks.md"))  # the model finds no claims
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
    assert "moved aside, not deleted" in result.output
    rebuilt = runner.invoke(app, ["ingest", "--rebuild", str(SEED_SOURCES), "--vectorstore", str(vs_path)])
    assert rebuilt.exit_code == 0 and "17 added" in rebuilt.output, rebuilt.output
    aside = list(vs_path.parent.glob("vectorstore.broken-*"))  # the broken files kept, not deleted
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").read_bytes() == b"\x00garbage" * 4096
    assert str(aside[0]) in rebuilt.output


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
    from verify.chroma_internals import forget_client
    from verify.documents import Document
    from verify.ingest import IngestReport, ingest_documents
    from verify.models import SourceMeta, content_hash

    path = tmp_path / "vs"
    docs = [Document(text=t, meta=SourceMeta(source_id=f"g{i}", language="en", content_hash=content_hash(t)))
            for i, t in enumerate(f"Gauge {i} read {i % 97} centimetres on Monday." for i in range(1100))]
    ingest_documents(docs, VectorStore(path, "sources", "hash"), build_embedder("hash"), IngestReport())
    forget_client(path)  # as a new process would, read the index from disk
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


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 1 MB file system (tmpfs), so Chroma meets a genuinely full disk; needs root to mount."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                                           capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)  # Chroma keeps files open


def fill(folder) -> None:
    with open(folder / "filler", "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_a_full_disk_under_the_library_is_reported_as_full_and_rebuild_is_never_advised(tiny_disk, tmp_path):
    library = tiny_disk / "vectorstore"
    one = str(SEED_SOURCES / "nbc-kellogg-talks.md")
    assert runner.invoke(app, ["ingest", one, "--vectorstore", str(library)]).exit_code == 0
    fill(tiny_disk)
    for command in (["ingest", str(SEED_SOURCES)], ["ingest", "--rebuild", str(SEED_SOURCES)]):
        result = runner.invoke(app, [*command, "--vectorstore", str(library)])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "is full" in result.output and "free some space" in result.output
        assert "could not be opened" not in result.output and "verify ingest --rebuild" not in result.output
    assert (library / "chroma.sqlite3").stat().st_size > 0  # the library is still there, untouched
    assert not list(tiny_disk.glob("*.broken-*"))
    (tiny_disk / "filler").unlink()
    again = runner.invoke(app, ["ingest", one, "--vectorstore", str(library)])
    assert again.exit_code == 0 and "1 unchanged" in again.output, again.output


def test_sqlite_disk_full_from_chroma_is_reported_as_a_full_disk(tmp_path, monkeypatch):
    """The same check without a mount: the exact error Chroma raised on the full tmpfs above."""
    from chromadb.errors import InternalError

    from verify.errors import VectorStoreError

    vstore = VectorStore(tmp_path / "vs", "sources", "hash")

    def full(*args, **kwargs):
        raise InternalError("Query error: Database error: error returned from database: (code: 13) "
                            "database or disk is full")

    monkeypatch.setattr(type(vstore.collection), "add", full)
    with pytest.raises(VectorStoreError, match="is full") as caught:
        ingest([str(SEED_SOURCES / "nbc-kellogg-talks.md")], vstore, build_embedder("hash"))
    assert "--rebuild" not in str(caught.value)
