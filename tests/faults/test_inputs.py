"""Hostile and broken inputs: each is read correctly or refused with a message naming it and the cause."""

from __future__ import annotations

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from verify.cli import app
from verify.config import Settings
from verify.documents import load_document
from verify.embed import build_embedder
from verify.errors import InputError
from verify.ingest import ingest
from verify.vectorstore import VectorStore

FRENCH = "Le café coûte deux euros à Genève. Les habitués trouvent ce prix très élevé, dit-on au marché."


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_empty_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="empty file"):
        load_document(write(tmp_path, "empty.txt", b" \n\n "))


def test_binary_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="binary"):
        load_document(write(tmp_path, "photo.txt", bytes(range(256)) * 64))


def test_latin1_file_is_decoded(tmp_path):
    doc = load_document(write(tmp_path, "latin1.txt", FRENCH.encode("latin-1")))
    assert doc.text == FRENCH


def test_utf16_file_with_bom_is_decoded(tmp_path):
    doc = load_document(write(tmp_path, "utf16.txt", FRENCH.encode("utf-16")))  # BOM first
    assert doc.text == FRENCH


def test_50_mb_text_file_is_refused_with_a_size_message(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.write(b"The river rose again. " * 2_300_000)  # 50.6 MB of real text
    result = CliRunner().invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1  # nothing could be ingested
    assert "50.6 MB is over the 20 MB input limit" in result.output
    assert "VERIFY_MAX_INPUT_BYTES" in result.output and "Traceback" not in result.output


def test_input_size_limit_is_configurable(tmp_path, monkeypatch):
    path = write(tmp_path, "note.txt", FRENCH.encode() * 40)  # ~4 KB
    monkeypatch.setenv("VERIFY_MAX_INPUT_BYTES", "1000")
    with pytest.raises(InputError, match="over the"):
        load_document(path, max_bytes=Settings.from_env().max_input_bytes)
    monkeypatch.setenv("VERIFY_MAX_INPUT_BYTES", "100000")
    assert load_document(path, max_bytes=Settings.from_env().max_input_bytes).text.startswith("Le café")


def test_broken_html_still_yields_its_text(tmp_path):
    html = ("<html><head><title>Flood warning</title><body><div class='story'><p>The river Meuse rose by two "
            "metres overnight near Namur, the regional flood service said on Monday morning.<p>Residents of "
            "three streets were told to leave their homes before noon. <b>Schools stay <i>closed</div>"
            "<script>var x = '<p>not text</p>'")
    doc = load_document(write(tmp_path, "broken.html", html.encode()))
    assert "river Meuse rose by two metres" in doc.text and "not text" not in doc.text


def test_encrypted_pdf_is_refused(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(InputError, match="encrypted"):
        load_document(write(tmp_path, "locked.pdf", buffer.getvalue()))


def test_image_only_pdf_is_refused(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)  # no text layer, as a scanned page
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(InputError, match="no text layer"):
        load_document(write(tmp_path, "scan.pdf", buffer.getvalue()))


# --- URLs ------------------------------------------------------------------------------------------


class WebServer:
    """A local web server with a slow page, a missing page, an endless body and a slow drip."""

    def __init__(self):
        self.sent = {"endless": 0}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/slow":
                    time.sleep(3)
                if self.path == "/missing":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                if self.path == "/declared":
                    self.send_header("content-length", str(5 * 10**9))
                self.end_headers()
                try:
                    if self.path == "/endless":  # no content-length: a 5 GB body, as far as anyone knows
                        block = b"x" * 65536
                        while outer.sent["endless"] < 5 * 10**9:
                            self.wfile.write(block)
                            outer.sent["endless"] += len(block)
                    elif self.path == "/drip":
                        for _ in range(600):
                            self.wfile.write(b"drip ")
                            self.wfile.flush()
                            time.sleep(0.05)
                    else:
                        self.wfile.write(b"A short page.")
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture(scope="module")
def web():
    server = WebServer()
    yield server
    server.httpd.shutdown()


@pytest.fixture(autouse=True)
def local_urls_allowed(monkeypatch):
    """The test server is on 127.0.0.1, a loopback address URL sources may not reach without this opt-in."""
    monkeypatch.setenv("VERIFY_ALLOW_PRIVATE_URLS", "1")


def test_url_that_times_out_is_refused(web):
    started = time.monotonic()
    with pytest.raises(InputError, match="timed out after"):
        load_document(web.url("/slow"), timeout_s=0.5)
    assert time.monotonic() - started < 2.5


def test_url_returning_404_is_refused(web):
    with pytest.raises(InputError, match="HTTP 404"):
        load_document(web.url("/missing"))


def test_url_declaring_a_5_gb_body_is_refused_before_reading(web):
    with pytest.raises(InputError, match="5000.0 MB is over the 1 MB limit"):
        load_document(web.url("/declared"), max_bytes=1_000_000)


def test_url_streaming_an_endless_body_is_cut_at_the_size_limit(web):
    with pytest.raises(InputError, match="over the 1 MB limit; stopped reading"):
        load_document(web.url("/endless"), max_bytes=1_000_000)
    time.sleep(0.3)
    assert web.sent["endless"] < 20_000_000  # stopped early: what was sent is the limit plus socket buffers


def test_url_dripping_slowly_is_cut_at_the_time_limit(web):
    started = time.monotonic()
    with pytest.raises(InputError, match="still downloading after 1 s"):
        load_document(web.url("/drip"), timeout_s=1.0)
    assert time.monotonic() - started < 3


# --- folders and duplicates ------------------------------------------------------------------------


def test_folder_with_thousands_of_files_reports_progress(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(3000):
        (folder / f"note-{i:04d}.txt").write_text(
            f"Gauge {i} read {i % 97} centimetres on Monday. The flood service said the level was normal.\n")
    calls: list[tuple[int, int]] = []
    vstore = VectorStore(tmp_path / "vs", "sources", "hash")
    report = ingest([str(folder)], vstore, build_embedder("hash"), on_progress=lambda d, t, n: calls.append((d, t)))
    assert len(report.added) == 3000 and not report.failed
    assert len(calls) == 3001 and calls[-1] == (3000, 3000)
    assert vstore.count() == 3000


def test_duplicate_sources_are_stored_once(tmp_path):
    text = "The ECB cut its deposit rate by a quarter point on Thursday, to 2.5 percent.\n"
    a = write(tmp_path, "ecb.txt", text.encode())
    b = write(tmp_path, "ecb-copy.txt", text.encode())
    vstore = VectorStore(tmp_path / "vs", "sources", "hash")
    report = ingest([a, b, a], vstore, build_embedder("hash"))
    assert report.added == ["ecb"] and len(report.duplicates) == 2
    assert vstore.count() == 1
