"""The source library on a real Chroma server (`chroma run`, started here on 127.0.0.1), as a team shares it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE, SEED_SOURCES, make_pipeline, seed_script
from tests.fakes import register_fake, scripted
from verify import library_lock
from verify.cli import app
from verify.config import Settings
from verify.embed import build_embedder
from verify.errors import ConfigError, EmbedderMismatch, VectorStoreError
from verify.ingest import ingest
from verify.vectorstore import VectorStore

runner = CliRunner()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_client(url: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port = url.removeprefix("http://").split(":")
    return chromadb.HttpClient(host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False))


def start_server(folder) -> tuple[subprocess.Popen, str]:
    """`chroma run` (the command chromadb installs) on a free local port, once it answers."""
    chroma = shutil.which("chroma")
    if chroma is None:
        pytest.fail("the `chroma` command (installed with chromadb) is not on PATH")
    port = free_port()
    with (folder / "server.log").open("wb") as log:
        server = subprocess.Popen([chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path",
                                   str(folder / "data")], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            http_client(url).heartbeat()
            return server, url
        except Exception:  # noqa: BLE001 - not listening yet
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"chroma run did not start: {(folder / 'server.log').read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """A real Chroma server shared by this module's tests (each uses its own collection)."""
    server, url = start_server(tmp_path_factory.mktemp("chroma-server"))
    yield url
    stop(server)


def test_a_run_retrieves_from_the_server_and_never_touches_a_folder(chroma_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a URL mistaken for a folder would appear here as ./http:
    monkeypatch.setenv("VERIFY_VECTORSTORE", chroma_url)
    pipeline = make_pipeline(scripted(*seed_script()), collection="run-on-server")
    outcome = pipeline.run(str(SEED_ARTICLE), [str(SEED_SOURCES)])

    cited = [c for v in outcome.verdicts.values() for c in v.citations]
    assert cited and all(c.source_id for c in cited)
    assert http_client(chroma_url).get_collection("run-on-server").count() == pipeline.vstore.count() > 0
    assert not (tmp_path / "http:").exists()
    # The embedded folder's lock and client cache stay out of the server path.
    assert not any("http" in key or "127.0.0.1" in key for key in library_lock._LOCKS)


def test_another_clients_writes_are_seen_at_once(chroma_url):
    """What the folder needs a lock and a reopened client for: a server serves every client one index."""
    vstore = VectorStore(chroma_url, "seen-at-once", "hash:8")
    other = http_client(chroma_url).get_collection("seen-at-once")  # another machine, in effect
    other.add(ids=["s:0"], documents=["The ECB cut its rate by half a point."], embeddings=[[1.0] + [0.0] * 7],
              metadatas=[{"source_id": "s", "content_hash": "h", "title": "ECB", "n": 0, "start": 0, "end": 37}])
    assert vstore.count() == 1
    assert vstore.query([[1.0] + [0.0] * 7], 1) == [[("s:0", pytest.approx(1.0))]]


def test_cli_ingest_takes_the_server_as_a_flag(chroma_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ingest", str(SEED_SOURCES), "--vectorstore", chroma_url, "--collection", "by-flag"])
    assert result.exit_code == 0, result.output
    assert f"chunks in {chroma_url}/by-flag" in result.output
    assert http_client(chroma_url).get_collection("by-flag").count() > 0
    assert not (tmp_path / "http:").exists()


def test_embedder_mismatch_is_refused_on_the_server(chroma_url):
    VectorStore(chroma_url, "stamped", "hash")
    assert http_client(chroma_url).get_collection("stamped").metadata["embedder"] == "hash"  # stamped on the server
    with pytest.raises(EmbedderMismatch, match="built with embedder 'hash'"):
        VectorStore(chroma_url, "stamped", "hash:16")


def test_rebuild_on_the_server_empties_only_that_collection(chroma_url):
    kept = VectorStore(chroma_url, "kept-one", "hash")
    ingest([str(SEED_SOURCES)], kept, build_embedder("hash"))
    dropped = VectorStore(chroma_url, "dropped-one", "hash")
    ingest([str(SEED_SOURCES)], dropped, build_embedder("hash"))

    rebuilt = VectorStore.rebuild(chroma_url, "dropped-one", "hash:16")
    assert rebuilt.count() == 0 and rebuilt.moved_aside is None
    assert kept.count() > 0


def test_a_server_that_does_not_answer_is_one_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("VERIFY_VECTORSTORE", url)
    result = runner.invoke(app, ["ingest", str(SEED_SOURCES)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: the Chroma server at {url} did not answer")
    assert "chroma run --host 127.0.0.1" in result.output and "Traceback" not in result.output
    with pytest.raises(VectorStoreError, match="did not answer"):
        VectorStore(url, "sources", "hash")


def test_a_malformed_server_address_is_refused_before_anything_opens(monkeypatch):
    monkeypatch.setenv("VERIFY_VECTORSTORE", "http://127.0.0.1:port")
    with pytest.raises(ConfigError, match="VERIFY_VECTORSTORE=.*http://host:port"):
        Settings.from_env()


def test_a_server_lost_midway_is_one_clear_error(tmp_path):
    server, url = start_server(tmp_path)
    try:
        vstore = VectorStore(url, "lost-midway", "hash")
        ingest([str(SEED_SOURCES)], vstore, build_embedder("hash"))
    finally:
        stop(server)
    with pytest.raises(VectorStoreError, match=f"the Chroma server at {url} did not answer .*chroma run"):
        vstore.count()


def test_verify_run_names_the_server_as_its_vector_store(chroma_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VERIFY_EXTRACT_MODE", "abstractive")
    monkeypatch.setenv("VERIFY_WINDOW_CHARS", "20000")  # one extraction call, as scripted
    register_fake(scripted(*seed_script()))
    result = runner.invoke(app, ["run", str(SEED_ARTICLE), "--sources", str(SEED_SOURCES), "--model", "fake", "-j", "1",
                                 "--vectorstore", chroma_url, "--collection", "cli-run"])
    assert result.exit_code == 0, result.output
    assert f"(vector store {chroma_url})" in " ".join(result.output.split())
    assert http_client(chroma_url).get_collection("cli-run").count() > 0
