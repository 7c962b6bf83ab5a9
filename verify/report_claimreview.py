"""schema.org ClaimReview JSON-LD, one item per claim a reviewer approved or rejected.

This is what fact-checkers publish for search engines and fact-check tools, so only human decisions go
out: an unreviewed machine verdict is never published as a rating. The rating comes from the newsroom's
scale (verify/rating_scale.py; built in: 1 = Refuted, 2 = Not enough information, 3 = Supported, worst
1, best 3): `alternateName` is the name readers are shown. Claimant, claim date and where the claim
appeared come from the claim's publication details (verify/publication.py).

`publish_problems` says what a publishable export still lacks, per claim. Google's fact-check
documentation requires claimReviewed, reviewRating (with alternateName) and url (the page the review is
published on); it recommends the ClaimReview's author (an Organization) and datePublished, and the
Claim's author, datePublished and appearance. A publishable export (`--publish`) needs all of them.
"""

from __future__ import annotations

from .errors import VerifyError
from .markup import safe_url
from .publication import ClaimPublication
from .rating_scale import DEFAULT_SCALE, RatingProblem, RatingScale
from .report_model import ClaimEntry, Header, Report

# The built-in scale's numbers (kept as names: tests and older callers import them).
RATING_VALUE = {r.verdict.value: r.value for r in DEFAULT_SCALE.ratings}
WORST, BEST = DEFAULT_SCALE.worst, DEFAULT_SCALE.best
SET_DETAILS = "verify claim-meta {run} N --claimant NAME --claim-date YYYY-MM-DD [--appearance-url URL] [--rating NAME]"


def reviewed(report: Report) -> list[ClaimEntry]:
    """The claims a ClaimReview export can carry: approved or rejected by a reviewer, with a label."""
    return [c for c in report.claims if c.review.state in ("approved", "rejected") and c.review.label in RATING_VALUE]


def claim_reviews(report: Report, organization: str = "", publish_url: str = "", scale: RatingScale | None = None,
                  details: dict[str, ClaimPublication] | None = None, warnings: list[str] | None = None) -> list[dict]:
    """ClaimReview items for the reviewed claims of the report, in article order.

    `organization` names the publishing fact-checker (author becomes an Organization; otherwise the
    reviewer, as a Person); `publish_url` is the page the reviews will be published on (each item gets
    `#claim-N`; without it a `urn:verify:` placeholder is used and a warning is added). A claim whose
    rating name the scale cannot settle is left out, with a warning saying what to choose.
    """
    scale, details = scale or DEFAULT_SCALE, details or {}
    warnings = warnings if warnings is not None else []
    items = []
    for claim in reviewed(report):
        try:
            items.append(_review(claim, report.header, organization, publish_url, scale,
                                 details.get(claim.claim_id, ClaimPublication())))
        except RatingProblem as exc:
            warnings.append(f"claim #{claim.number} is left out of the ClaimReview export: {exc}; choose its rating "
                            f"with `verify claim-meta {report.header.run_id} {claim.number} --rating NAME`")
    warnings.extend(_draft_warnings(report, publish_url, scale))
    return items


def _draft_warnings(report: Report, publish_url: str, scale: RatingScale) -> list[str]:
    out = []
    if not publish_url:
        out.append("no --publish-url: every item's url is a placeholder (urn:verify:...) that search engines and "
                   "fact-check tools do not accept; give the address of the page the fact-check is published on")
    language = report.header.article_language
    if scale.language and language and scale.language.split("-")[0] != language.split("-")[0]:
        out.append(f"the rating names are in '{scale.language}' but the article is in '{language}': set "
                   "VERIFY_RATING_SCALE to your newsroom's scale")
    return out


def publish_problems(report: Report, organization: str, publish_url: str, scale: RatingScale | None = None,
                     details: dict[str, ClaimPublication] | None = None) -> list[str]:
    """What a publishable ClaimReview export still lacks: the export's own properties first, then one entry
    per claim naming its missing properties. Empty: every required and recommended property is set."""
    scale, details = scale or DEFAULT_SCALE, details or {}
    problems = []
    if not organization.strip():
        problems.append("the publishing organization (--organization; ClaimReview author)")
    if not safe_url(publish_url):
        problems.append("the http(s) address of the page the fact-check is published on (--publish-url; ClaimReview url)")
    claims = reviewed(report)
    if not claims:
        problems.append("a reviewed claim: no claim of the run was approved or rejected")
    for claim in claims:
        missing = _claim_missing(claim, report.header, scale, details.get(claim.claim_id, ClaimPublication()))
        if missing:
            problems.append(f"claim #{claim.number}: {', '.join(missing)}")
    return problems


def check_publishable(report: Report, organization: str, publish_url: str, scale: RatingScale | None = None,
                      details: dict[str, ClaimPublication] | None = None) -> None:
    """Refuse a publishable export that lacks anything, naming all of it and how to set it."""
    problems = publish_problems(report, organization, publish_url, scale, details)
    if problems:
        how = SET_DETAILS.format(run=report.header.run_id)
        raise VerifyError(f"the ClaimReview export is not publishable yet; missing: {'; '.join(problems)}. "
                          f"Set claim details with `{how}` or the dashboard's Publication details")


def _claim_missing(claim: ClaimEntry, header: Header, scale: RatingScale, meta: ClaimPublication) -> list[str]:
    missing = []
    if not claim.text.strip():
        missing.append("claim text (claimReviewed)")
    try:
        scale.resolve(claim.review.label or "", meta.rating)
    except RatingProblem as exc:
        missing.append(str(exc))  # says what to choose: "rating name not chosen (...)"
    if not meta.claimant:
        missing.append("claimant (itemReviewed.author)")
    if not meta.claim_date:
        missing.append("claim date (itemReviewed.datePublished)")
    if not (meta.appearance_url or safe_url(header.article_url)):
        missing.append("appearance URL (itemReviewed.appearance: the article has no web address)")
    if not claim.review.decided_at:
        missing.append("review date (datePublished)")
    return missing


def _review(claim: ClaimEntry, header: Header, organization: str, publish_url: str, scale: RatingScale,
            meta: ClaimPublication) -> dict:
    rating = scale.resolve(claim.review.label or "", meta.rating)
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
            "ratingValue": rating.value,
            "bestRating": scale.best,
            "worstRating": scale.worst,
            "alternateName": rating.name,
        },
        "itemReviewed": _claim(header, meta),
    }
    if claim.review.note:
        item["reviewBody"] = claim.review.note
    return item


def _claim(header: Header, meta: ClaimPublication) -> dict:
    claim: dict = {"@type": "Claim"}
    if meta.claimant:
        claim["author"] = {"@type": meta.claimant_kind.capitalize(), "name": meta.claimant}
    if meta.claim_date:
        claim["datePublished"] = meta.claim_date
    claim["appearance"] = _appearance(header, meta)
    return claim


def _url(claim: ClaimEntry, header: Header, publish_url: str) -> str:
    if publish_url:
        return f"{publish_url.split('#')[0]}#claim-{claim.number}"
    return f"urn:verify:{header.run_id}:claim-{claim.number}"


def _author(claim: ClaimEntry, organization: str) -> dict:
    if organization:
        return {"@type": "Organization", "name": organization}
    return {"@type": "Person", "name": claim.review.reviewer}


def _appearance(header: Header, meta: ClaimPublication) -> dict | list[dict]:
    """Where the claim appeared: the page a person gave for it (when it is not the article), and the
    article it was read in (a NewsArticle when it has a URL, else a CreativeWork by title)."""
    if header.article_url:
        article = {"@type": "NewsArticle", "url": header.article_url, "headline": header.article_title}
    else:
        article = {"@type": "CreativeWork", "headline": header.article_title, "name": header.article_title}
    if meta.appearance_url and meta.appearance_url != header.article_url:
        return [{"@type": "CreativeWork", "url": meta.appearance_url}, article]
    return article
