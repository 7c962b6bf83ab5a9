"""Claim memory: a claim close to one already reviewed (any earlier run, any language) gets the earlier
Over 300 lines: matching, its lexical agreement check and accepting a suggestion belong together.
decision as a suggestion the reviewer can accept with one click or ignore.

Matching, at run time (`verify run`, `verify memory RUN`), never in the dashboard:
- similarity: the multilingual embedder (USE, the `use` part of the default embedder) over each claim's
  text and English form; a pair scores the best cosine of the four form pairs, so a French claim meets
  its English twin through either form;
- a lexical check: embeddings rate "met Putin in Moscow" and "met Putin in Minsk" as near-identical,
  so a pair whose figures, dates, names or negation disagree is never suggested (`lexical_conflict`);
- a threshold chosen on half of seeds/eval/claim_pairs.jsonl and reported on the other half
  (bench/claim_memory.py).
The matches are stored per run (verify/store/memory.py); the dashboard reads them and the earlier claim's
current decision, so a decision undone since is no longer suggested. This module imports the embedder
only inside `compute_matches`: the dashboard imports it without loading any model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

from .claim_edits import effective_claims
from .errors import VerifyError
from .models import Claim, Label, ReviewCitation, ReviewEvent, Strict, Verdict
from .review import Decision, citations_of, decide, decisions, replay
from .store import MemoryMatch, Store

# Cosine (USE) at or above which two claims are the same claim; chosen on the dev half of
# seeds/eval/claim_pairs.jsonl by bench/claim_memory.py (see its output for the test half).
THRESHOLD = 0.7744
MAX_SUGGESTIONS = 3  # per claim, closest first
MEMORY_NOTE = "accepted from memory"


# --- the lexical check ----------------------------------------------------------------------------------

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?|\d+(?:[.,\s\u00a0\u202f]\d+)*", re.UNICODE)
NUMBER = re.compile(r"\d+(?:[.,\s\u00a0\u202f]\d+)*")
THOUSANDS = re.compile(r"\d{1,3}(?:[,\s\u00a0\u202f]\d{3})+")
NUMBER_WORDS = {
    **dict.fromkeys(["zero", "zéro"], "0"), **dict.fromkeys(["one", "un", "une"], "1"),
    **dict.fromkeys(["two", "deux"], "2"), **dict.fromkeys(["three", "trois"], "3"),
    **dict.fromkeys(["four", "quatre"], "4"), **dict.fromkeys(["five", "cinq"], "5"),
    **dict.fromkeys(["six"], "6"), **dict.fromkeys(["seven", "sept"], "7"), **dict.fromkeys(["eight", "huit"], "8"),
    **dict.fromkeys(["nine", "neuf"], "9"), **dict.fromkeys(["ten", "dix"], "10"),
    **dict.fromkeys(["eleven", "onze"], "11"), **dict.fromkeys(["twelve", "douze", "dozen", "douzaine"], "12"),
    **dict.fromkeys(["twenty", "vingt"], "20"), **dict.fromkeys(["thirty", "trente"], "30"),
    **dict.fromkeys(["forty", "quarante"], "40"), **dict.fromkeys(["fifty", "cinquante"], "50"),
    **dict.fromkeys(["hundred", "hundreds", "cent", "cents", "centaines"], "100"),
    **dict.fromkeys(["thousand", "thousands", "mille", "milliers"], "1000"),
    **dict.fromkeys(["million", "millions"], "1e6"), **dict.fromkeys(["billion", "billions", "milliard", "milliards"], "1e9"),
}
NUMBER_WORDS.pop("un"), NUMBER_WORDS.pop("une"), NUMBER_WORDS.pop("one")  # articles far more often than figures
DATE_WORDS = {
    **dict.fromkeys(["monday", "lundi"], "mon"), **dict.fromkeys(["tuesday", "mardi"], "tue"),
    **dict.fromkeys(["wednesday", "mercredi"], "wed"), **dict.fromkeys(["thursday", "jeudi"], "thu"),
    **dict.fromkeys(["friday", "vendredi"], "fri"), **dict.fromkeys(["saturday", "samedi"], "sat"),
    **dict.fromkeys(["sunday", "dimanche"], "sun"),
    **dict.fromkeys(["january", "janvier"], "m01"), **dict.fromkeys(["february", "février"], "m02"),
    **dict.fromkeys(["march", "mars"], "m03"), **dict.fromkeys(["april", "avril"], "m04"),
    **dict.fromkeys(["june", "juin"], "m06"), **dict.fromkeys(["july", "juillet"], "m07"),
    **dict.fromkeys(["august", "août"], "m08"), **dict.fromkeys(["september", "septembre"], "m09"),
    **dict.fromkeys(["october", "octobre"], "m10"), **dict.fromkeys(["november", "novembre"], "m11"),
    **dict.fromkeys(["december", "décembre"], "m12"),
}
# French counts only its `ne`/`n'` (and `sans`): "ne ... pas", "n'a jamais" are one negation each.
NEGATIONS = {"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot", "ne", "sans"}
# Capitalised words that are not names (sentence starts, titles); a capitalised word followed by another
# (a first name, a title, "White" of White House) is dropped too: the last word names the entity.
NOT_NAMES = {
    "the", "a", "an", "on", "in", "at", "of", "to", "for", "from", "with", "by", "after", "before", "during", "as",
    "according", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "his", "her", "their",
    "there", "but", "and", "or", "if", "when", "while", "through", "mr", "mrs", "ms", "dr", "president", "minister",
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "selon", "au", "aux", "en", "dans", "par", "pour",
    "sur", "il", "elle", "ils", "elles", "ce", "cette", "ces", "son", "sa", "ses", "leur", "leurs", "mais", "et",
    "ou", "m", "mme", "président",
}
ELISION = re.compile(r"^(?:[LlDdNnJjSsCc]|[Qq]u)['’]")  # l'armée, d'Ukraine, qu'il


@dataclass(frozen=True)
class ClaimText:
    """What the matching reads of a claim: its text, its English form and the article's language."""

    text: str
    text_en: str
    language: str = ""

    @property
    def has_english(self) -> bool:
        return self.language == "en" or (bool(self.text_en) and self.text_en != self.text)

    def forms(self) -> list[str]:
        return [self.text] if not self.text_en or self.text_en == self.text else [self.text, self.text_en]


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word.replace("’", "'")).lower()


def _number(token: str) -> str:
    if THOUSANDS.fullmatch(token):
        token = re.sub(r"[,\s\u00a0\u202f]", "", token)
    token = re.sub(r"[\s\u00a0\u202f]", "", token).replace(",", ".")
    try:
        return format(float(token), "g")
    except ValueError:
        return token


def figures(text: str) -> set[str]:
    """The figures of a text, digits and number words alike ("three" and "trois" are 3)."""
    found = {_number(m.group()) for m in NUMBER.finditer(text)}
    found |= {NUMBER_WORDS[w] for w in map(_fold, WORD.findall(text)) if w in NUMBER_WORDS}
    return {format(float(f), "g") for f in found}


def dates(text: str) -> set[str]:
    """Weekdays and months, in English or French, as language-free keys."""
    return {DATE_WORDS[w] for w in map(_fold, WORD.findall(text)) if w in DATE_WORDS}


def names(text: str) -> set[str]:
    """Capitalised words that name something: the last word of each run of capitalised words."""
    words = [w for w in WORD.findall(text) if not w[0].isdigit()]
    out = set()
    for i, word in enumerate(words):
        base = ELISION.sub("", re.sub(r"['’]s$", "", word))
        if not base[:1].isupper() or _fold(base) in NOT_NAMES or _fold(base) in DATE_WORDS:
            continue
        following = ELISION.sub("", words[i + 1]) if i + 1 < len(words) else ""
        if following[:1].isupper() and _fold(following) not in NOT_NAMES:
            continue  # "Steve" of Steve Witkoff, "President" of President Putin
        out.add(base)
    return out


def negations(text: str) -> int:
    words = [_fold(w) for w in WORD.findall(text)]
    return sum(w in NEGATIONS or w.endswith("n't") or w.startswith("n'") for w in words)


def _exclusive(mine: set[str], theirs: set[str], fuzzy: bool) -> set[str]:
    if not fuzzy:
        return mine - theirs
    return {w for w in mine if not any(fuzz.ratio(w.lower(), t.lower()) >= 75 for t in theirs)}


def _comparable(a: ClaimText, b: ClaimText) -> tuple[str, str] | None:
    """One form of each claim in the same language: the English forms, else the texts if the articles
    share a language; None when there is none (names and negation cannot be compared across languages)."""
    if a.has_english and b.has_english:
        return a.text_en or a.text, b.text_en or b.text
    if a.language and a.language == b.language:
        return a.text, b.text
    return None


def lexical_conflict(a: ClaimText, b: ClaimText) -> str | None:
    """Why two similar claims cannot be the same claim, or None. Figures and dates are read from every
    form; a conflict needs each claim to have one the other lacks (a paraphrase may leave a detail out,
    a different claim says something else)."""
    for kind, read, fuzzy in (("figures", figures, False), ("dates", dates, False)):
        mine = set().union(*map(read, a.forms()))
        theirs = set().union(*map(read, b.forms()))
        only_a, only_b = _exclusive(mine, theirs, fuzzy), _exclusive(theirs, mine, fuzzy)
        if only_a and only_b:
            return f"different {kind}: {', '.join(sorted(only_a))} / {', '.join(sorted(only_b))}"
    pair = _comparable(a, b)
    if pair is None:
        return None
    only_a, only_b = _exclusive(names(pair[0]), names(pair[1]), True), _exclusive(names(pair[1]), names(pair[0]), True)
    if only_a and only_b:
        return f"different names: {', '.join(sorted(only_a))} / {', '.join(sorted(only_b))}"
    if negations(pair[0]) % 2 != negations(pair[1]) % 2:
        return "one is negated, the other not"
    return None


# --- similarity and matching (run time) -----------------------------------------------------------------


def memory_embedder_spec(spec: str) -> str:
    """The multilingual USE part of the run's embedder (the default `use+minilm` has it, so no model is
    loaded twice); another embedder (`hash` in tests, an sbert model) is used as it is."""
    return "use" if "use" in spec.split("+") else spec


def similarities(embedder, new: list[ClaimText], old: list[ClaimText]):
    """Matrix new x old: the best cosine over the form pairs (text, English form) of each two claims."""
    import numpy as np

    def vectors(claims: list[ClaimText]):
        texts = [claim.text for claim in claims] + [claim.text_en or claim.text for claim in claims]
        matrix = np.asarray(embedder.embed_documents(texts), dtype=np.float32).reshape(2, len(claims), -1)
        return matrix

    a, b = vectors(new), vectors(old)
    return np.max(np.einsum("ind,jmd->ijnm", a, b), axis=(0, 1))


def pair_score(embedder, a: ClaimText, b: ClaimText) -> float:
    return float(similarities(embedder, [a], [b])[0, 0])


def is_match(score: float, a: ClaimText, b: ClaimText, threshold: float = THRESHOLD) -> bool:
    return score >= threshold and lexical_conflict(a, b) is None


@dataclass(frozen=True)
class Reviewed:
    """A claim of an earlier run whose current decision is approved or rejected."""

    run_id: str
    claim: Claim
    text: ClaimText


def reviewed_elsewhere(store: Store, run_id: str) -> list[Reviewed]:
    """Every claim of another run that a reviewer approved or rejected (as its events leave it now)."""
    by_run: dict[str, list[str]] = {}
    for other_run, claim_id in store.reviewed_claims_elsewhere(run_id):
        by_run.setdefault(other_run, []).append(claim_id)
    out = []
    for other_run, claim_ids in by_run.items():
        language = store.get_article(store.get_run(other_run).article_id).language
        claims, decided = effective_claims(store, other_run), decisions(store, other_run)
        for claim_id in claim_ids:
            item = claims.get(claim_id)
            if item is None or not item.counted or claim_id not in decided or not decided[claim_id].reviewed:
                continue
            out.append(Reviewed(other_run, item.claim, ClaimText(item.claim.text, item.claim.text_en, language)))
    return out


def compute_matches(store: Store, run_id: str, embedder_spec: str, threshold: float = THRESHOLD) -> list[MemoryMatch]:
    """Match the run's claims against every claim reviewed in other runs and store the result (replacing
    the run's earlier matches). No reviewed claim elsewhere: nothing is embedded."""
    run = store.get_run(run_id)
    language = store.get_article(run.article_id).language
    new = [item.claim for item in effective_claims(store, run_id).values() if item.counted]
    old = reviewed_elsewhere(store, run_id)
    matches: list[MemoryMatch] = []
    if new and old:
        from .embed import build_embedder  # here, not at import: the dashboard imports this module

        spec = memory_embedder_spec(embedder_spec)
        texts = [ClaimText(c.text, c.text_en, language) for c in new]
        scores = similarities(build_embedder(spec), texts, [r.text for r in old])
        for i, claim in enumerate(new):
            ranked = sorted(range(len(old)), key=lambda j: -scores[i, j])
            kept = [j for j in ranked if is_match(float(scores[i, j]), texts[i], old[j].text, threshold)]
            matches += [MemoryMatch(run_id=run_id, claim_id=claim.id, source_run_id=old[j].run_id,
                                    source_claim_id=old[j].claim.id, score=round(float(scores[i, j]), 4),
                                    embedder=spec) for j in kept[:MAX_SUGGESTIONS]]
    store.replace_memory_matches(run_id, matches)
    return matches


# --- suggestions (the dashboard) ------------------------------------------------------------------------


class Suggestion(Strict):
    """An earlier reviewed claim offered for a claim, with its decision as it stands now."""

    match: MemoryMatch
    source: Claim
    decision: Decision

    @property
    def link(self) -> str:
        return f"?run={self.match.source_run_id}&claim={self.match.source_claim_id}"


def suggestions(store: Store, claim_id: str) -> list[Suggestion]:
    """The stored matches of a claim whose earlier claim is still approved or rejected (one undone since
    is left out), closest first, each with that decision and its reviewer citations."""
    out = []
    for match in store.memory_matches(claim_id=claim_id):
        decision = replay(match.source_claim_id, store.review_events(claim_id=match.source_claim_id))
        if not decision.reviewed:
            continue
        claims = effective_claims(store, match.source_run_id)
        source = claims.get(match.source_claim_id)
        if source is None:
            continue
        decision = decision.model_copy(update={"citations": citations_of(store, match.source_claim_id)})
        out.append(Suggestion(match=match, source=source.claim, decision=decision))
    return out


def accept(store: Store, *, suggestion: Suggestion, reviewer: str, machine_verdict: Verdict | None,
           expected_last_event: int | None) -> ReviewEvent:
    """Decide the claim as its earlier twin was decided: approve when the earlier label is the machine's
    label here, else reject with the earlier label. The event's note names the source claim, and the
    earlier reviewer citations are cited again on this claim (their note names the earlier claim)."""
    match = suggestion.match
    current = replay(match.source_claim_id, store.review_events(claim_id=match.source_claim_id))
    if not current.reviewed or current.label is None:
        raise VerifyError(f"the earlier decision on claim #{suggestion.source.index + 1} of run "
                          f"{match.source_run_id} was undone; decide this claim yourself")
    machine = machine_verdict.label.value if machine_verdict and machine_verdict.label else None
    action = "approve" if current.label == machine else "reject"
    note = (f"{MEMORY_NOTE}: claim #{suggestion.source.index + 1} ({match.source_claim_id}) of run "
            f"{match.source_run_id}, {current.label} by {current.reviewer} on {(current.decided_at or '')[:10]}")
    event = decide(store, run_id=match.run_id, claim_id=match.claim_id, reviewer=reviewer, action=action,
                   machine_verdict=machine_verdict, corrected_label=None if action == "approve" else Label(current.label),
                   note=note, expected_last_event=expected_last_event)
    for citation in citations_of(store, match.source_claim_id):
        store.append_review_citation(_recited(citation, match, event.reviewer))
    return event


def _recited(citation: ReviewCitation, match: MemoryMatch, reviewer: str) -> ReviewCitation:
    return citation.model_copy(update={
        "id": 0, "run_id": match.run_id, "claim_id": match.claim_id, "reviewer": reviewer, "created_at": "",
        "note": f"{MEMORY_NOTE}: cited on claim {match.source_claim_id} of run {match.source_run_id}", "withdraws": None})
