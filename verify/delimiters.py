"""Quoted data in prompts cannot open or close the delimiters the prompts use.

Articles and sources reach the model inside `<article>`, `<evidence>` and `<passage>` blocks. A text
that contains one of those tags could end the block early and speak outside it, so any tag-like text
naming a delimiter is neutralised before it is put in a prompt: opening or closing, any case, spaces
or tabs anywhere inside, attributes, a missing `>`, fullwidth or small-form brackets and the HTML
entity for `<`. Its `<` becomes `‹`, so a person reading the prompt still sees what the source said
and the model sees no tag.
"""

from __future__ import annotations

import re

# The names the prompt files use as delimiters (prompts/*/v*.md); a test checks this list covers them.
DELIMITERS = ("article", "evidence", "passage")

_OPEN = r"(?:<|＜|﹤|&lt;?|&#0*60;?|&#x0*3c;?)"  # '<' as written, as a lookalike, or as an HTML entity
_GAP = r"[\s\u200b-\u200d\u2060\ufeff]*"  # whitespace, including the zero-width kinds
_TAG = re.compile(rf"{_OPEN}{_GAP}(/?){_GAP}({'|'.join(DELIMITERS)})(?![a-z0-9_-])", re.IGNORECASE)
SAFE_BRACKET = "‹"


def neutralise(text: str) -> str:
    """`text` with every delimiter tag (e.g. `</EVIDENCE >`, `< passage id=x>`) made inert."""
    return _TAG.sub(lambda m: f"{SAFE_BRACKET}{m.group(1)}{m.group(2)}", text)
