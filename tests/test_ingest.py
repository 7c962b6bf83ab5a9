import pytest

from verify.embed import HashEmbeddings
from verify.errors import EmbedderMismatch
from verify.ingest import ingest
from verify.vectorstore import VectorStore


class CountingEmbeddings(HashEmbeddings):
    def __init__(self):
        super().__init__(64)
        self.texts = 0

    def encode(self, texts):
        self.texts += len(texts)
        return super().encode(texts)


def library(tmp_path, **files):
    folder = tmp_path / "sources"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_chunks_keep_whole_sentences_with_source_offsets(tmp_path):
    text = "Witkoff met Putin in Moscow. " * 40
    folder = library(tmp_path, **{"talks.txt": text})
    vs = VectorStore(tmp_path / "vs", "sources", "hash:64")
    report = ingest([str(folder)], vs, CountingEmbeddings())
    assert report.added == ["talks"] and report.chunks_added > 1
    chunks = vs.get_chunks([f"talks:{n}" for n in range(report.chunks_added)])
    for chunk in chunks.values():
        for sentence in chunk.sentences:
            assert text[sentence.start:sentence.end] == sentence.text == "Witkoff met Putin in Moscow."


def test_reingesting_unchanged_sources_does_no_embedding_work(tmp_path):
    folder = library(tmp_path, **{"a.txt": "Peskov spoke on Friday.", "b.txt": "Leavitt spoke on Friday."})
    vs = VectorStore(tmp_path / "vs", "sources", "hash:64")
    embedder = CountingEmbeddings()
    ingest([str(folder)], vs, embedder)
    first = embedder.texts
    report = ingest([str(folder)], vs, embedder)
    assert first > 0 and embedder.texts == first
    assert sorted(report.unchanged) == ["a", "b"]


def test_changed_source_replaces_its_old_chunks(tmp_path):
    folder = library(tmp_path, **{"a.txt": "Old text about Kursk."})
    vs = VectorStore(tmp_path / "vs", "sources", "hash:64")
    ingest([str(folder)], vs, CountingEmbeddings())
    (folder / "a.txt").write_text("New text about Moscow.", encoding="utf-8")
    report = ingest([str(folder)], vs, CountingEmbeddings())
    assert report.replaced == ["a"]
    assert vs.count() == 1
    assert vs.get_chunks(["a:0"])["a:0"].text == "New text about Moscow."


def test_empty_and_binary_sources_are_reported_and_the_rest_goes_on(tmp_path):
    folder = library(tmp_path, **{"empty.txt": "", "good.txt": "Kyiv denied the encirclement."})
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    report = ingest([str(folder)], VectorStore(tmp_path / "vs", "sources", "hash:64"), CountingEmbeddings())
    assert report.added == ["good"]
    failed = dict(report.failed)
    assert "empty file" in failed[str(folder / "empty.txt")]
    assert "binary" in failed[str(folder / "blob.txt")]


def test_duplicate_content_is_skipped_and_named(tmp_path):
    folder = library(tmp_path, **{"a.txt": "Same words here.", "copy.txt": "Same words here."})
    report = ingest([str(folder)], VectorStore(tmp_path / "vs", "sources", "hash:64"), CountingEmbeddings())
    assert report.added == ["a"]
    assert report.duplicates == [(str(folder / "copy.txt"), "a")]


def test_a_different_embedder_is_refused_with_a_clear_message(tmp_path):
    VectorStore(tmp_path / "vs", "sources", "hash:64")
    with pytest.raises(EmbedderMismatch, match="built with embedder 'hash:64'.*--embedder hash:64"):
        VectorStore(tmp_path / "vs", "sources", "use")


def test_rebuild_starts_an_empty_collection_with_the_new_embedder(tmp_path):
    folder = library(tmp_path, **{"a.txt": "Kremlin statement."})
    vs = VectorStore(tmp_path / "vs", "sources", "hash:64")
    ingest([str(folder)], vs, CountingEmbeddings())
    rebuilt = VectorStore.rebuild(tmp_path / "vs", "sources", "hash:32")
    assert rebuilt.count() == 0


def store_as_before_locations_were_recorded(vs, location: str, source_id: str | None = None):
    """Chunks written the way an older verify wrote them: no location, no chunk count."""
    from verify.documents import load_document
    from verify.ingest import chunk_document

    doc = load_document(location)
    doc.meta.source_id = source_id or doc.meta.source_id
    chunks = chunk_document(doc)
    vs.add_chunks(chunks, HashEmbeddings(64).embed_documents([c.text for c in chunks]))


def test_a_library_stored_by_an_older_verify_is_not_embedded_again(tmp_path):
    folder = library(tmp_path, **{"a.txt": "Peskov spoke on Friday.", "b.txt": "Leavitt spoke on Friday."})
    vs = VectorStore(tmp_path / "vs", "sources", "hash:64")
    store_as_before_locations_were_recorded(vs, str(folder / "a.txt"))
    store_as_before_locations_were_recorded(vs, str(folder / "b.txt"), source_id="b-1a2b3c")  # an old suffixed id
    embedder = CountingEmbeddings()
    report = ingest([str(folder)], vs, embedder)
    assert sorted(report.unchanged) == ["a", "b-1a2b3c"] and embedder.texts == 0
    (folder / "b.txt").write_text("Leavitt spoke on Saturday.", encoding="utf-8")
    assert ingest([str(folder)], vs, embedder).replaced == ["b-1a2b3c"]
