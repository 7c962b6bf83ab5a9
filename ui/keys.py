"""Keyboard shortcuts for deciding, a help overlay ("?"), and moving focus to a newly opened claim.

Streamlit has no page-wide key handling for radio options, so one small static script (st.html with
JavaScript, which runs in the page itself, no iframe) listens for keys on the document and turns them
into clicks on the form's own widgets, found by their stable keys (Streamlit gives a widget with key K
the class `st-key-K`). The script only ever clicks widgets of the claim whose form drew it (their keys
carry the claim id), and never a widget Streamlit marks stale during a rerun; Submit is clicked only
when it is on screen (the first press scrolls it into view). The server side checks again: a decision
for a claim that is not the open one is refused (ui/decision.submit).

No text from the article, claims or sources goes into the script: only widget class names made of
[a-zA-Z0-9_-] (as Streamlit sanitises keys) and numbers, as JSON.
"""

from __future__ import annotations

import json
import re

import streamlit as st

from ui.render import AFTER_PAINT_JS, SCROLL_ARTICLE_JS

# (key, what it does): the single source for the help overlay and the caption under the form.
SHORTCUTS = [
    ("A", "Approve"),
    ("X or R", "Reject"),
    ("E", "Needs more evidence"),
    ("1 / 2 / 3", "Reject with corrected label Supported / Refuted / Not enough info"),
    ("Ctrl+Enter", "Submit the decision (also from the note field)"),
    ("J", "Next claim"),
    ("K", "Previous claim"),
    ("U", "Undo last decision on this claim"),
    ("?", "Show or hide this help"),
    ("Esc", "Close this help"),
]
SCROLLED_KEY = "keys_scrolled_for"  # the claim the page was last scrolled to (scroll once per new claim)


def widget_class(key: str) -> str:
    """The CSS class Streamlit gives an element with this key (its frontend's sanitising rule)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


def config(claim_id: str, number: int) -> dict:
    return {"claim": number, "act": widget_class(f"act_{claim_id}"), "label": widget_class(f"label_{claim_id}"),
            "note": widget_class(f"note_{claim_id}"), "submit": widget_class(f"submit_{claim_id}"),
            "undo": widget_class(f"undo_{claim_id}"), "next": widget_class("next_claim"),
            "prev": widget_class("prev_claim"), "top": widget_class("claim_top"),
            "help": [[k, what] for k, what in SHORTCUTS]}


def install() -> None:
    """The key handler itself, drawn once per page run (outside the review pane): a decision then sends
    only the small per-claim configuration below, not the handler's code again."""
    st.html(f"<script>/* vf-keys-handler */{_HANDLER}</script>", unsafe_allow_javascript=True)


def render(claim_id: str, number: int) -> None:
    """The key handler's configuration for this claim's form, the one-line hint, and (once per newly
    opened claim) the scroll and focus that bring the new claim into view."""
    st.caption("Keys: A approve · X reject · E needs evidence · 1/2/3 label · Ctrl+Enter submit · "
               "J/K next/previous · U undo · ? all shortcuts")
    before = st.session_state.get(SCROLLED_KEY)
    scroll = before is not None and before != claim_id  # not on first load: the run's header stays in view
    st.session_state[SCROLLED_KEY] = claim_id
    cfg = {**config(claim_id, number), "scroll": scroll, "fresh": before != claim_id}
    # Either script may run first: the handler applies a configuration already there when it installs.
    st.html(f"<script>/* vf-keys */ window.__vfKeysCfg = {json.dumps(cfg)};\n"
            "if (window.__vfKeysApply) window.__vfKeysApply();</script>", unsafe_allow_javascript=True)


# Installed once per page (window.__vfKeysOn); each form render only replaces window.__vfKeysCfg and asks
# for it to be applied, so keys always act on the form on screen now. JSON config only; the overlay's text
# is set as textContent.
_HANDLER = r"""
(() => {
  if (window.__vfKeysOn) { if (window.__vfKeysApply) window.__vfKeysApply(); return; }
""" + SCROLL_ARTICLE_JS + r"""
  const q = (cls, sub) => document.querySelector('.' + cls + (sub ? ' ' + sub : ''));
  const live = (el) => el && !el.closest('[data-stale="true"]');
  const inView = (el) => { const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= (window.innerHeight || document.documentElement.clientHeight); };
  const clickOption = (cls, pick) => {
    const box = q(cls); if (!live(box)) return false;
    const opt = [...box.querySelectorAll('label')].find((l) => pick(l.innerText.trim()));
    if (!opt) return false;
    opt.click(); return true;
  };
  const button = (cls) => { const b = q(cls, 'button'); return live(b) && !b.disabled ? b : null; };
  const chooseLabel = (n, tries) => {
    const c = window.__vfKeysCfg;
    if (clickOption(c.label, (t) => t.endsWith('(' + n + ')'))) return;
    if (tries > 0) setTimeout(() => chooseLabel(n, tries - 1), 50);
  };
  const help = () => {
    let box = document.getElementById('vf-keys-help');
    if (box) { box.remove(); return; }
    box = document.createElement('div');
    box.id = 'vf-keys-help'; box.setAttribute('role', 'dialog'); box.setAttribute('aria-label', 'Keyboard shortcuts');
    box.style.cssText = 'position:fixed;top:12%;left:50%;transform:translateX(-50%);z-index:100000;background:#fff;' +
      'color:#111;border:1px solid #888;border-radius:8px;padding:16px 22px;box-shadow:0 8px 30px rgba(0,0,0,.3);' +
      'font:14px/1.6 sans-serif;min-width:360px';
    const title = document.createElement('b'); title.textContent = 'Keyboard shortcuts'; box.appendChild(title);
    const table = document.createElement('table');
    for (const [k, what] of window.__vfKeysCfg.help) {
      const tr = table.insertRow(); const a = tr.insertCell(); const b = tr.insertCell();
      a.textContent = k; a.style.cssText = 'font-weight:bold;padding-right:18px;white-space:nowrap'; b.textContent = what;
    }
    box.appendChild(table);
    const hint = document.createElement('div'); hint.textContent = 'Keys are ignored while you type in a field.';
    hint.style.color = '#555'; box.appendChild(hint);
    document.body.appendChild(box);
  };
  const busy = () => !!document.querySelector('[data-stale="true"], [data-testid="stStatusWidgetRunningIcon"]');
  const submit = (tries) => {  // tries > 0: wait for a rerun in flight (the note just committed) to finish
    const c = window.__vfKeysCfg;
    if (tries > 0 && busy()) { setTimeout(() => submit(tries - 1), 50); return; }
    const b = button(c.submit);
    if (!b) return;
    if (!inView(b)) { b.scrollIntoView({block: 'center'}); return; }  // never submit a form not on screen
    b.click();
  };
  const onKey = (e) => {
    const c = window.__vfKeysCfg; if (!c || e.isComposing) return;
    const t = e.target, typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) &&
      !(t.type === 'radio' || t.type === 'checkbox');
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault(); e.stopImmediatePropagation();
      if (typing) { t.blur(); setTimeout(() => submit(60), 100); } else submit(0);  // blur commits the note first
      return;
    }
    if (e.key === 'Escape') { const h = document.getElementById('vf-keys-help'); if (h) h.remove(); return; }
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    const acts = {a: 'Approve', x: 'Reject', r: 'Reject', e: 'Needs more evidence'};
    let done = true;
    if (k === '?') help();
    else if (acts[k]) done = clickOption(c.act, (t) => t.startsWith(acts[k]));
    else if (k === '1' || k === '2' || k === '3') {
      if (!q(c.label)) clickOption(c.act, (t) => t.startsWith('Reject'));
      chooseLabel(k, 40);
    }
    else if (k === 'j' || k === 'k') { const b = button(k === 'j' ? c.next : c.prev); if (b) b.click(); }
    else if (k === 'u') { const b = button(c.undo); if (b) b.click(); }
    else done = false;
    if (done) { e.preventDefault(); e.stopImmediatePropagation(); }
  };
  // The article is outside the review pane's fragment: move its focus mark and scroll its box here.
  const markArticle = (n) => {
    const mark = document.querySelector('.vf-article mark[title^="claim #' + n + ':"]');
    if (!mark || mark.classList.contains('vf-focus')) return;
    document.querySelectorAll('.vf-article .vf-focus').forEach((m) => m.classList.remove('vf-focus'));
    mark.classList.add('vf-focus');
    scrollArticleTo(mark);
  };
""" + AFTER_PAINT_JS + r"""
  const apply = () => {
    const cfg = window.__vfKeysCfg;
    if (!cfg || cfg.applied) return;
    cfg.applied = true;
    if (!cfg.fresh) return;
    const go = (tries) => {  // a newly opened claim: bring its top into view, focus its decision
      if ((window.__vfKeysCfg || {}).claim !== cfg.claim) return;  // another claim opened meanwhile
      const top = q(cfg.top), radio = q(cfg.act, 'input');
      if (!live(top) || !radio) { if (tries > 0) setTimeout(() => go(tries - 1), 50); return; }
      if (cfg.scroll) top.scrollIntoView({block: 'start'});
      radio.focus({preventScroll: true});
      later(() => markArticle(cfg.claim));
    };
    go(40);
  };
  window.addEventListener('keydown', onKey, true);
  window.__vfKeysOn = true;
  window.__vfKeysApply = apply;
  apply();
})();
"""
