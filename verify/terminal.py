"""Text from articles, sources, paths, URLs and models, made safe to print in a terminal.

Rich reads `[...]` as markup: a headline such as "[/x] Breaking" would crash the command with a
MarkupError and "[link=https://...]" would print a clickable link. Terminal control sequences in a
source (ESC, OSC 8 hyperlinks, cursor moves) and bidirectional overrides could likewise rewrite or
disguise what a person sees. So such text is always handed to rich as a `Text` (never parsed as
markup), with control and bidi-override characters shown as U+FFFD instead of acted on.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate marks.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
REPLACEMENT = "\ufffd"


def clean(text: object) -> str:
    """`text` as a string with nothing a terminal would act on."""
    return _UNSAFE.sub(REPLACEMENT, str(text))


def plain(text: object, style: str = "") -> Text:
    """Untrusted text as a rich Text: printed as written, never read as markup."""
    return Text(clean(text), style=style)


def line(*parts: str | Text | tuple[str, str]) -> Text:
    """A line assembled from our own styled words and untrusted text.

    A `str` part is untrusted and printed as is; `(words, style)` is our own wording in a style."""
    out = Text()
    for part in parts:
        if isinstance(part, tuple):
            out.append(part[0], style=part[1])
        elif isinstance(part, Text):
            out.append_text(part)
        else:
            out.append(clean(part))
    return out
