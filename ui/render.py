"""Pure HTML builders for the dashboard (no Streamlit import, so they are cheap to test).

Every piece of article or source text goes through `esc` before it is placed in markup: the
dashboard shows untrusted web text, and a `<script>` or `<img onerror=...>` inside a source must
display as text. Links are only emitted for http(s) URLs, so a `javascript:` URL stays inert text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from verify.markup import escape_markdown, safe_url
# Colours, symbols and words per label are the report's and the terminal's too. Every highlight also
# carries the label as text, so the colour is never the only signal (colour-blind reviewers, printouts).
from verify.vocabulary import COLOURS, PENDING, label_tag

STYLE = """<style>
.vf-article{white-space:pre-wrap;line-height:1.75;font-size:0.95rem}
.vf-mark{padding:1px 2px;border-radius:3px;border-bottom:2px solid}
.vf-focus{outline:3px solid #111;outline-offset:1px}
.vf-badge{font-size:0.7rem;font-weight:700;padding:0 4px;margin-right:3px;border-radius:3px;
  color:#fff;white-space:nowrap;font-family:sans-serif}
.vf-passage{white-space:pre-wrap;font-size:0.9rem;border-left:3px solid #bbb;padding:4px 8px;margin:4px 0}
.vf-src{font-size:0.8rem;color:#555}
</style>"""


def esc(text: object) -> str:
    """HTML-escape any value (quotes too: text may land inside an attribute)."""
    return html.escape(str(text), quote=True)


def md(text: object) -> str:
    """Text for st.markdown/st.caption: every Markdown/HTML-significant character backslash-escaped,
    so `<script>` shows as text and `*`, `$` or `[x](y)` in an article never turn into markup."""
    return escape_markdown(text, streamlit=True)


def label_text(label: str) -> str:
    return label_tag(label)


def badge_text(label: str, prefix: str = "", reviewed: bool = False) -> str:
    tick = " ✔" if reviewed else ""
    return f"{prefix} {label_text(label)}{tick}".strip()


def badge(label: str, prefix: str = "", reviewed: bool = False) -> str:
    fg = COLOURS.get(label, COLOURS[PENDING]).ink
    return f'<span class="vf-badge" style="background:{fg}">{esc(badge_text(label, prefix, reviewed))}</span>'


@dataclass(frozen=True)
class Mark:
    """One highlighted range of a text: [start, end) with the label that colours it."""

    start: int
    end: int
    label: str
    prefix: str = ""  # badge prefix, e.g. "#3" or "[1]"
    reviewed: bool = False
    focused: bool = False
    title: str = ""  # hover text


def highlight(text: str, marks: list[Mark]) -> str:
    """The text escaped, each mark wrapped in a coloured <mark> headed by a label badge.

    One pass over marks sorted by start. Overlapping ranges are clipped to start where the previous
    one ended (a text position gets one colour); a mark swallowed entirely still shows its badge,
    so no claim disappears from the view.
    """
    out: list[str] = []
    cursor = 0
    for mark in sorted(marks, key=lambda m: (m.start, m.end)):
        start = min(max(mark.start, cursor), len(text))
        end = min(max(mark.end, start), len(text))
        out.append(esc(text[cursor:start]))
        colour = COLOURS.get(mark.label, COLOURS[PENDING])
        classes = "vf-mark vf-focus" if mark.focused else "vf-mark"
        out.append(f'<mark class="{classes}" style="background:{colour.background};border-color:{colour.edge}" title="{esc(mark.title)}">'
                   f"{badge(mark.label, mark.prefix, mark.reviewed)}{esc(text[start:end])}</mark>")
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def article_html(text: str, marks: list[Mark]) -> str:
    return f'<div class="vf-article">{highlight(text, marks)}</div>'


def safe_link(url: str, label: str) -> str:
    """An <a> only for http(s) URLs; anything else (javascript:, data:, paths) is shown as text."""
    if safe_url(url):
        return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(label)}</a>'
    return esc(url or label)


def source_line(title: str, publisher: str, published: str, url: str) -> str:
    parts = [f"<b>{esc(title or 'untitled source')}</b>"]
    parts += [esc(p) for p in (publisher, published) if p]
    if url:
        parts.append(safe_link(url, "open source"))
    return '<div class="vf-src">' + " · ".join(parts) + "</div>"


def passage_html(text: str, marks: list[Mark], source: str) -> str:
    return f'{source}<div class="vf-passage">{highlight(text, marks)}</div>'


def locate(passage: str, passage_start: int, start: int, end: int, sentence: str) -> tuple[int, int] | None:
    """Offsets of a cited sentence inside its passage: by the stored source offsets if they still
    point at the sentence, else by searching its text (a re-chunked source shifts offsets)."""
    rel_start, rel_end = start - passage_start, end - passage_start
    if 0 <= rel_start < rel_end <= len(passage) and passage[rel_start:rel_end] == sentence:
        return rel_start, rel_end
    found = passage.find(sentence) if sentence else -1
    return (found, found + len(sentence)) if found >= 0 else None


# One helper for this script and the keyboard script (ui/keys.py): scroll the article's own scrolling box
# (not the page) so `el` sits a third of the way down it.
SCROLL_ARTICLE_JS = r"""
  const scrollArticleTo = (el) => {
    let box = el.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight + 4 && getComputedStyle(box).overflowY !== 'visible')) {
      box = box.parentElement;
    }
    if (!box || box === document.scrollingElement || box === document.body) return;
    const top = el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
    box.scrollTo({top: Math.max(0, top - box.clientHeight / 3)});
  };
"""
# Runs `f` once the browser is idle, i.e. after the new claim's form is painted: the reviewer waits for
# the form, not for the article's colours and scroll (which lay out the whole 500-claim article).
AFTER_PAINT_JS = r"""
  const later = (f) => (window.requestIdleCallback ? window.requestIdleCallback(f, {timeout: 300}) : setTimeout(f, 50));
"""
# Scrolls the article box (not the page) so the focused claim is in view. Static code: no article or
# source text ever goes into this script, only the focused claim's number as a comment, which makes
# the element differ per focus so Streamlit mounts (and runs) it again.
_SCROLL_JS = """<script>/* focus %d */
(() => {
""" + SCROLL_ARTICLE_JS.replace("%", "%%") + """
  const go = (tries) => {
    const el = document.querySelector('.vf-article .vf-focus');
    if (!el) { if (tries > 0) setTimeout(() => go(tries - 1), 100); return; }
    scrollArticleTo(el);
  };
  setTimeout(() => go(20), 50);
})();
</script>"""


def scroll_to_focus_js(number: int) -> str:
    return _SCROLL_JS % int(number)
