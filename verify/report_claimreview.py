"""schema.org ClaimReview JSON-LD, one item per claim a reviewer approved or rejected.

This is what fact-checkers publish for search engines, so only human decisions go out: an
unreviewed machine verdict is never published as a rating. The rating scale is
1 = Refuted, 2 = Not enough information, 3 = Supported (worstRating 1, bestRating 3), and
`alternateName` carries the reviewer's verdict in words, which is what readers are shown.
"""

from __future__ import annotations

from .report_common import LABEL_TEXT
from .report_model import ClaimEntry, Header, Report

RATING_VALUE = {"REFUTED": 1, "NOT_ENOUGH_INFO": 2, "SUPPORTED": 3}
WORST, BEST = 1, 3


def claim_reviews(report: Report, organization: str = "", publish_url: str = "") -> list[dict]:
    """ClaimReview items for the reviewed claims of the report, in article order.

    `organization` names the publishing fact-checker (author becomes an Organization; otherwise the
    reviewer, as a Person); `publish_url` is the page the reviews will be published on (each item
    gets `#claim-N`; without it a stable `urn:verify:` identifier is used).
    """
    return [_review(c, report.header, organization, publish_url) for c in report.claims
            if c.review.state in ("approved", "rejected") and c.review.label in RATING_VALUE]


def _review(claim: ClaimEntry, header: Header, organization: str, publish_url: str) -> dict:
    label = claim.review.label or ""
    item = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": _url(claim, header, publish_url),
        "claimReviewed": claim.text,
        "datePublished": claim.review.decided_at[:10],
        "inLanguage": header.article_language,
        "author": _author(claim, organization),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING_VALUE[label],
            "bestRating": BEST,
            "worstRating": WORST,
            "alternateName": LABEL_TEXT[label],
        },
        "itemReviewed": {"@type": "Claim", "appearance": _appearance(header)},
    }
    if claim.review.note:
        item["reviewBody"] = claim.review.note
    return item


def _url(claim: ClaimEntry, header: Header, publish_url: str) -> str:
    if publish_url:
        return f"{publish_url.split('#')[0]}#claim-{claim.number}"
    return f"urn:verify:{header.run_id}:claim-{claim.number}"


def _author(claim: ClaimEntry, organization: str) -> dict:
    if organization:
        return {"@type": "Organization", "name": organization}
    return {"@type": "Person", "name": claim.review.reviewer}


def _appearance(header: Header) -> dict:
    """The article the claim appeared in: a NewsArticle when it has a URL, else a CreativeWork by title."""
    if header.article_url:
        return {"@type": "NewsArticle", "url": header.article_url, "headline": header.article_title}
    return {"@type": "CreativeWork", "headline": header.article_title, "name": header.article_title}
