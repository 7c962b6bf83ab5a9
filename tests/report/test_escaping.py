"""Untrusted text (article, sources, model output, reviewer notes) never becomes markup or a formula."""

import csv
import io
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from tests.report.factory import FORMULAS, XSS
from verify.report import render
from verify.report_csv import COLUMNS, neutralise
from verify.report_md import md


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.hrefs, self.handlers = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def parsed(html: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(html)
    return collector


def assert_inert(html: str) -> None:
    page = parsed(html)
    assert "script" not in page.tags and "img" not in page.tags
    assert page.handlers == []
    assert all(href.startswith(("https://", "http://", "#")) for href in page.hrefs), page.hrefs


def test_html_escapes_everything(hostile_report):
    html = render(hostile_report, "html").decode("utf-8")
    assert_inert(html)
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_html_loads_nothing_from_outside(seed_report):
    html = render(seed_report, "html").decode("utf-8")
    page = parsed(html)
    assert not {"link", "script", "img", "iframe", "object", "embed", "base"} & set(page.tags)
    assert "@import" not in html and "url(" not in html


def test_markdown_renders_no_html_even_with_raw_html_allowed(hostile_report):
    text = render(hostile_report, "md").decode("utf-8")
    html = MarkdownIt("commonmark", {"html": True}).render(text)
    assert_inert(html)
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in html  # shown as text


@pytest.mark.parametrize("payload", [XSS, "[click](javascript:alert(1))", "# heading\n\n- list", "a | b", "`code`",
                                     "&lt;b&gt;", "*bold* _em_ ~~del~~", "\\<script>"])
def test_markdown_escape_keeps_the_text(payload):
    html = MarkdownIt("commonmark", {"html": True}).render(f"x {md(payload)}")
    assert_inert(html)
    assert parsed(html).tags == ["p"]
    assert " ".join(payload.split()) in html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"') \
        .replace("&amp;", "&")


@pytest.mark.parametrize("value", FORMULAS + ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_formula_cells_get_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["plain", "1.5", "", "a=b", " =x", "'quoted"])
def test_other_cells_are_unchanged(value):
    assert neutralise(value) == value


def test_csv_neutralises_formulas_and_keeps_text(hostile_report):
    rows = list(csv.reader(io.StringIO(render(hostile_report, "csv").decode("utf-8-sig"), newline="")))
    assert rows[0] == COLUMNS
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert any(cell.startswith("'@SUM(") for cell in cells)  # a reviewer note starting with a formula
    assert any('=HYPERLINK("http' in cell for cell in cells)  # inside a joined cell: text, not a formula
    assert any(XSS in cell for cell in cells)  # CSV holds text as text; nothing to render
    assert all(len(row) == len(COLUMNS) for row in rows)


def test_csv_starts_with_a_bom_unless_asked_not_to(seed_report):
    """Excel reads a CSV without a byte-order mark in the local code page and garbles French accents."""
    assert render(seed_report, "csv").startswith(b"\xef\xbb\xbfclaim_number,")
    assert render(seed_report, "csv", bom=True).startswith(b"\xef\xbb\xbfclaim_number,")
    assert render(seed_report, "csv", bom=False).startswith(b"claim_number,")
