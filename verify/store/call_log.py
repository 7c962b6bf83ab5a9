"""The LLM call log: every request and reply (cached or not), the cache lookup, and usage sums."""

from __future__ import annotations

import json

from ..calls import CallLog, CallRecord, LoggedCall
from ..models import PromptRef, Usage, utcnow
from .connection import Connection, Record


class CallTables(Connection):
    """The `llm_calls` table; `call_log()` is what StructuredLLM records and caches through."""

    def call_log(self) -> CallLog:
        return CallLog(lookup=self.cached_response, record=self.record_call)

    def cached_response(self, request_hash: str) -> dict | None:
        """The latest reply to this request that the model actually sent and that validated: failed
        tries and invalid replies are logged with an error and never served again."""
        rows = self.query(
            "SELECT response, prompt_tokens, completion_tokens, total_tokens, served_model FROM llm_calls "
            "WHERE request_hash = ? AND error = '' AND cached = 0 ORDER BY id DESC LIMIT 1",
            (request_hash,),
        )
        if not rows:
            return None
        row = rows[0]
        usage = {k: row[k] for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
        return {"response": row["response"], "usage": usage, "served_model": row["served_model"]}

    def record_call(self, rec: CallRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO llm_calls (created_at, run_id, claim_id, purpose, model, prompt_id, prompt_version, "
                "prompt_sha256, request_hash, params, messages, response, prompt_tokens, completion_tokens, "
                "total_tokens, latency_s, error, cached, served_model) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (utcnow(), rec.run_id, rec.claim_id, rec.purpose, rec.model, rec.prompt.id, rec.prompt.version,
                 rec.prompt.sha256, rec.request_hash, json.dumps(rec.params), json.dumps(rec.messages),
                 rec.response, rec.usage.prompt_tokens, rec.usage.completion_tokens, rec.usage.total_tokens,
                 rec.usage.latency_s, rec.error, int(rec.cached), rec.served_model),
            )

    def last_call_id(self) -> int:
        return self.query("SELECT COALESCE(MAX(id), 0) AS n FROM llm_calls")[0]["n"]

    def call_usage(self, run_id: str, after_id: int = 0) -> Usage:
        """What a run cost, from the call log: requests sent to the model (failed tries included) with
        their tokens and time, and replies answered from the cache (no tokens spent) counted apart."""
        row = self.query(
            "SELECT COALESCE(SUM(CASE WHEN cached = 0 THEN 1 ELSE 0 END), 0) AS calls, "
            "COALESCE(SUM(CASE WHEN cached = 1 THEN 1 ELSE 0 END), 0) AS cached_calls, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN prompt_tokens END), 0) AS prompt_tokens, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN completion_tokens END), 0) AS completion_tokens, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN total_tokens END), 0) AS total_tokens, "
            "COALESCE(SUM(CASE WHEN cached = 0 THEN latency_s END), 0) AS latency_s "
            "FROM llm_calls WHERE run_id = ? AND id > ?", (run_id, after_id))[0]
        return Usage(**{**dict(row), "latency_s": round(row["latency_s"], 4)})

    def llm_calls(self, run_id: str) -> list[LoggedCall]:
        return [_logged(row) for row in self.query("SELECT * FROM llm_calls WHERE run_id = ? ORDER BY id", (run_id,))]

    def prompt_refs(self, run_id: str) -> list[PromptRef]:
        """Every prompt version the run's calls used, with its hash."""
        rows = self.query("SELECT DISTINCT prompt_id, prompt_version, prompt_sha256 FROM llm_calls WHERE run_id = ?",
                          (run_id,))
        return [PromptRef(id=row["prompt_id"], version=row["prompt_version"], sha256=row["prompt_sha256"])
                for row in rows]


def _logged(row: Record) -> LoggedCall:
    usage = Usage(prompt_tokens=row["prompt_tokens"], completion_tokens=row["completion_tokens"],
                  total_tokens=row["total_tokens"], latency_s=row["latency_s"])
    return LoggedCall(
        id=row["id"], created_at=row["created_at"], run_id=row["run_id"], claim_id=row["claim_id"],
        purpose=row["purpose"], model=row["model"], served_model=row["served_model"],
        prompt=PromptRef(id=row["prompt_id"], version=row["prompt_version"], sha256=row["prompt_sha256"]),
        request_hash=row["request_hash"], params=json.loads(row["params"]), messages=json.loads(row["messages"]),
        response=row["response"], usage=usage, error=row["error"], cached=bool(row["cached"]),
    )
