"""Shared fixtures. Every data path points at tmp_path, so no test touches a real store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes import extraction_reply, judge_reply, register_fake, scripted
from verify.backends import unregister
from verify.config import Settings
from verify.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "seeds" / "articles" / "trump-poutine-koursk.fr.txt"
SEED_SOURCES = ROOT / "seeds" / "sources"
SHARED_EVAL = ROOT.parent / "shared" / "eval"

# Claims of the seed article used by scripted runs, in article order: (quote, claim, claim_en, label).
SEED_CLAIMS = [
    ("Steve Witkoff, a tenu une longue réunion avec M. Poutine jeudi soir à Moscou",
     "Steve Witkoff a rencontré Vladimir Poutine jeudi soir à Moscou.",
     "Steve Witkoff met Vladimir Putin on Thursday evening in Moscow.", "SUPPORTED"),
    ("l'armée de Kiev a immédiatement déclaré qu'il n'y avait pas de menace d'encerclement",
     "L'armée ukrainienne a déclaré qu'il n'y avait pas de menace d'encerclement à Koursk.",
     "Ukraine's military said there was no threat of encirclement in Kursk.", "REFUTED"),
    ("Karoline Leavitt, a déclaré aux journalistes que M. Trump lui-même n'avait pas encore parlé à M. Poutine",
     "Karoline Leavitt a déclaré que Trump n'avait pas encore parlé à Poutine.",
     "Karoline Leavitt said Trump had not yet spoken to Putin.", "SUPPORTED"),
    ("Keith Kellogg, soit impliqué dans les discussions de haut niveau",
     "Des responsables russes ne voulaient pas que Keith Kellogg participe aux discussions.",
     "Russian officials did not want Keith Kellogg involved in the talks.", "NOT_ENOUGH_INFO"),
]


def pytest_addoption(parser):
    parser.addoption("--store", choices=("sqlite", "postgresql"), default=os.environ.get("VERIFY_TEST_STORE", "sqlite"),
                     help="the store every test's VERIFY_DB points at: an SQLite file (default) or a fresh PostgreSQL "
                          "database per test on a throw-away server (issue 14; also env VERIFY_TEST_STORE)")


def pytest_configure(config):
    store = config.getoption("--store")
    if store not in ("sqlite", "postgresql"):  # argparse does not check a default taken from the environment
        raise pytest.UsageError(f"VERIFY_TEST_STORE={store!r} is not valid: expected sqlite or postgresql")


def pytest_collection_modifyitems(config, items):
    """Under --store postgresql, a test about SQLite files themselves is skipped with its marker's reason (never silently)."""
    if config.getoption("--store") != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "about SQLite files")
            item.add_marker(pytest.mark.skip(reason=f"sqlite_only: {reason}"))


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, request):
    """Every data path in tmp_path; with --store postgresql, VERIFY_DB is a fresh PostgreSQL database instead."""
    on_postgres = request.config.getoption("--store") == "postgresql" and not request.node.get_closest_marker("sqlite_only")
    db = request.getfixturevalue("postgres_url") if on_postgres else str(tmp_path / "verify.db")
    monkeypatch.setenv("VERIFY_DB", db)
    monkeypatch.setenv("VERIFY_VECTORSTORE", str(tmp_path / "vectorstore"))
    monkeypatch.setenv("VERIFY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("VERIFY_EMBEDDER", "hash")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    for name in ("VERIFY_MODEL", "VERIFY_BASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                 "VERIFY_AUTH_CONFIG", "VERIFY_TRUSTED_USER_HEADER"):  # a login would change every dashboard test
        monkeypatch.delenv(name, raising=False)
    yield tmp_path
    unregister("fake")  # a scripted model registered by one test is never seen by the next


def fake_settings(**overrides) -> Settings:
    """Settings for a scripted run: abstractive extraction, one judge at a time (scripts are ordered)."""
    base = dict(model="fake", extract_mode="abstractive", concurrency=1, embedder="hash", window_chars=20000)
    base.update(overrides)
    return Settings.from_env(**base)


def make_pipeline(chat, **overrides) -> Pipeline:
    """A pipeline whose model spec `fake` resolves, through the backend registry, to `chat`."""
    register_fake(chat)
    return Pipeline(fake_settings(**overrides))


def seed_script():
    """Extraction reply plus one judge reply per seed claim (citing the first evidence sentence)."""
    replies = [extraction_reply(*[(q, c, e) for q, c, e, _ in SEED_CLAIMS])]
    replies += [judge_reply(label, [] if label == "NOT_ENOUGH_INFO" else ["S1"]) for *_, label in SEED_CLAIMS]
    return replies


@pytest.fixture
def seeded_run(request):
    """A real run (real SQLite, real Chroma, hash embedder) of the seed article with a scripted model.
    In a test that also uses `store_url`, the run is stored there (SQLite, then PostgreSQL).

    Returns the RunOutcome; its pipeline's store is at `outcome.store`.
    """
    if "store_url" in request.fixturenames:
        request.getfixturevalue("store_url")  # sets VERIFY_DB before the pipeline reads it
    chat = scripted(*seed_script())
    pipeline = make_pipeline(chat)
    outcome = pipeline.run(str(SEED_ARTICLE), [str(SEED_SOURCES)])
    outcome.store = pipeline.store
    outcome.chat = chat
    return outcome


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the session (Debian's package, 127.0.0.1, a free port, a temp cluster)."""
    from tests.postgres_server import start_postgres

    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path, monkeypatch):
    """Issue 14: the store tests run on both stores. The store's location, also set as VERIFY_DB: an SQLite
    file, then a fresh database on the session's PostgreSQL server. A module runs all its tests on both
    with `pytestmark = pytest.mark.usefixtures("store_url")`."""
    url = str(tmp_path / "verify.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("VERIFY_DB", url)
    yield url
    if request.param == "postgresql":  # the test really wrote to PostgreSQL (not to a file named after the URL)
        import psycopg

        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0], "nothing was stored in PostgreSQL"


@pytest.fixture
def postgres_url(postgres, request):
    """A fresh, empty database on the session's server, dropped after the test: its postgresql:// URL."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9_]", "_", f"t_{request.node.name.lower()}")[:40] + "_" + uuid.uuid4().hex[:8]
    url = postgres.create_database(name)
    yield url
    postgres.drop_database(name)
