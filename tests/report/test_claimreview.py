"""ClaimReview JSON-LD: one item per reviewed claim, with the properties search engines require."""

import json

from verify.report import render
from verify.report_claimreview import BEST, RATING_VALUE, WORST
from verify.report_common import LABEL_TEXT


def items(report, **options):
    return json.loads(render(report, "claimreview", **options))


def check_structure(item):
    assert item["@context"] == "https://schema.org" and item["@type"] == "ClaimReview"
    for key in ("url", "claimReviewed", "datePublished"):
        assert isinstance(item[key], str) and item[key]
    assert len(item["datePublished"]) == 10 and item["datePublished"][4] == "-"
    rating = item["reviewRating"]
    assert rating["@type"] == "Rating"
    assert all(isinstance(rating[k], int) for k in ("ratingValue", "bestRating", "worstRating"))
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert isinstance(rating["alternateName"], str) and rating["alternateName"]
    assert item["itemReviewed"]["@type"] == "Claim"
    appearance = item["itemReviewed"]["appearance"]
    assert appearance["@type"] in ("NewsArticle", "CreativeWork") and appearance["headline"]
    assert item["author"]["@type"] in ("Organization", "Person") and item["author"]["name"]


def test_one_item_per_reviewed_claim_with_the_reviewers_verdict(seed_report):
    reviews = items(seed_report)
    reviewed = [c for c in seed_report.claims if c.review.state in ("approved", "rejected")]
    assert [r["claimReviewed"] for r in reviews] == [c.text for c in reviewed]
    for review, claim in zip(reviews, reviewed):
        check_structure(review)
        assert review["reviewRating"]["alternateName"] == LABEL_TEXT[claim.review.label]
        assert review["reviewRating"]["ratingValue"] == RATING_VALUE[claim.review.label]
        assert review["author"] == {"@type": "Person", "name": claim.review.reviewer}
    # The rejected claim is rated with the reviewer's correction, not the machine's REFUTED.
    assert reviews[1]["reviewRating"]["alternateName"] == "Not enough information"
    assert (WORST, BEST) == (1, 3)


def test_article_with_a_url_appears_as_a_news_article(hostile_report):
    reviews = items(hostile_report, organization="Example Fact Check", publish_url="https://factcheck.example/k#top")
    assert reviews and all(r["author"] == {"@type": "Organization", "name": "Example Fact Check"} for r in reviews)
    for review in reviews:
        check_structure(review)
        assert review["itemReviewed"]["appearance"]["@type"] == "NewsArticle"
        assert review["itemReviewed"]["appearance"]["url"] == "https://example.org/article?a=1&b=2"
        assert review["url"].startswith("https://factcheck.example/k#claim-")


def test_output_is_inert_inside_a_script_tag(hostile_report):
    raw = render(hostile_report, "claimreview").decode("utf-8")
    assert "<" not in raw and ">" not in raw  # "</script>" in a note cannot end a JSON-LD block
    assert any("<script>" in r.get("reviewBody", "") for r in json.loads(raw))  # same value once parsed


def test_unreviewed_claims_are_never_published(seed_report):
    only_approved = seed_report.model_copy(deep=True)
    for claim in only_approved.claims:
        claim.review.state = "unreviewed"
    assert items(only_approved) == []
