"""Reading articles and sources from files, folders and URLs.

Libraries do the hard parts: trafilatura extracts main text from HTML, pypdf reads PDFs,
python-frontmatter parses Markdown metadata, charset-normalizer guesses encodings, langdetect
guesses languages. Every unreadable input raises InputError naming the input and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterator
from urllib.parse import urldefrag, urlparse

from .config import allow_private_urls
from .errors import ConfigError, InputError
from .models import SourceMeta, content_hash

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


@dataclass
class Document:
    """Plain text plus what we know about where it came from."""

    text: str
    meta: SourceMeta
    id_from_metadata: bool = False  # the file's front matter chose meta.source_id (ingest checks it is not taken)


def is_url(value: str) -> bool:
    return urlparse(value).scheme in {"http", "https"}


# --- Raw bytes -----------------------------------------------------------------------------------


def read_bytes(location: str, max_bytes: int, timeout_s: float,
               allow_private: str | None = None) -> tuple[bytes, str]:
    """Bytes and a content-type hint ('html', 'pdf', 'md', 'txt') from a path or URL.

    `allow_private` is the VERIFY_ALLOW_PRIVATE_URLS setting (see verify/fetch.py); None reads it from the environment.
    """
    if is_url(location):
        return _fetch(location, max_bytes, timeout_s, allow_private if allow_private is not None else allow_private_urls())
    path = Path(location)
    if not path.exists():
        raise InputError(f"{location}: no such file")
    if not path.is_file():
        raise InputError(f"{location}: not a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"{location}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB input limit "
            "(raise it with VERIFY_MAX_INPUT_BYTES)"
        )
    return path.read_bytes(), _kind_from_suffix(path.suffix.lower())


def _kind_from_suffix(suffix: str) -> str:
    return {".html": "html", ".htm": "html", ".pdf": "pdf", ".md": "md", ".markdown": "md"}.get(suffix, "txt")


def _fetch(url: str, max_bytes: int, timeout_s: float, allow_private: str | None) -> tuple[bytes, str]:
    from .fetch import fetch

    body, ctype = fetch(url, max_bytes, timeout_s, allow_private)
    kind = "pdf" if "pdf" in ctype else "html" if "html" in ctype else _kind_from_suffix(Path(urlparse(url).path).suffix)
    return body, kind


# --- Decoding ------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """Text from bytes: BOMs honoured, UTF-8 first, then charset-normalizer; binary refused."""
    if not data.strip():
        raise InputError(f"{name}: empty file")
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:  # a BOM promises an encoding the bytes then break
                label = codec.removesuffix("-sig").upper()
                raise InputError(f"{name}: starts with a {label} byte-order mark but is not valid {label} "
                                 f"(bad bytes at offset {exc.start}); re-save it as UTF-8") from exc
    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        raise InputError(f"{name}: could not detect the text encoding (binary file?)")
    # Single-byte code pages often tie (cp1250 reads French Latin-1 as 'coűte ŕ Genčve'): on a tie,
    # prefer the Western European one, the usual legacy encoding of news text.
    tied = {m.encoding: m for m in results if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    for preferred in ("cp1252", "latin_1", "iso8859_15"):
        if preferred in tied:
            return str(tied[preferred])
    return str(best)


def normalise(text: str) -> str:
    """Unify newlines and strip trailing spaces; offsets are computed on this form.

    NUL characters are dropped (binary detection only looks at the first 8 KB, and PDF text layers carry
    them too; they mean nothing to a reader and truncate text in C-based tools), and lone surrogates (from
    HTML entities like &#xD800;) become U+FFFD, the replacement character: they cannot be encoded as UTF-8.
    """
    text = clean_characters(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def clean_characters(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))


_SURROGATE = re.compile("[\ud800-\udfff]")


# --- Formats ---------------------------------------------------------------------------------------


def html_to_text(html: str, name: str) -> tuple[str, dict]:
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if not text or not text.strip():
        raise InputError(f"{name}: no main text could be extracted from the HTML")
    meta = trafilatura.extract_metadata(html)
    info = {}
    if meta is not None:
        info = {"title": meta.title or "", "publisher": meta.sitename or "", "published": meta.date or "",
                "url": meta.url or ""}
    return text, info


def pdf_to_text(data: bytes, name: str) -> str:
    import io

    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError(f"{name}: the PDF is encrypted; decrypt it first")
        text = "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except InputError:
        raise
    except LimitReachedError as exc:
        raise InputError(f"{name}: the PDF expands past pypdf's safety limits (a decompression bomb?); "
                         f"refused ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - a hostile PDF breaks pypdf in many ways (IndexError, zlib.error...)
        raise InputError(f"{name}: broken PDF ({type(exc).__name__}: {exc})") from exc
    if not text.strip():
        raise InputError(f"{name}: the PDF has no text layer (image-only?); run OCR first")
    return text


def markdown_with_front_matter(text: str) -> tuple[str, dict]:
    import frontmatter

    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # noqa: BLE001 - YAML errors come in many types
        raise InputError(f"front matter is not valid YAML ({exc})") from exc
    meta = {k: (v.isoformat() if isinstance(v, (date, datetime)) else v) for k, v in post.metadata.items()}
    return post.content, meta


def load_document(location: str, max_bytes: int = 20_000_000, timeout_s: float = 20.0,
                  allow_private: str | None = None) -> Document:
    """The document at `location`; anything that stops it being read is an InputError naming it."""
    try:
        return _read_document(location, max_bytes, timeout_s, allow_private)
    except (InputError, ConfigError):
        raise
    except Exception as exc:  # noqa: BLE001 - a parser failing on one hostile input must not abort a whole ingest
        raise InputError(f"{location}: could not be read ({type(exc).__name__}: {exc})") from exc


def _read_document(location: str, max_bytes: int, timeout_s: float, allow_private: str | None) -> Document:
    data, kind = read_bytes(location, max_bytes, timeout_s, allow_private)
    if kind == "pdf":
        text, info = pdf_to_text(data, location), {}
    else:
        raw = decode_text(data, location)
        if kind == "html" or (kind == "txt" and raw.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))):
            text, info = html_to_text(raw, location)
        elif kind == "md":
            try:
                text, info = markdown_with_front_matter(raw)
            except InputError as exc:
                raise InputError(f"{location}: {exc}") from exc
        else:
            text, info = raw, {}
    info = {k: clean_characters(v) if isinstance(v, str) else v for k, v in info.items()}
    text = normalise(text)
    if not text:
        raise InputError(f"{location}: no text left after extraction")
    chosen_id = str(info.get("id") or "").strip()
    meta = SourceMeta(
        source_id=chosen_id or source_id_for(location),
        title=str(info.get("title") or _title_from(text, location)),
        url=str(info.get("url") or (location if is_url(location) else "")),
        publisher=str(info.get("publisher") or info.get("outlet") or ""),
        published=str(info.get("date") or info.get("published") or ""),
        language=str(info.get("language") or detect_language(text)),
        path=location,
        content_hash=content_hash(text),
        tags=[str(t) for t in info.get("tags") or []],
    )
    return Document(text=text, meta=meta, id_from_metadata=bool(chosen_id))


def source_id_for(location: str) -> str:
    """Stable, readable id: the file stem, or host+path for a URL."""
    if is_url(location):
        parsed = urlparse(location)
        raw = f"{parsed.netloc}{parsed.path}".rstrip("/")
    else:
        raw = Path(location).stem
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-").lower()
    return slug[:80] or content_hash(location, 12)


def source_location(location: str) -> str:
    """Where a source lives, as one comparable string: its identity in the library. A URL keeps its
    query string (`?id=1` and `?id=2` are two pages) but not its #fragment; a file is its absolute
    path, whichever folder it was named from; anything else (an in-memory document) keeps its name."""
    if is_url(location):
        return urldefrag(location).url
    try:
        return str(Path(location).resolve(strict=True))
    except (OSError, RuntimeError):  # not a file here (an eval pool item), or a symlink loop
        return location


def _title_from(text: str, location: str, limit: int = 90) -> str:
    """A short first line is a headline; otherwise the opening words of the text, cut at a word."""
    first = text.strip().split("\n", 1)[0].strip().lstrip("# ")
    if 0 < len(first) <= limit:
        return first
    if first:
        cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:")
        return cut + "…"
    return Path(urlparse(location).path).stem or location


def detect_language(text: str) -> str:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0  # langdetect is random unless seeded
    try:
        return detect(text[:5000])
    except LangDetectException:
        return "und"


def expand_sources(locations: list[str]) -> Iterator[str]:
    """Files as given, folders walked recursively for known text formats, URLs as given."""
    for location in locations:
        path = Path(location)
        if not is_url(location) and path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES
                           and not p.name.startswith(".") and p.name.lower() != "readme.md")
            yield from (str(p) for p in found)
        else:
            yield location
