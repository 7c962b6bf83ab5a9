"""Untrusted text made safe for Markdown, and URLs safe to make links of: one place for the report
and the dashboard.

Article, source and model text may carry markup meant to run or to mislead (`<script>`,
`[click](javascript:...)`, `*`, `$`). It is backslash-escaped before it reaches a Markdown renderer,
and only plain http(s) URLs ever become links.
"""

from __future__ import annotations

import re

# CommonMark (the Markdown report, read on code-hosting sites and as plain text): the characters that
# start emphasis, code, links, tables, strikethrough or raw HTML.
_COMMONMARK = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")  # "&lt;" would otherwise render as "<"
# Streamlit's Markdown also reads $math$, :emoji: shortcodes, {directives} and list/heading starts.
_STREAMLIT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$&:])")
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)


def escape_markdown(text: object, *, streamlit: bool = False) -> str:
    """`text` with every Markdown/HTML-significant character backslash-escaped.

    `streamlit=True` escapes the wider set st.markdown needs; the default keeps the report readable as
    plain text (it leaves `.`, `-`, `(` and `:` alone, which CommonMark does not act on mid-line)."""
    text = str(text)
    if streamlit:
        return _STREAMLIT.sub(r"\\\1", text)
    text = _COMMONMARK.sub(r"\\\1", text)
    return _ENTITY.sub(r"\\&", text)  # after the backslashes are escaped, or this one would be doubled


def safe_url(url: str | None) -> str:
    """The URL if it is plain http(s) and safe to make a link of; '' otherwise (javascript:, data:,
    relative paths, or anything with spaces, quotes or angle brackets that could break out of a link)."""
    url = (url or "").strip()
    return url if _SAFE_URL.match(url) else ""
