"""Versioned prompt files: prompts/<id>/<version>.md, frozen once a stored verdict cites them.

A prompt file has a system part and a user part separated by a line `---user---`; the user part
is a str.format template. The sha256 of the whole file is recorded with every LLM call.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .models import PromptRef
from .resources import PROMPTS_DIR

USER_MARKER = "---user---"


@dataclass(frozen=True)
class Prompt:
    ref: PromptRef
    system: str
    user_template: str

    def render(self, **values: str) -> tuple[str, str]:
        return self.system, self.user_template.format(**values)


def load_prompt(prompt_id: str, version: str = "v1", root: Path = PROMPTS_DIR) -> Prompt:
    path = root / prompt_id / f"{version}.md"
    if not path.is_file():
        available = sorted(p.stem for p in (root / prompt_id).glob("*.md"))
        raise ConfigError(f"no prompt {prompt_id}/{version} in {root} (available: {available or 'none'})")
    raw = path.read_text(encoding="utf-8")
    if USER_MARKER not in raw:
        raise ConfigError(f"{path} has no '{USER_MARKER}' line separating system and user parts")
    system, user = raw.split(USER_MARKER, 1)
    ref = PromptRef(id=prompt_id, version=version, sha256=hashlib.sha256(raw.encode()).hexdigest())
    return Prompt(ref=ref, system=system.strip(), user_template=user.strip())


def parse_spec(spec: str) -> tuple[str, str]:
    """'judge_claim/v1' -> ('judge_claim', 'v1'); 'judge_claim' -> ('judge_claim', 'v1')."""
    prompt_id, _, version = spec.partition("/")
    return prompt_id, version or "v1"
