"""Sources are never silently replaced or lost: identity is where a source lives (not its file name
or a front-matter id), and an ingest interrupted between Chroma batches is redone the next time.
Real Chroma folders, a real local web server and a real child process killed mid-ingest."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from verify.documents import load_document
from verify.embed import HashEmbeddings
from verify.ingest import chunk_document, ingest
from verify.vectorstore import VectorStore

KURSK = "Ukraine's General Staff denied that its troops in Kursk were encircled."
STORM = "The storm closed the harbour of Port Alba for three days."


def new_store(tmp_path, name: str = "vs") -> VectorStore:
    return VectorStore(tmp_path / name, "sources", "hash:64")


def write(path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def texts_by_source(vstore: VectorStore) -> dict[str, str]:
    ids = [s.source_id for s in vstore.sources()]
    return {c.source.source_id: c.text for c in vstore.get_chunks([f"{i}:0" for i in ids]).values()}


# --- same name, other place -----------------------------------------------------------------------


def test_a_file_with_the_same_name_in_another_folder_is_a_new_source(tmp_path):
    vstore = new_store(tmp_path)
    ingest([write(tmp_path / "reuters" / "report.txt", KURSK)], vstore, HashEmbeddings(64))
    second = ingest([write(tmp_path / "afp" / "report.txt", STORM)], vstore, HashEmbeddings(64))
    assert not second.replaced and len(second.added) == 1 and second.added[0].startswith("report-")
    assert texts_by_source(vstore) == {"report": KURSK, second.added[0]: STORM}


def test_its_suffixed_id_is_stable_when_it_changes(tmp_path):
    vstore = new_store(tmp_path)
    ingest([write(tmp_path / "reuters" / "report.txt", KURSK)], vstore, HashEmbeddings(64))
    other = tmp_path / "afp" / "report.txt"
    first_id = ingest([write(other, STORM)], vstore, HashEmbeddings(64)).added[0]
    again = ingest([write(other, STORM + " Ferries resumed on Friday.")], vstore, HashEmbeddings(64))
    assert again.replaced == [first_id] and not again.added
    assert texts_by_source(vstore)["report"] == KURSK


def test_the_same_file_named_another_way_is_still_an_update(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "sources" / "report.txt"
    vstore = new_store(tmp_path)
    write(path, KURSK)
    ingest(["sources/report.txt"], vstore, HashEmbeddings(64))
    write(path, STORM)
    report = ingest([str(path)], vstore, HashEmbeddings(64))
    assert report.replaced == ["report"] and not report.added
    assert texts_by_source(vstore) == {"report": STORM}


class Pages:
    """A local web server whose page text depends on the query string: /article?id=N."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                page = parse_qs(urlparse(self.path).query).get("id", ["0"])[0]
                body = {"1": KURSK, "2": STORM}.get(page, "No such page.").encode()
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture(scope="module")
def pages():
    server = Pages()
    yield server
    server.httpd.shutdown()


def test_a_url_differing_only_in_its_query_string_is_a_new_source(tmp_path, pages, monkeypatch):
    monkeypatch.setenv("VERIFY_ALLOW_PRIVATE_URLS", "1")  # the test server is on 127.0.0.1
    vstore = new_store(tmp_path)
    first = ingest([pages.url("/article?id=1")], vstore, HashEmbeddings(64))
    assert len(first.added) == 1, first.failed
    second = ingest([pages.url("/article?id=2")], vstore, HashEmbeddings(64))
    assert not second.replaced and len(second.added) == 1
    assert texts_by_source(vstore) == {first.added[0]: KURSK, second.added[0]: STORM}
    assert ingest([pages.url("/article?id=1#top")], vstore, HashEmbeddings(64)).unchanged == first.added


# --- front-matter ids -----------------------------------------------------------------------------


def front_matter(source_id: str, title: str, url: str, text: str) -> str:
    return f'---\nid: {source_id}\ntitle: "{title}"\nurl: "{url}"\n---\n{text}\n'


def test_a_front_matter_id_of_another_source_is_refused_and_the_original_kept(tmp_path):
    vstore = new_store(tmp_path)
    original = write(tmp_path / "lib" / "kyiv.md",
                     front_matter("kyiv-staff", "General Staff statement", "https://kyivindependent.com/x", KURSK))
    ingest([original], vstore, HashEmbeddings(64))
    impostor = write(tmp_path / "inbox" / "blog.md",
                     front_matter("kyiv-staff", "Blog", "https://blog.example", "Troops in Kursk were encircled."))
    report = ingest([impostor], vstore, HashEmbeddings(64))
    assert not report.replaced and not report.added
    assert report.failed == [(impostor, f"{impostor}: its front matter id 'kyiv-staff' is already the id of "
                                        f"{original}; give this file another id or remove the id line")]
    chunk = vstore.get_chunks(["kyiv-staff:0"])["kyiv-staff:0"]
    assert (chunk.text, chunk.source.title, chunk.source.url) == (KURSK, "General Staff statement",
                                                                 "https://kyivindependent.com/x")


def test_two_files_claiming_one_id_in_one_ingest_keep_the_first(tmp_path):
    first = write(tmp_path / "a" / "one.md", front_matter("shared-id", "One", "https://one.example", KURSK))
    second = write(tmp_path / "b" / "two.md", front_matter("shared-id", "Two", "https://two.example", STORM))
    vstore = new_store(tmp_path)
    report = ingest([first, second], vstore, HashEmbeddings(64))
    assert report.added == ["shared-id"] and [loc for loc, _ in report.failed] == [second]
    assert texts_by_source(vstore) == {"shared-id": KURSK}


def test_a_front_matter_id_still_updates_its_own_file(tmp_path):
    path = tmp_path / "lib" / "kyiv.md"
    vstore = new_store(tmp_path)
    ingest([write(path, front_matter("kyiv-staff", "T", "https://k.example", KURSK))], vstore, HashEmbeddings(64))
    report = ingest([write(path, front_matter("kyiv-staff", "T", "https://k.example", STORM))], vstore,
                    HashEmbeddings(64))
    assert report.replaced == ["kyiv-staff"] and not report.failed
    assert texts_by_source(vstore) == {"kyiv-staff": STORM}


# --- interrupted ingest ---------------------------------------------------------------------------

# The child ingests with 4 chunks per Chroma batch and stops after the first batch is stored,
# leaving a marker, so the parent can kill it exactly between two batches.
CHILD = r"""
import signal, sys, time
from pathlib import Path

# Ctrl+C as in a terminal: a test run started in the background (`cmd &` in a script) starts its
# children with SIGINT ignored, and Python then raises no KeyboardInterrupt.
signal.signal(signal.SIGINT, signal.default_int_handler)
from chromadb.api.models.Collection import Collection
from verify import vectorstore
from verify.embed import HashEmbeddings
from verify.ingest import ingest

source, folder, marker = sys.argv[1:4]
vectorstore.CHROMA_BATCH = 4
real_add = Collection.add

def add_then_wait(self, *args, **kwargs):
    real_add(self, *args, **kwargs)
    Path(marker).write_text("one batch stored")
    time.sleep(120)

Collection.add = add_then_wait
ingest([source], vectorstore.VectorStore(folder, "sources", "hash:64"), HashEmbeddings(64))
"""


def long_source(tmp_path) -> str:
    sentences = [f"Gauge {i} on the river Lys read {i % 37} centimetres above its normal level on Monday."
                 for i in range(200)]
    return write(tmp_path / "gauges.txt", " ".join(sentences))


def kill_between_batches(source: str, folder, marker, sig: signal.Signals) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, source, str(folder), str(marker)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the child never stored its first batch"
    child.send_signal(sig)
    assert child.wait(timeout=30) != 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl+C"])
def test_a_source_cut_short_between_batches_is_redone_by_the_next_ingest(tmp_path, sig):
    source = long_source(tmp_path)
    expected = len(chunk_document(load_document(source)))
    kill_between_batches(source, tmp_path / "vs", tmp_path / "marker", sig)
    vstore = new_store(tmp_path)
    assert vstore.count() == 4 < expected  # the first batch only

    report = ingest([source], vstore, HashEmbeddings(64))
    assert vstore.count() == expected
    assert len(vstore.get_chunks([f"gauges:{n}" for n in range(expected)])) == expected
    assert report.redone == ["gauges"] and not report.unchanged
    assert "1 redone (an earlier ingest was interrupted)" in report.summary()
    assert ingest([source], vstore, HashEmbeddings(64)).unchanged == ["gauges"]
