"""HTML report: one self-contained, printable file.

Jinja2 with autoescape renders every piece of article, source and model text as text, and a
Content-Security-Policy meta tag forbids scripts and every network fetch as a second line of
defence. No fonts, images or stylesheets are loaded: the CSS is inline (report_html_style.py) and
links are only followed when a reader clicks them (plain http(s) URLs only).
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, StrictUndefined

from .report_common import (CLAIM_STATUS, INJECTION_ADVICE, INJECTION_TITLE, LABEL_SYMBOL, NO_LABEL, STATE_TEXT, citation_source,
                            final_label, fmt_time, injection_note, label_text, machine_line, options_notes,
                            rationale_warning, safe_url, source_line)
from .report_html_style import CSS, page_css
from .report_model import Report

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>Citation report: {{ h.article_title }}</title>
<style>{{ css|safe }}{{ page_css|safe }}</style>
</head>
<body>
<header class="report-head">
  <p class="kicker">verify · citation report</p>
  <h1>{{ h.article_title }}</h1>
  {% if h.warning %}<div class="warning" role="alert"><strong>⚠ Demo-grade model.</strong> {{ h.warning }}</div>{% endif %}
  {% if h.injection_flagged %}<div class="warning" role="alert"><strong>⚠ {{ injection_title }}.</strong> {{ injection_note(h) }}</div>{% endif %}
  <dl class="meta">
    <dt>Article</dt><dd>{% if safe_url(h.article_url) %}<a href="{{ safe_url(h.article_url) }}">{{ h.article_url }}</a>{% else %}<code>{{ h.article_source }}</code>{% endif %} <span class="muted">({{ h.article_language }})</span></dd>
    <dt>Run</dt><dd><code>{{ h.run_id }}</code> · {{ h.run_status }} · started {{ fmt_time(h.run_date) }}</dd>
    <dt>Model</dt><dd><code>{{ h.model }}</code>{% for m in h.verdict_models if m != h.model %} · verdicts by <code>{{ m }}</code>{% endfor %}</dd>
    <dt>Embedder</dt><dd><code>{{ h.embedder }}</code></dd>
    <dt>Prompts</dt><dd>{% for p in h.prompts %}<code>{{ p.id }}/{{ p.version }}</code>{% if p.sha256 %} <span class="muted">sha256 {{ p.sha256[:12] }}</span>{% endif %}{% if not loop.last %} · {% endif %}{% endfor %}</dd>
    <dt>Sources</dt><dd>{{ h.sources_retrieved }} retrieved, {{ h.sources_cited }} cited</dd>
    <dt>Generated</dt><dd>{{ fmt_time(h.generated_at) }}</dd>
  </dl>
  <div class="totals">
    <section><h2>Machine verdicts</h2><ul class="counts">
      {% for key in ["SUPPORTED", "REFUTED", "NOT_ENOUGH_INFO"] %}<li><span class="badge v-{{ key }}">{{ symbol[key] }} {{ key }}</span> {{ h.machine_totals[key] }}</li>{% endfor %}
      <li><span class="badge v-failed">! FAILED</span> {{ h.machine_totals.failed }}</li>
      {% if h.machine_totals.not_judged %}<li><span class="badge v-none">– NOT JUDGED</span> {{ h.machine_totals.not_judged }}</li>{% endif %}
    </ul></section>
    <section><h2>Reviewer decisions</h2><ul class="counts">
      {% for key, text in states.items() %}<li><span class="state s-{{ key }}">{{ text }}</span> {{ h.review_totals[key] }}</li>{% endfor %}
    </ul>
    <p class="complete"><span class="bar" role="img" aria-label="{{ h.completeness.percent }}% reviewed"><span style="width: {{ h.completeness.percent }}%"></span></span>
      {{ h.completeness.reviewed }} of {{ h.completeness.claims }} claims reviewed ({{ "%.1f"|format(h.completeness.percent) }}%)</p>
    </section>
  </div>
  <p class="muted">Showing {{ h.claims_shown }} of {{ h.claims_total }} claims{% if notes %} ({{ notes|join(", ") }}){% endif %}. Each claim numbers its citations [1], [2] ...; S1, S2 ... refer to the bibliography.</p>
</header>
<main>
{% macro cite(x) %}
    <li><span class="ref">[{{ x.citation_number }}]</span>{% if x.stance %} <span class="stance">{{ x.stance }}</span>{% endif %}{% if x.rejected %} <span class="tag-rejected">rejected</span>{% endif %} <q>{{ x.text }}</q>
      <span class="src">— <cite>{{ citation_source(x) }}</cite>{% if safe_url(x.url) %}, <a href="{{ safe_url(x.url) }}">{{ x.url }}</a>{% elif x.url %}, <span class="unlinked">{{ x.url }} (not linked: not a web address)</span>{% endif %} <a class="sref" href="#source-{{ x.number }}">S{{ x.number }}</a></span></li>{% endmacro %}
{% for c in report.claims %}{% set label = final_label(c) %}{% set rejected = c.review.state == "rejected" %}
<article class="claim" id="claim-{{ c.number }}">
  <header class="claim-head">
    <span class="num">Claim {{ c.number }}</span>
    {% if label %}<span class="badge v-{{ label }}">{{ symbol.get(label, "") }} {{ label }}</span>{% else %}<span class="badge v-{{ 'failed' if c.machine.status == 'error' else 'none' }}">{{ no_label[c.machine.status] }}</span>{% endif %}
    <span class="state s-{{ c.review.state }}">{{ claim_status[c.review.state] }}</span>
  </header>
  <blockquote class="claim-text" lang="{{ h.article_language }}">{{ c.text }}</blockquote>
  <dl class="fields">
    {% if c.text_en != c.text %}<dt>English</dt><dd lang="en">{% if c.text_en %}{{ c.text_en }}{% else %}<em>no English form (claim taken verbatim from the article)</em>{% endif %}</dd>{% endif %}
    <dt>Article sentence</dt><dd>{% if c.article_sentence %}<span lang="{{ h.article_language }}">“{{ c.article_sentence }}”</span>{% else %}<em>the claim could not be located in the article</em>{% endif %}</dd>
  </dl>
  <div class="decision{{ ' reviewer-first' if rejected }}">
    <section class="machine{{ ' overruled' if rejected }}"><h3>{{ "Machine said (rejected)" if rejected else "Machine verdict" }}</h3>
      {% if rejected and c.machine.status == "ok" %}<p class="machine-said">{{ machine_line(c.machine, rejected=True) }}</p>
      {% else %}<p><span class="badge v-{{ c.machine.label.value if c.machine.label else ('failed' if c.machine.status == 'error' else 'none') }}">{{ machine_line(c.machine) }}</span></p>{% endif %}
      <dl class="fields narrow">
        {% if c.machine.rationale %}<dt>Rationale</dt><dd>{{ c.machine.rationale }}{% if c.machine.rationale_echo %}<p class="echo">⚠ {{ rationale_warning(c.machine.rationale_echo) }}</p>{% endif %}</dd>{% endif %}
        {% if c.machine.error %}<dt>Error</dt><dd class="error">{{ c.machine.error }}</dd>{% endif %}
        {% if c.machine.model %}<dt>Model</dt><dd><code>{{ c.machine.model }}</code></dd><dt>Prompt</dt><dd><code>{{ c.machine.prompt }}</code></dd>{% endif %}
      </dl>
      {% if c.machine.evidence_flags %}<div class="warning injection" role="alert"><strong>⚠ {{ injection_title }}:</strong> {{ injection_advice }}.
        <ul>{% for f in c.machine.evidence_flags %}<li>{{ f.describe() }}</li>{% endfor %}</ul></div>{% endif %}
    </section>
    <section class="review"><h3>Reviewer decision</h3>
      <p><span class="state s-{{ c.review.state }}">{{ states[c.review.state] }}</span>{% if c.review.label %} <span class="arrow">→</span> <span class="badge v-{{ c.review.label }}">{{ symbol.get(c.review.label, "") }} {{ c.review.label }}</span>{% endif %}</p>
      {% if c.review.reviewer %}<dl class="fields narrow">
        <dt>Reviewer</dt><dd>{{ c.review.reviewer }}</dd>
        <dt>Decided</dt><dd>{{ fmt_time(c.review.decided_at) }}</dd>
        {% if c.review.note %}<dt>Note</dt><dd>{{ c.review.note }}</dd>{% endif %}
      </dl>{% endif %}
    </section>
  </div>
  {% if c.review.citations %}<h3>Reviewer citations</h3>
  <ol class="cites reviewer">{% for x in c.review.citations %}{{ cite(x) }}{% endfor %}</ol>{% endif %}
  <h3>{{ "Machine citations (rejected by the reviewer)" if rejected and c.citations else "Citations" }}</h3>
  {% if c.citations %}<ol class="cites{{ ' rejected' if rejected }}">{% for x in c.citations %}{{ cite(x) }}{% endfor %}
  </ol>{% else %}<p class="muted">No citation.</p>{% endif %}
</article>
{% endfor %}
</main>
<section class="biblio">
  <h2>Bibliography</h2>
  {% if report.bibliography %}<ol class="sources">{% for s in report.bibliography %}
    <li id="source-{{ s.number }}"><span class="ref">S{{ s.number }}</span> {{ source_line(s.title or s.source_id, s.publisher, s.published) }}{% if safe_url(s.url) %}. <a href="{{ safe_url(s.url) }}">{{ s.url }}</a>{% elif s.url %}. <span class="unlinked">{{ s.url }} (not linked: not a web address)</span>{% endif %}
      <span class="muted">(cited by claim{{ "s" if s.cited_by|length > 1 }} {{ s.cited_by|join(", ") }})</span></li>{% endfor %}
  </ol>{% else %}<p class="muted">No source is cited in the claims shown.</p>{% endif %}
  {% if report.other_sources %}<h3>Also retrieved, not cited in the claims shown</h3><ul class="other">{% for s in report.other_sources %}
    <li>{{ source_line(s.title or s.source_id, s.publisher, s.published) }}{% if safe_url(s.url) %}. <a href="{{ safe_url(s.url) }}">{{ s.url }}</a>{% endif %}</li>{% endfor %}
  </ul>{% endif %}
</section>
<footer class="muted">Generated by verify at {{ fmt_time(h.generated_at) }} from run <code>{{ h.run_id }}</code>.</footer>
</body>
</html>
"""


@lru_cache(maxsize=1)
def _template():
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=False, keep_trailing_newline=True)
    env.globals.update(symbol=LABEL_SYMBOL, no_label=NO_LABEL, claim_status=CLAIM_STATUS, states=STATE_TEXT, fmt_time=fmt_time, safe_url=safe_url,
                       machine_line=machine_line, final_label=final_label,
                       label_text=label_text, citation_source=citation_source, source_line=source_line,
                       injection_title=INJECTION_TITLE, rationale_warning=rationale_warning, injection_advice=INJECTION_ADVICE, injection_note=injection_note)
    return env.from_string(TEMPLATE)


def render_html(report: Report) -> str:
    return _template().render(report=report, h=report.header, css=CSS, notes=options_notes(report),
                              page_css=page_css(report.header.run_id, report.header.article_title))
