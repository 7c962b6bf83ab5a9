"""The HTML builders behind the highlights: escaping, overlaps, links, locating cited sentences."""

from ui.render import Mark, highlight, locate, md, safe_link


def test_highlight_escapes_text_and_labels_each_mark():
    html = highlight("a <b>x</b> c", [Mark(2, 10, "REFUTED", prefix="#1")])
    assert html.startswith("a <mark") and "&lt;b&gt;x&lt;/b&gt;</mark> c" in html
    assert ">#1 ✗ REFUTED</span>" in html and "<b>" not in html


def test_overlapping_marks_keep_every_badge():
    html = highlight("0123456789", [Mark(0, 6, "SUPPORTED", "#1"), Mark(2, 4, "REFUTED", "#2"),
                                    Mark(5, 9, "FAILED", "#3")])
    assert html.count("<mark") == 3 and "#2 ✗ REFUTED" in html
    assert html.endswith("9")  # text after the last mark is kept once


def test_reviewed_and_focused_marks_say_so():
    html = highlight("abc", [Mark(0, 3, "NEEDS_EVIDENCE", "#4", reviewed=True, focused=True)])
    assert "#4 ◐ NEEDS MORE EVIDENCE ✔" in html and "vf-focus" in html


def test_links_only_for_http_urls():
    assert safe_link("https://example.org/a?b=1&c=2", "x").startswith('<a href="https://example.org/a?b=1&amp;c=2"')
    assert "<a" not in safe_link("javascript:alert(1)", "x")
    assert "<a" not in safe_link("/local/path.md", "x")


def test_locate_uses_offsets_then_falls_back_to_searching():
    passage = "One. Two is here. Three."
    assert locate(passage, 100, 105, 117, "Two is here.") == (5, 17)
    assert locate(passage, 0, 0, 3, "Two is here.") == (5, 17)  # stale offsets
    assert locate(passage, 0, 0, 3, "Four.") is None


def test_md_escapes_markup_and_markdown():
    assert md("<script>*x* $y$ [a](javascript:b)") == "\\<script\\>\\*x\\* \\$y\\$ \\[a\\]\\(javascript\\:b\\)"


def test_dashboard_and_report_link_exactly_the_same_urls():
    """One safe-URL rule (verify/markup.py): the dashboard used to link anything with an http(s) scheme,
    spaces and quotes included, where the report showed such a URL as text."""
    from verify.report_common import safe_url

    for url in ("https://example.org/a", "HTTP://example.org", 'https://evil.example/"><script>x</script>',
                "https://a b.example", "javascript:alert(1)", "data:text/html,x", "/local/path.md", ""):
        assert ("<a " in safe_link(url, "x")) == bool(safe_url(url)), url
