"""Inline stylesheet of the HTML report.

Verdict colours come from the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies), and every badge also carries a symbol and the label in words plus a distinct border
style, so nothing depends on colour alone, on screen or printed in black and white. System fonts
only: the report must not fetch anything. The colours are the dashboard's (verify/vocabulary.py).
"""

from .vocabulary import COLOURS, FAILED, NEEDS_EVIDENCE

_VARS = {"sup": "SUPPORTED", "ref": "REFUTED", "nei": "NOT_ENOUGH_INFO", "bad": FAILED}
_LABEL_VARS = "".join(f"  --{var}-bg: {COLOURS[key].background}; --{var}-ink: {COLOURS[key].ink}; "
                      f"--{var}-edge: {COLOURS[key].edge};\n" for var, key in _VARS.items())
_WARN = COLOURS[NEEDS_EVIDENCE]

CSS = f"""
:root {{
  --ink: #1f2328; --muted: #57606a; --rule: #d0d7de; --paper: #ffffff; --tint: #f6f8fa;
{_LABEL_VARS}  --warn-bg: {_WARN.background}; --warn-edge: {_WARN.edge};
}}
""" + """* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0 auto; max-width: 60rem; padding: 1.5rem 1.25rem 3rem; color: var(--ink); background: var(--paper);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  overflow-wrap: anywhere;
}
h1 { font-size: 1.7rem; line-height: 1.25; margin: .2rem 0 .8rem; }
h2 { font-size: 1.05rem; margin: 0 0 .4rem; }
h3 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 1rem 0 .35rem; }
p { margin: .35rem 0; }
a { color: #0550ae; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85em; background: var(--tint);
  padding: 0 .25em; border-radius: 3px; }
.muted { color: var(--muted); }
.kicker { text-transform: uppercase; letter-spacing: .1em; font-size: .75rem; color: var(--muted); margin: 0; }
.fields { display: grid; grid-template-columns: 9rem 1fr; gap: .2rem .8rem; margin: .4rem 0; }
.fields.narrow { grid-template-columns: 6rem 1fr; }
.fields dt { font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); padding-top: .2em; }
.fields dd { margin: 0; }
.warning { background: var(--warn-bg); border: 2px solid var(--warn-edge); border-left-width: .5rem;
  padding: .6rem .8rem; margin: .8rem 0; border-radius: 4px; }
.meta { display: grid; grid-template-columns: 7rem 1fr; gap: .2rem .8rem; margin: .8rem 0; }
.meta dt { color: var(--muted); font-size: .85rem; }
.meta dd { margin: 0; }
.totals { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin: 1rem 0 .5rem; }
.totals section { border: 1px solid var(--rule); border-radius: 6px; padding: .7rem .9rem; background: var(--tint); }
.counts { list-style: none; margin: 0; padding: 0; }
.counts li { display: flex; justify-content: space-between; align-items: center; padding: .15rem 0;
  font-variant-numeric: tabular-nums; }
.complete { margin-top: .6rem; font-size: .9rem; }
.bar { display: block; height: .6rem; background: #e4e8ec; border: 1px solid var(--rule); border-radius: 3px;
  margin-bottom: .3rem; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--ink); }
.badge { display: inline-block; font-weight: 700; font-size: .8rem; letter-spacing: .03em; padding: .1rem .5rem;
  border-radius: 4px; border: 2px solid; white-space: nowrap; }
.v-SUPPORTED { background: var(--sup-bg); color: var(--sup-ink); border-color: var(--sup-edge); border-style: solid; }
.v-REFUTED { background: var(--ref-bg); color: var(--ref-ink); border-color: var(--ref-edge); border-style: double;
  border-width: 3px; }
.v-NOT_ENOUGH_INFO { background: var(--nei-bg); color: var(--nei-ink); border-color: var(--nei-edge);
  border-style: dashed; }
.v-failed { background: var(--bad-bg); color: var(--bad-ink); border-color: var(--bad-edge); border-style: dotted;
  white-space: normal; }
.v-none { background: var(--tint); color: var(--muted); border-color: var(--rule); white-space: normal; }
.arrow { color: var(--muted); margin: 0 .2rem; }
.state { font-size: .85rem; }
.s-approved::before { content: "● "; }
.s-rejected::before { content: "◆ "; }
.s-needs_evidence::before { content: "◐ "; }
.s-unreviewed::before { content: "○ "; }
.s-unreviewed { color: var(--muted); font-style: italic; }
.claim { border: 1px solid var(--rule); border-radius: 8px; padding: 1rem 1.2rem; margin: 1.4rem 0; }
.claim-head { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; border-bottom: 1px solid var(--rule);
  padding-bottom: .5rem; margin-bottom: .6rem; }
.num { font-weight: 700; font-size: 1.05rem; }
.claim-text { font-size: 1.15rem; font-weight: 600; margin: .4rem 0; padding-left: .8rem;
  border-left: 4px solid var(--rule); }
.decision { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1rem; }
.decision .badge { white-space: normal; }  /* a long verdict line wraps inside its column */
.error { color: var(--bad-ink); }
.cites, .sources { padding-left: 0; list-style: none; margin: .3rem 0; }
.cites li, .sources li { margin: .45rem 0; padding-left: 2.6rem; text-indent: -2.6rem; }
.other { padding-left: 1.2rem; margin: .3rem 0; }
.other li { margin: .3rem 0; }
.ref { display: inline-block; min-width: 2.4rem; text-indent: 0; font-weight: 700; text-decoration: none; }
q { font-style: italic; }
q::before { content: "“"; } q::after { content: "”"; }
.src { color: var(--muted); }
.unlinked { color: var(--bad-ink); }
.biblio { border-top: 2px solid var(--ink); margin-top: 2rem; padding-top: 1rem; }
footer { margin-top: 2rem; font-size: .8rem; }
@media (max-width: 40rem) {
  .totals, .decision, .meta, .fields, .fields.narrow { grid-template-columns: 1fr; }
}
.machine-said { color: var(--muted); }
.reviewer-first .review { order: -1; }  /* a rejected claim leads with the reviewer's decision */
.overruled dd { color: var(--muted); }
.cites.rejected q { text-decoration: line-through; text-decoration-color: var(--muted); }
.tag-rejected, .stance { font-size: .75rem; font-weight: 700; text-transform: uppercase; letter-spacing: .04em;
  border: 1px solid var(--rule); border-radius: 3px; padding: 0 .3em; text-indent: 0; display: inline-block; }
.tag-rejected { color: var(--bad-ink); border-style: dotted; }
.sref { font-size: .8rem; font-weight: 700; text-decoration: none; }
.echo { margin: .2rem 0 0; font-size: .85rem; color: var(--bad-ink); }
@media print {
  html { font-size: 11px; }  /* every size is in rem: the whole report prints smaller */
  body { max-width: none; padding: 0; font-size: 1rem; line-height: 1.4; }
  h1 { font-size: 1.5rem; }
  .totals { margin: .5rem 0; }
  .claim-text { font-size: 1.1rem; }
  .decision { gap: .6rem; }
  h3 { margin: .5rem 0 .2rem; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  /* Several claims per page: a claim moves to the next page only when it does not fit whole. */
  .claim { break-inside: avoid; padding: .5rem .8rem; margin: 0 0 .6rem; }
  .claim-head, .cites li, .decision section { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .biblio { margin-top: 1rem; }
  a { color: inherit; text-decoration: none; }
}
"""

# Page numbers and a running header naming the run, in the page margins (CSS margin boxes, which
# Chromium prints since version 131; they replace the browser's own date/URL header and footer).
PAGE_CSS = """
@page {{ size: A4; margin: 16mm 14mm;
  @top-left {{ content: {head}; font: 8pt system-ui, sans-serif; color: #57606a; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font: 8pt system-ui, sans-serif;
    color: #57606a; }}
}}
"""
HEAD_CHARS = 90


def page_css(run_id: str, title: str) -> str:
    """The @page rules for one report: the header says 'verify report · run <id> · <article title>'."""
    if len(title) > HEAD_CHARS:
        title = title[:HEAD_CHARS - 1].rstrip() + "…"
    return PAGE_CSS.format(head=css_string(f"verify report · run {run_id} · {title}"))


def css_string(text: str) -> str:
    """A CSS string literal of any text: everything but letters, digits and spaces is a hex escape, so an
    article title cannot end the string, the rule or the <style> element."""
    out = "".join(ch if (ch.isascii() and ch.isalnum()) or ch == " " else f"\\{ord(ch):x} " for ch in text
                  if ch.isprintable())
    return f'"{out}"'

