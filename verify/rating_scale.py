"""A newsroom's rating scale for ClaimReview: the names its readers see, in its own language, each
mapped to one of verify's three verdicts, with the number schema.org's Rating carries.

VERIFY_RATING_SCALE names a YAML (or JSON) file such as:

    language: fr
    worst: 1
    best: 5
    ratings:
      - {name: Faux, verdict: REFUTED, value: 1}
      - {name: Trompeur, verdict: REFUTED, value: 2}
      - {name: Invérifiable, verdict: NOT_ENOUGH_INFO, value: 3}
      - {name: Vrai, verdict: SUPPORTED, value: 5}

Unset, the built-in English scale is used: 1 Refuted, 2 Not enough information, 3 Supported. When
several names mean the same verdict, each claim's rating name is chosen by a person (publication
details); nothing picks one for them.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from .config import rating_scale_file
from .errors import ConfigError, VerifyError
from .models import Label, Strict
from .vocabulary import LABEL_WORDS

SCALE_FORM = "a YAML or JSON file with worst, best and ratings: [{name, verdict, value}, ...]"


class RatingProblem(VerifyError):
    """A claim's rating cannot be named from the scale (it says what to choose)."""


class Rating(Strict):
    name: str = Field(min_length=1, description="What readers are shown (ClaimReview alternateName).")
    verdict: Label = Field(description="The verdict this name stands for.")
    value: int = Field(description="ClaimReview ratingValue, between worst and best.")

    @field_validator("name")
    @classmethod
    def _one_line(cls, name: str) -> str:
        name = " ".join(name.split())
        if not name:
            raise ValueError("a rating name cannot be blank")
        return name


class RatingScale(Strict):
    name: str = ""
    language: str = Field("", description="Language of the names (e.g. fr); a report in another language is warned about.")
    worst: int = Field(description="ClaimReview worstRating.")
    best: int = Field(description="ClaimReview bestRating.")
    ratings: list[Rating] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "RatingScale":
        low, high = sorted((self.worst, self.best))
        if low == high:
            raise ValueError("worst and best must differ")
        seen: set[str] = set()
        for rating in self.ratings:
            if not low <= rating.value <= high:
                raise ValueError(f"{rating.name!r} has value {rating.value}, outside worst..best ({self.worst}..{self.best})")
            if rating.name.casefold() in seen:
                raise ValueError(f"the name {rating.name!r} is given twice")
            seen.add(rating.name.casefold())
        return self

    def names_for(self, verdict: str) -> list[Rating]:
        return [r for r in self.ratings if r.verdict.value == verdict]

    def find(self, name: str) -> Rating | None:
        return next((r for r in self.ratings if r.name.casefold() == " ".join(name.split()).casefold()), None)

    def resolve(self, verdict: str, chosen: str = "") -> Rating:
        """The rating a claim decided `verdict` is published with: the chosen name, or the only name the
        scale has for that verdict. Raises RatingProblem saying what to choose."""
        if chosen:
            rating = self.find(chosen)
            if rating is None:
                raise RatingProblem(f"rating {chosen!r} is not on the rating scale ({self.listing()})")
            if rating.verdict.value != verdict:
                raise RatingProblem(f"rating {rating.name!r} means {rating.verdict.value} but the reviewer decided "
                                    f"{verdict}: choose one of {self.listing(verdict)}")
            return rating
        candidates = self.names_for(verdict)
        if not candidates:
            raise RatingProblem(f"the rating scale has no name for {verdict}: add one to VERIFY_RATING_SCALE")
        if len(candidates) > 1:
            raise RatingProblem(f"rating name not chosen (the scale has several for {verdict}: {self.listing(verdict)})")
        return candidates[0]

    def listing(self, verdict: str | None = None) -> str:
        return ", ".join(r.name for r in self.ratings if verdict is None or r.verdict.value == verdict)


# The scale verify always used: one English name per verdict, 1 to 3.
DEFAULT_SCALE = RatingScale(worst=1, best=3, language="en", ratings=[
    Rating(name=LABEL_WORDS["REFUTED"], verdict=Label.REFUTED, value=1),
    Rating(name=LABEL_WORDS["NOT_ENOUGH_INFO"], verdict=Label.NOT_ENOUGH_INFO, value=2),
    Rating(name=LABEL_WORDS["SUPPORTED"], verdict=Label.SUPPORTED, value=3),
])


def load_scale(path: str | Path | None = None) -> RatingScale:
    """The scale in `path` (default: VERIFY_RATING_SCALE; unset: the built-in English scale). A file that
    cannot be read or does not describe a scale is a ConfigError naming the variable and what is wrong."""
    path = str(path if path is not None else rating_scale_file()).strip()
    if not path:
        return DEFAULT_SCALE
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))  # YAML is a superset of JSON
        return RatingScale.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise ConfigError(f"VERIFY_RATING_SCALE={path!r} could not be read ({reason}): expected {SCALE_FORM}") from None
    except ValidationError as exc:
        raise ConfigError(f"VERIFY_RATING_SCALE={path!r} is not valid ({_first_error(exc)}): expected {SCALE_FORM}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
