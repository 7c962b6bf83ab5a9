"""Articles, runs, claims, evidence and verdicts, and the summaries of them the dashboard and the
report read (progress keys, verdict counts, the sources a run retrieved)."""

from __future__ import annotations

import json
from typing import NamedTuple

from ..errors import StoreError
from ..models import Article, Claim, Evidence, PromptRef, Run, SourceMeta, Verdict, utcnow
from .connection import Connection, Record, Tx, _short


class RunVersion(NamedTuple):
    """Changes whenever anything a run's page shows changes (the dashboard's cache key)."""

    last_event: int  # the run's last review event id
    verdicts: str  # "count:max rowid": a resumed run replaces a failed verdict with a new rowid
    status: str | None


class StoreVersion(NamedTuple):
    """Changes whenever anything the list of runs shows changes."""

    last_event: int
    verdicts: int
    runs: int
    running: int
    failed: int


class RetrievedSource(NamedTuple):
    """One evidence row of a run, reduced to the source it came from."""

    claim_id: str
    chunk_id: str
    source: SourceMeta


class RunTables(Connection):
    # --- articles and runs ------------------------------------------------------------------------

    def save_article(self, article: Article) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO articles (id, title, language, text, source, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (article.id, article.title, article.language, article.text, article.source, utcnow()),
            )

    def get_article(self, article_id: str) -> Article:
        rows = self.query("SELECT id, title, language, text, source FROM articles WHERE id = ?", (article_id,))
        if not rows:
            raise StoreError(f"no article {article_id} in {self.path}")
        return Article(**dict(rows[0]))

    def create_run(self, run: Run) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (run.id, run.article_id, run.created_at, run.status, run.settings.model_dump_json(),
                 json.dumps(run.summary)),
            )

    def finish_run(self, run_id: str, status: str, summary: dict) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET status = ?, summary = ? WHERE id = ?", (status, json.dumps(summary), run_id))

    def get_run(self, run_id: str) -> Run:
        rows = self.query("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise StoreError(f"no run {run_id!r} in {self.path}: `verify runs` lists the runs")
        try:
            return _run(rows[0])
        except ValueError as exc:
            raise StoreError(f"runs row {run_id!r} in {self.path} is unreadable ({_short(exc)}); "
                             "the file may be damaged: keep a copy before running anything else on it") from exc

    def list_runs(self) -> list[Run]:
        return self._readable("runs", "id", self.query("SELECT * FROM runs ORDER BY created_at DESC, id DESC"), _run)

    # --- claims, evidence, verdicts ---------------------------------------------------------------

    def save_claims(self, claims: list[Claim]) -> None:
        with self.transaction() as db:
            for claim in claims:
                db.execute(f"INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET {_CLAIM_UPDATE}",
                           claim_row(claim))

    def get_claims(self, run_id: str) -> list[Claim]:
        rows = self.query("SELECT id, data FROM claims WHERE run_id = ? ORDER BY idx", (run_id,))
        return self._readable("claims", "id", rows, lambda row: Claim.model_validate_json(row["data"]))

    def save_judgement(self, claim: Claim, evidence: list[Evidence], verdict: Verdict) -> None:
        """Evidence and verdict of one claim, in one transaction: a crash leaves neither or both."""
        with self.transaction() as db:
            write_judgement(db, claim, evidence, verdict)

    def get_evidence(self, claim_id: str) -> list[Evidence]:
        rows = self.query("SELECT claim_id || ':' || CAST(rank AS TEXT) AS key, data FROM evidence WHERE claim_id = ? ORDER BY rank",
                          (claim_id,))
        return self._readable("evidence", "key", rows, lambda row: Evidence.model_validate_json(row["data"]))

    def get_verdicts(self, run_id: str) -> dict[str, Verdict]:
        rows = self.query("SELECT * FROM verdicts WHERE run_id = ?", (run_id,))
        verdicts = [self._verdict(row) for row in rows]
        return {v.claim_id: v for v in verdicts}

    def verdict_of(self, claim_id: str) -> Verdict | None:
        rows = self.query("SELECT * FROM verdicts WHERE claim_id = ?", (claim_id,))
        return self._verdict(rows[0]) if rows else None

    def _verdict(self, row: Record) -> Verdict:
        """A verdict whose stored JSON is damaged becomes a failed verdict that says so and keeps the
        stored text: the claim is still shown, and no label is taken from a damaged row."""
        try:
            return Verdict.model_validate_json(row["data"])
        except ValueError as exc:
            self.note_unreadable("verdicts", row["id"], exc, "its claim is shown as failed")
            return Verdict(id=row["id"], run_id=row["run_id"], claim_id=row["claim_id"], status="error", label=None,
                           model="unknown", prompt=PromptRef(id="unknown", version="unknown", sha256=""),
                           error=f"the stored verdict (verdicts row {row['id']!r}) is unreadable: {_short(exc)}",
                           raw_output=str(row["data"]), created_at=row["created_at"])

    # --- summaries for the dashboard and the report -------------------------------------------------

    def run_version(self, run_id: str) -> RunVersion:
        # A replaced verdict is a new row: SQLite gives it a new rowid, PostgreSQL a new xmin (the id of
        # the transaction that wrote it).
        row_version = "CAST(xmin AS TEXT)::bigint" if self.postgres else "rowid"
        row = self.query(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM review_events WHERE run_id = ?) AS ev, "
            "(SELECT CAST(COUNT(*) AS TEXT) || ':' || CAST(COALESCE(MAX(" + row_version + "), 0) AS TEXT) "
            "FROM verdicts WHERE run_id = ?) AS nv, "
            "(SELECT status FROM runs WHERE id = ?) AS st", (run_id, run_id, run_id))[0]
        return RunVersion(row["ev"], row["nv"], row["st"])

    def store_version(self) -> StoreVersion:
        row = self.query(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM review_events) AS ev, (SELECT COUNT(*) FROM verdicts) AS nv, "
            "(SELECT COUNT(*) FROM runs) AS nr, (SELECT COUNT(*) FROM runs WHERE status = 'running') AS running, "
            "(SELECT COUNT(*) FROM runs WHERE status = 'failed') AS failed")[0]
        return StoreVersion(*row)

    def verdict_counts(self) -> dict[str, dict[str, int]]:
        """Per run, how many verdicts carry each label ("failed" for a verdict without one)."""
        counts: dict[str, dict[str, int]] = {}
        for row in self.query("SELECT run_id, COALESCE(label, 'failed') AS label, COUNT(*) AS n FROM verdicts "
                              "GROUP BY run_id, label"):
            counts.setdefault(row["run_id"], {})[row["label"]] = row["n"]
        return counts

    def claim_ids(self, run_id: str) -> list[str]:
        """The run's claim ids in article order, without parsing the claims."""
        return [row["id"] for row in self.query("SELECT id FROM claims WHERE run_id = ? ORDER BY idx", (run_id,))]

    def retrieved_sources(self, run_id: str) -> list[RetrievedSource]:
        """The source of every evidence passage of the run. Only the source is parsed (a 500-claim
        report reads a few thousand rows); a damaged row is named in `problems` and left out."""
        rows = self.query("SELECT e.claim_id, e.rank, e.chunk_id, e.data FROM evidence e JOIN claims c "
                          "ON c.id = e.claim_id WHERE c.run_id = ?", (run_id,))
        parsed: dict[str, SourceMeta] = {}
        out = []
        for row in rows:
            if row["chunk_id"] not in parsed:
                try:
                    parsed[row["chunk_id"]] = SourceMeta.model_validate(json.loads(row["data"])["chunk"]["source"])
                except (ValueError, KeyError, TypeError) as exc:
                    self.note_unreadable("evidence", f"{row['claim_id']}:{row['rank']}", exc,
                                         "its source is left out of the bibliography")
                    continue
            out.append(RetrievedSource(row["claim_id"], row["chunk_id"], parsed[row["chunk_id"]]))
        return out


_CLAIM_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in
                          ("run_id", "idx", "text", "text_en", "span_start", "span_end", "anchor", "data"))


def claim_row(claim: Claim) -> tuple:
    """The `claims` row of a claim (a run's extracted claims, or one added by hand)."""
    return (claim.id, claim.run_id, claim.index, claim.text, claim.text_en,
            claim.span.start if claim.span else None, claim.span.end if claim.span else None,
            claim.anchor, claim.model_dump_json())


def write_judgement(db: Tx, claim: Claim, evidence: list[Evidence], verdict: Verdict) -> None:
    """Replace a claim's evidence and verdict, inside the caller's transaction (a run's or a re-judgement's).
    The old verdict row is deleted, then the new one inserted (a new row: see run_version)."""
    db.execute("DELETE FROM evidence WHERE claim_id = ?", (claim.id,))
    for item in evidence:
        db.execute("INSERT INTO evidence VALUES (?, ?, ?, ?)", (claim.id, item.rank, item.chunk.id, item.model_dump_json()))
    db.execute("DELETE FROM verdicts WHERE claim_id = ? OR id = ?", (verdict.claim_id, verdict.id))
    db.execute("INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?)",
               (verdict.id, verdict.run_id, verdict.claim_id, verdict.status,
                verdict.label.value if verdict.label else None, verdict.model_dump_json(), verdict.created_at))


def _run(row: Record) -> Run:
    return Run(
        id=row["id"], article_id=row["article_id"], created_at=row["created_at"], status=row["status"],
        settings=json.loads(row["settings"]), summary=json.loads(row["summary"]),
    )

