"""Proposed publication details of extracted claims: who made the claim, when, where it appeared.

A proposal is not a decision. It is stored on the claim (Claim.proposal) and shown to the editor, who
confirms it (verify/publication.py records that as a normal claim event); the publishable ClaimReview
export reads only confirmed details, so a proposal never publishes by itself.

Where the model wrote the claim (abstractive extraction, prompt extract_claims/v2) it proposes the
claimant and date; every field it left empty is proposed from the article here, deterministically:
the date from the article's own date (front matter `date`), the appearance from the article's address,
the claimant from a speaker the quoted sentence names with a reporting verb. A field the article does
not give stays empty: nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pathlib import Path

from .documents import is_url, load_document
from .errors import VerifyError
from .models import Article, Claim, ClaimProposal
from .publication import claim_date
from .text import split_sentences

THE_ARTICLE = "the article"

# A name: one to four capitalised words ("Dmitri Peskov", "Le Kremlin", "M. Trump"), particles inside.
_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’.-]*"
NAME = rf"{_WORD}(?:\s+(?:(?:de|du|des|von|van|der|da|al|bin|la|le)\s+)?{_WORD}){{0,3}}"
# Reporting verbs by language: "X a déclaré" / ", a déclaré X" (French), "X said" / ", said X" (English).
VERBS = {
    "fr": r"(?:a|avait|ont|avaient)\s+(?:déclaré|affirmé|dit|assuré|annoncé|indiqué|expliqué|estimé|souligné)",
    "en": r"(?:said|told|stated|claimed|announced|declared|wrote)",
    "es": r"(?:dijo|afirmó|declaró|aseguró|anunció)",
    "de": r"(?:sagte|erklärte|behauptete|teilte\s+mit)",
}


@dataclass(frozen=True)
class ArticleFacts:
    date: str = ""  # YYYY-MM-DD, the article's own date
    url: str = ""  # the article's web address


def article_facts(article: Article) -> ArticleFacts:
    """The article's date and address. A local file is read again for its front matter (only if it is
    still the same text); a web article gives its address, not a date (it is not fetched twice)."""
    if is_url(article.source):
        return ArticleFacts(url=article.source)
    if not Path(article.source).is_file():
        return ArticleFacts()
    try:
        doc = load_document(article.source)
    except VerifyError:
        return ArticleFacts()
    if doc.meta.content_hash != article.id:  # the file changed since the run read it
        return ArticleFacts()
    return ArticleFacts(date=iso_day(doc.meta.published), url=doc.meta.url if is_url(doc.meta.url) else "")


def iso_day(text: str) -> str:
    """YYYY-MM-DD from a date or timestamp in ISO form; "" for anything else (never a guessed date)."""
    match = re.match(r"\d{4}-\d{2}-\d{2}", (text or "").strip())
    if not match:
        return ""
    try:
        return claim_date(match.group())  # refuses impossible and future dates
    except VerifyError:
        return ""


def speaker(sentence: str, language: str) -> str:
    """Who the sentence says made the statement, from a reporting verb next to a name; "" when unsure."""
    verbs = VERBS.get((language or "").split("-")[0].lower())
    if not verbs:
        return ""
    text = " ".join(sentence.split())
    after = re.search(rf",\s*{verbs}\s+(?P<name>{NAME})\s*[.,;!?»\"]*$", text)  # "..., a déclaré X."
    before = re.search(rf"(?:^|[,;:]\s*)(?P<name>{NAME}),?\s+{verbs}\b", text)  # "X a déclaré ..."
    found = after or before
    return found.group("name").rstrip(".") if found else ""


def model_proposal(claimant: str | None, day: str | None, model_id: str) -> ClaimProposal:
    """What the model proposed (extract_claims/v2), cleaned: a date that is not YYYY-MM-DD is dropped."""
    claimant = " ".join((claimant or "").split())
    day = iso_day(day or "") if day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.strip()) else ""
    return ClaimProposal(claimant=claimant, claimant_by=model_id if claimant else "",
                         claim_date=day, claim_date_by=model_id if day else "")


def sentence_of(claim: Claim, article: Article) -> str:
    """The whole sentence(s) the claim's quote sits in: the speaker is often outside the shortest quote."""
    if claim.span is None:
        return claim.quote
    spans = [(s, e) for s, e in split_sentences(article.text, article.language)
             if s < claim.span.end and e > claim.span.start]
    return article.text[spans[0][0]:spans[-1][1]] if spans else claim.quote


def complete(claim: Claim, article: Article, facts: ArticleFacts) -> Claim:
    """The claim with every proposal field the model left empty proposed from the article."""
    proposal = claim.proposal or ClaimProposal()
    updates: dict[str, str] = {}
    if not proposal.claimant:
        name = speaker(sentence_of(claim, article), article.language)
        if name:
            updates.update(claimant=name, claimant_by=THE_ARTICLE)
    if not proposal.claim_date and facts.date:
        updates.update(claim_date=facts.date, claim_date_by=THE_ARTICLE)
    if not proposal.appearance_url and facts.url:
        updates["appearance_url"] = facts.url
    proposal = proposal.model_copy(update=updates)
    return claim.model_copy(update={"proposal": proposal if proposal != ClaimProposal() else None})


def propose(claims: list[Claim], article: Article, facts: ArticleFacts | None = None) -> list[Claim]:
    """Proposals for newly extracted claims (the model's, completed from the article)."""
    facts = facts if facts is not None else article_facts(article)
    return [complete(claim, article, facts) for claim in claims]
