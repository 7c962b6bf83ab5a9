import pytest

from verify.documents import decode_text, expand_sources, load_document
from verify.errors import InputError


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def test_markdown_front_matter_gives_source_metadata(tmp_path):
    path = write(tmp_path, "kremlin.md", '---\ntitle: "Kremlin says"\nurl: "https://example.org/k"\n'
                 'publisher: Reuters\ndate: 2025-03-14\nlanguage: en\n---\nPeskov spoke on Friday.\n')
    doc = load_document(path)
    assert (doc.meta.title, doc.meta.publisher, doc.meta.published, doc.meta.url) == (
        "Kremlin says", "Reuters", "2025-03-14", "https://example.org/k")
    assert doc.text == "Peskov spoke on Friday."
    assert doc.meta.source_id == "kremlin"


def test_html_main_text_is_extracted_without_boilerplate(tmp_path):
    html = ("<html><head><title>Talks</title></head><body><nav>Home | Sport | Weather</nav>"
            "<article><h1>Talks in Moscow</h1><p>Steve Witkoff met Vladimir Putin in Moscow on Thursday "
            "evening, the Kremlin said in a statement on Friday morning.</p><p>The meeting lasted several "
            "hours and ended late at night, according to officials on both sides.</p></article>"
            "<footer>Copyright 2025</footer></body></html>")
    doc = load_document(write(tmp_path, "talks.html", html))
    assert "Witkoff met Vladimir Putin" in doc.text
    assert "Copyright" not in doc.text


def test_empty_file_is_refused_by_name(tmp_path):
    path = write(tmp_path, "empty.txt", "   \n")
    with pytest.raises(InputError, match="empty.txt: empty file"):
        load_document(path)


def test_binary_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="binary"):
        load_document(write(tmp_path, "blob.txt", b"\x00\x01\x02garbage\x00" * 20))


def test_latin1_and_utf16_are_decoded():
    assert decode_text("Kiev a déclaré".encode("latin-1"), "x") == "Kiev a déclaré"
    assert decode_text("Kiev a déclaré".encode("utf-16"), "x") == "Kiev a déclaré"


def test_oversized_file_gets_a_size_message(tmp_path):
    path = write(tmp_path, "big.txt", "a" * 2000)
    with pytest.raises(InputError, match="over the"):
        load_document(path, max_bytes=1000)


def test_pdf_text_is_read(tmp_path):
    pdf = minimal_pdf("Putin set conditions for a ceasefire.")
    doc = load_document(write(tmp_path, "statement.pdf", pdf))
    assert "Putin set conditions for a ceasefire." in doc.text


def test_broken_pdf_is_reported(tmp_path):
    with pytest.raises(InputError, match="broken.pdf"):
        load_document(write(tmp_path, "broken.pdf", b"%PDF-1.4\nthis is not a pdf"))


def test_folders_are_walked_recursively_skipping_readmes(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    write(tmp_path / "a", "one.md", "x")
    write(tmp_path / "a" / "b", "two.txt", "y")
    write(tmp_path / "a", "README.md", "z")
    write(tmp_path / "a", "image.png", b"\x89PNG")
    found = [p.split("/")[-1] for p in expand_sources([str(tmp_path / "a")])]
    assert sorted(found) == ["one.md", "two.txt"]


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with a text layer, built by hand (no PDF writer dependency)."""
    return one_page_pdf(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())


def one_page_pdf(stream: bytes, filters: bytes = b"") -> bytes:
    """A one-page PDF whose page content is `stream` (encoded with `filters`, e.g. b" /Filter /FlateDecode")."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(stream), filters) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_untitled_text_gets_its_opening_words_as_title(tmp_path):
    long_first_line = "Le président américain a exhorté vendredi le président russe à épargner les troupes " * 3
    doc = load_document(write(tmp_path, "a.txt", long_first_line + "\n\nSuite."))
    assert doc.meta.title.startswith("Le président américain a exhorté") and doc.meta.title.endswith("…")
    assert len(doc.meta.title) <= 91
    assert load_document(write(tmp_path, "b.txt", "Short headline\n\nBody text here.")).meta.title == "Short headline"
