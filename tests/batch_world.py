"""A synthetic newsroom for batch tests and bench/team.py: articles of distinct factual sentences, a small
source library, and the reply function of the OpenAI-compatible stand-in server (tests/openai_server.py)
that extracts every sentence of an article as a claim and judges each claim, after a set latency.

Every claim sentence carries its key (`item A-K`: article A, sentence K), so the server and the audits can
tell which claim a judge request is about.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from pathlib import Path

from tests.fakes import extraction_reply, judge_reply
from tests.openai_server import Behaviour, user_text

NAMES = ["Alice Moreau", "Bruno Keller", "Chiara Rossi", "Dmitri Orlov", "Elena Garcia", "Farid Haddad", "Greta Lind",
         "Hiroshi Sato", "Ines Duarte", "Jonas Berg", "Kofi Mensah", "Lena Novak", "Marco Bianchi", "Nadia Petrova",
         "Omar Khalil", "Paula Silva", "Quentin Roux", "Rosa Jimenez", "Samir Nasser", "Tanja Weber"]
VERBS = ["announced", "reported", "confirmed", "denied", "estimated", "disclosed", "revealed", "stated", "claimed",
         "acknowledged", "predicted", "recorded", "published", "certified", "measured"]
NOUNS = ["tractors", "vaccines", "refugees", "turbines", "ballots", "containers", "teachers", "hectares", "patents",
         "lorries", "apartments", "satellites", "tonnes of grain", "megawatts", "bridges", "hospital beds",
         "kilometres of rail", "fishing boats", "research grants", "factories"]
CITIES = ["Lisbon", "Gdansk", "Porto", "Lyon", "Tampere", "Graz", "Malmo", "Bilbao", "Trieste", "Leipzig", "Cork",
          "Brno", "Ghent", "Split", "Tartu", "Aarhus", "Bergen", "Turin", "Nantes", "Kaunas"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
KEY = re.compile(r"item (\d+)-(\d+)")


def sentence(article: int, k: int, rng: random.Random) -> str:
    return (f"{rng.choice(NAMES)} {rng.choice(VERBS)} that {rng.randint(1000, 99999)} {rng.choice(NOUNS)} reached "
            f"{rng.choice(CITIES)} on {rng.choice(DAYS)}, item {article}-{k}.")


def write_articles(folder: Path, articles: int, claims_per_article: int, seed: int = 14) -> list[Path]:
    """`articles` Markdown articles of `claims_per_article` distinct sentences each (one per line)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in range(articles):
        lines = [sentence(a, k, rng) for k in range(claims_per_article)]
        path = folder / f"article-{a:03d}.md"
        path.write_text(f"---\ntitle: Synthetic dispatch {a}\nlanguage: en\n---\n\n" + "\n\n".join(lines) + "\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


def write_library(folder: Path, sources: int = 20, seed: int = 41) -> Path:
    """A small source library: reports in the same vocabulary, so retrieval finds passages for every claim."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for s in range(sources):
        lines = [sentence(1000 + s, k, rng).replace("item", "report") for k in range(6)]
        (folder / f"source-{s:03d}.md").write_text(f"---\ntitle: Wire report {s}\nlanguage: en\n---\n\n"
                                                    + " ".join(lines) + "\n", encoding="utf-8")
    return folder


class StandInModel:
    """The server's reply function: extraction returns every keyed sentence of the article; judging answers
    SUPPORTED citing S1 (or NOT_ENOUGH_INFO when no evidence was shown) after `latency_s`. Claims listed in
    `fail` get HTTP 400 (not retried: a failed verdict); the first judge request of a claim in `slow` waits
    `slow_s`. Counts judge requests per claim key."""

    def __init__(self, latency_s: float = 0.2, fail: set[str] = frozenset(), slow: set[str] = frozenset(),
                 slow_s: float = 0.0):
        self.latency_s, self.fail, self.slow, self.slow_s = latency_s, set(fail), set(slow), slow_s
        self.judged: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, request: dict) -> Behaviour:
        text = user_text(request)
        if "<article>" in text:
            body = text.split("<article>", 1)[1].split("</article>", 1)[0]
            quotes = [ln.strip() for ln in body.splitlines() if KEY.search(ln)]
            return Behaviour(extraction_reply(*[(q, q, q) for q in quotes]), delay_s=self.latency_s)
        found = KEY.search(text)
        if found is None:
            return Behaviour("ok")  # verify's one-token question: which model answers (identify_model)
        key = "-".join(found.groups())
        with self.lock:
            self.judged[key] += 1
            first = self.judged[key] == 1
        if key in self.fail:
            return Behaviour(status=400, delay_s=self.latency_s)
        delay = self.slow_s if key in self.slow and first else self.latency_s
        return Behaviour(judge_reply("SUPPORTED", ["S1"]) if "S1:" in text else judge_reply("NOT_ENOUGH_INFO", []),
                         delay_s=delay)


def claim_key(claim_text: str) -> str:
    return "-".join(KEY.search(claim_text).groups())
