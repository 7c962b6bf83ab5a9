"""Hostile sources: undecodable files, PDF bombs, URLs into private networks, servers that drip their
headers, one-paragraph megabytes and stray NUL bytes. Each is read or refused by name; nothing aborts
the rest of an ingest and nothing private is fetched."""

from __future__ import annotations

import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE
from tests.fakes import extraction_reply
from tests.openai_server import Behaviour, OpenAICompatibleServer
from tests.test_documents import one_page_pdf
from verify.cli import app
from verify.documents import load_document
from verify.errors import InputError
from verify.text import split_sentences
from verify.vectorstore import VectorStore

GOOD = "The river Meuse rose by two metres overnight near Namur. The flood service said so on Monday.\n"


def bomb_pdf(expanded_bytes: int = 80_000_000) -> bytes:
    """A 80 KB PDF whose content stream inflates to 80 MB: over pypdf's 75 MB limit (LimitReachedError)."""
    packer = zlib.compressobj(9)
    block = b" " * 1_000_000
    data = b"".join(packer.compress(block) for _ in range(expanded_bytes // len(block))) + packer.flush()
    return one_page_pdf(data, b" /Filter /FlateDecode")


@pytest.fixture
def hostile_folder(tmp_path):
    """One good source among files that broke the old reader with a traceback."""
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "bom-then-garbage.txt").write_bytes(b"\xef\xbb\xbfA valid start. " + b"\xff\xfe\xfa then garbage.")
    (folder / "lone-surrogate.txt").write_bytes(
        b"\xff\xfe" + "A lone surrogate follows. ".encode("utf-16-le") + b"\x00\xd8" + "More.".encode("utf-16-le"))
    (folder / "bomb.pdf").write_bytes(bomb_pdf())
    return folder


HOSTILE_REASONS = {
    "bom-then-garbage.txt": "starts with a UTF-8 byte-order mark but is not valid UTF-8",
    "lone-surrogate.txt": "starts with a UTF-16 byte-order mark but is not valid UTF-16",
    "bomb.pdf": "decompression bomb",
}


def assert_hostile_files_skipped(output: str) -> None:
    assert "Traceback" not in output
    for name, reason in HOSTILE_REASONS.items():
        line = next((l for l in output.splitlines() if name in l), "")
        assert "skipped" in line and reason in line, (name, output)


def test_ingest_cli_skips_undecodable_files_and_pdf_bombs_and_keeps_the_rest(hostile_folder, tmp_path):
    result = CliRunner().invoke(app, ["ingest", str(hostile_folder), "--vectorstore", str(tmp_path / "vs"),
                                      "--embedder", "hash"])
    assert result.exit_code == 0, result.output
    assert_hostile_files_skipped(result.output)
    assert "1 added" in result.output and "3 failed" in result.output
    assert VectorStore(tmp_path / "vs", "sources", "hash").count() == 1


def test_run_with_hostile_sources_completes_with_the_good_ones(hostile_folder, tmp_path):
    with OpenAICompatibleServer(lambda request: Behaviour(extraction_reply())) as server:  # no claims: no judging
        result = CliRunner().invoke(app, ["run", str(SEED_ARTICLE), "--sources", str(hostile_folder),
                                          "--model", "test-model", "--base-url", server.base_url,
                                          "--vectorstore", str(tmp_path / "vs"), "--embedder", "hash"])
    assert result.exit_code == 0, result.output
    assert_hostile_files_skipped(result.output)
    assert "Sources: 1 added" in result.output
    assert VectorStore(tmp_path / "vs", "sources", "hash").count() == 1


def test_nul_bytes_after_the_first_8_kb_never_reach_the_text(tmp_path):
    path = tmp_path / "padded.txt"
    path.write_bytes(GOOD.encode() * 100 + b"\x00" * 50 + b"Hidden\x00 after the padding.\n")  # 9.5 KB of text first
    doc = load_document(str(path))
    assert "\x00" not in doc.text and "\x00" not in doc.meta.title
    assert doc.text.endswith("Hidden after the padding.")


# --- one enormous paragraph ------------------------------------------------------------------------


def test_a_1_mb_paragraph_splits_in_seconds_with_exact_offsets():
    sentence = "Le niveau de la Meuse a monté de 2,5 m. selon M. Dupont, du service des crues, lundi matin. "
    text = (sentence * (1_000_000 // len(sentence))).strip()  # 1 MB, not one line break
    started = time.monotonic()
    spans = split_sentences(text, "fr")
    assert time.monotonic() - started < 30  # the old splitter needed over 600 s
    assert all(text[s:e] == text[s:e].strip() and e > s for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")  # nothing lost
    assert len(spans) > 10_000 and max(e - s for s, e in spans) < 200


# --- URLs ------------------------------------------------------------------------------------------


class Pages:
    """Two web servers: a 'public' one on 127.0.0.1 and an 'internal' one on 127.0.0.2 holding a secret."""

    def __init__(self):
        self.internal = self._serve("127.0.0.2", lambda path: (200, {}, b"internal secret: db password"))
        self.public = self._serve("127.0.0.1", self._public)

    def _public(self, path: str):
        if path.startswith("/redirect?to="):
            return 302, {"Location": path.split("=", 1)[1]}, b""
        return 200, {}, GOOD.encode()

    @staticmethod
    def _serve(host: str, answer):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                status, headers, body = answer(self.path)
                self.send_response(status)
                for key, value in {"content-type": "text/plain", "content-length": str(len(body)), **headers}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        httpd = ThreadingHTTPServer((host, 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        return httpd

    def url(self, server, path: str) -> str:
        return f"http://{server.server_address[0]}:{server.server_address[1]}{path}"

    def close(self):
        for server in (self.public, self.internal):
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def pages():
    server = Pages()
    yield server
    server.close()


@pytest.fixture
def only_127_0_0_1_is_allowed(monkeypatch):
    """127.0.0.1 plays the public web here: allow exactly that address, as an intranet allow-list would."""
    monkeypatch.setenv("VERIFY_ALLOW_PRIVATE_URLS", "127.0.0.1/32")


def test_loopback_url_is_refused_by_default(pages, monkeypatch):
    monkeypatch.delenv("VERIFY_ALLOW_PRIVATE_URLS", raising=False)
    with pytest.raises(InputError, match=r"127\.0\.0\.1, a loopback address.*VERIFY_ALLOW_PRIVATE_URLS=1"):
        load_document(pages.url(pages.public, "/page"))


def test_redirect_to_an_internal_address_is_refused(pages, only_127_0_0_1_is_allowed):
    assert load_document(pages.url(pages.public, "/page")).text == GOOD.strip()  # the allowed host is read
    target = pages.url(pages.internal, "/latest/meta-data/")
    with pytest.raises(InputError, match=r"refused to connect to 127\.0\.0\.2 \(127\.0\.0\.2, a loopback address\)"):
        load_document(pages.url(pages.public, f"/redirect?to={target}"), timeout_s=2)


def test_redirect_to_the_cloud_metadata_address_is_refused_before_connecting(pages, only_127_0_0_1_is_allowed):
    started = time.monotonic()
    with pytest.raises(InputError, match=r"169\.254\.169\.254, a link-local address"):
        load_document(pages.url(pages.public, "/redirect?to=http://169.254.169.254/latest/meta-data/"), timeout_s=3)
    assert time.monotonic() - started < 1  # refused at once, not a connection attempt timing out


def test_host_names_are_checked_on_the_address_actually_connected_to(pages, monkeypatch):
    monkeypatch.delenv("VERIFY_ALLOW_PRIVATE_URLS", raising=False)
    port = pages.internal.server_address[1]
    with pytest.raises(InputError, match=r"refused to connect to localhost \(127\.0\.0\.1, a loopback address\)"):
        load_document(f"http://localhost:{pages.public.server_address[1]}/page", timeout_s=2)
    with pytest.raises(InputError, match=r"\(127\.0\.0\.2, a loopback address\)"):
        load_document(f"http://2130706434:{port}/", timeout_s=2)  # 127.0.0.2 written as one number

    # DNS rebinding: a name that resolves to an allowed address once, then to the internal one.
    monkeypatch.setenv("VERIFY_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    real, answers = socket.getaddrinfo, iter(["127.0.0.1"] + ["127.0.0.2"] * 10)
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda host, *a, **k: real(next(answers) if host == "news.example" else host, *a, **k))
    try:
        text = load_document(f"http://news.example:{port}/latest/meta-data/", timeout_s=2).text
    except InputError as exc:
        text = str(exc)
    assert "secret" not in text


def test_private_urls_are_read_with_the_opt_in(pages, monkeypatch):
    monkeypatch.setenv("VERIFY_ALLOW_PRIVATE_URLS", "1")
    target = pages.url(pages.internal, "/")
    assert "internal secret" in load_document(pages.url(pages.public, f"/redirect?to={target}")).text


def dripping_header_server(interval_s: float, lines: int) -> tuple[socket.socket, str]:
    """A raw server that answers with one header line every `interval_s`, then a short body."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for n in range(lines):
                    time.sleep(interval_s)
                    conn.sendall(b"X-Drip-%d: waiting\r\n" % n)
                conn.sendall(b"Content-Type: text/plain\r\nContent-Length: 13\r\n\r\nA short page.")
            except OSError:
                pass

    threading.Thread(target=serve, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}/"


def test_headers_dripping_slowly_are_cut_at_the_time_limit(monkeypatch):
    monkeypatch.setenv("VERIFY_ALLOW_PRIVATE_URLS", "1")
    listener, url = dripping_header_server(interval_s=0.3, lines=40)  # 12 s of headers, each read well in time
    started = time.monotonic()
    with pytest.raises(InputError, match="timed out after 1 s"):
        load_document(url, timeout_s=1.0)
    assert time.monotonic() - started < 2.5
    listener.close()
