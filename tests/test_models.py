import pytest
from pydantic import ValidationError

from verify.models import Claim, PromptRef, Span, Verdict

PROMPT = PromptRef(id="judge_claim", version="v1", sha256="0" * 64)


def test_span_must_be_ordered():
    with pytest.raises(ValidationError):
        Span(start=5, end=5)


def test_ok_verdict_needs_a_label():
    with pytest.raises(ValidationError):
        Verdict(id="v", run_id="r", claim_id="c", status="ok", label=None, model="m", prompt=PROMPT)


def test_failed_verdict_cannot_carry_a_label():
    with pytest.raises(ValidationError):
        Verdict(id="v", run_id="r", claim_id="c", status="error", label="SUPPORTED", model="m", prompt=PROMPT)


def test_models_forbid_unknown_fields():
    with pytest.raises(ValidationError):
        Span(start=0, end=1, extra=True)


def test_exact_span_is_checked_against_the_article():
    claim = Claim(id="c", run_id="r", article_id="a", index=0, text="t", text_en="t", quote="world",
                  span=Span(start=0, end=5), anchor="exact")
    with pytest.raises(ValueError, match="does not match"):
        claim.check_span("hello world")
    claim.model_copy(update={"span": Span(start=6, end=11)}).check_span("hello world")
