"""The `verify` command line."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from . import roles
from .config import Settings
from .errors import VerifyError
from .resources import DASHBOARD_APP
from .terminal import line, plain
from .vocabulary import DEMO_GRADE_WARNING, format_for_suffix, is_demo_grade, run_is_demo_grade

app = typer.Typer(
    help="verify: extract check-worthy claims from an article, retrieve evidence from a source library, "
    "judge each claim with citations, review and report.",
    no_args_is_help=True,
    epilog="Start with: verify run seeds/articles/trump-poutine-koursk.fr.txt --sources seeds/sources",
    add_completion=False,
)
# Piped output (files, CI logs, tests) gets wide lines: run ids and paths must not be wrapped.
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS") or 160)
console = Console(stderr=False, width=_WIDTH)
err = Console(stderr=True, width=_WIDTH)

ModelOpt = typer.Option(None, "--model", "-m", help="LLM spec: local | local:<file.gguf> | openai:<model> | <name> with --base-url. Env VERIFY_MODEL.")
BaseUrlOpt = typer.Option(None, "--base-url", help="OpenAI-compatible server (vLLM, Ollama, llama-server). Env VERIFY_BASE_URL.")
EmbedderOpt = typer.Option(None, "--embedder", "-e", help="Embedder spec: use+minilm (default: multilingual USE, plus MiniLM for English queries) | use | minilm | sbert:<model> | openai:<model> | hash | a+b. Env VERIFY_EMBEDDER.")
DbOpt = typer.Option(None, "--db", help="SQLite store path. Env VERIFY_DB (default ./verify.db).")
VsOpt = typer.Option(None, "--vectorstore", help="Chroma folder, or a Chroma server as http://host:port. Env VERIFY_VECTORSTORE (default ./vectorstore).")
CollectionOpt = typer.Option(None, "--collection", help="Chroma collection name (default 'sources').")


def _where(location) -> str:
    """A vector store as people should read it: a folder's full path, a server's URL as given."""
    return str(location.resolve() if isinstance(location, Path) else location)


def settings_from(**flags) -> Settings:
    """Settings from VERIFY_* and the flags; a malformed value stops here with an `error:` line."""
    try:
        return Settings.from_env(**{k: v for k, v in flags.items() if v is not None})
    except VerifyError as exc:
        fail(exc)


def open_for_reading(db: Optional[Path]):
    """The store for a reading command: it must exist, it is never created, migrated-in-place only if old."""
    from .store import Store

    return Store(settings_from(db_path=db).db_path, read_only=True)


def warn_unreadable(store) -> None:
    """Stored rows that could not be read were left out or shown as failed: say which."""
    for problem in store.problems:
        err.print(line(("warning:", "bold yellow"), f" {problem}"), highlight=False)


class RichProgress:
    """Pipeline progress as rich bars, one per stage."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def start(self, stage: str, total: int | None) -> None:
        if stage in self.tasks:
            self.progress.update(self.tasks[stage], total=total)
        else:
            self.tasks[stage] = self.progress.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage in self.tasks:
            task = self.progress.tasks[self.tasks[stage]]
            if task.total is None:
                self.progress.update(self.tasks[stage], total=n, completed=n)
            else:
                self.progress.advance(self.tasks[stage], n)

    def note(self, message: str) -> None:
        self.progress.console.print(plain(message, "yellow"), highlight=False, soft_wrap=True)  # the terminal wraps: no newline inside a path


def progress_bar() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description:<9}", markup=False), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)


def fail(exc: Exception) -> None:
    err.print(line(("error:", "bold red"), f" {exc}"), highlight=False)
    raise typer.Exit(code=2)


def _quiet_libraries() -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    logging.getLogger("chromadb").setLevel(logging.ERROR)


@app.command()
def run(
    article: Optional[str] = typer.Argument(None, help="Article file (.txt, .md, .html, .pdf) or URL (omit with --resume)."),
    sources: Optional[list[str]] = typer.Option(None, "--sources", "-s", help="Source files, folders or URLs to ingest first (repeatable)."),
    model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt, embedder: Optional[str] = EmbedderOpt,
    db: Optional[Path] = DbOpt, vectorstore: Optional[str] = VsOpt, collection: Optional[str] = CollectionOpt,
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Evidence passages per claim (default 5)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-j", help="Claims judged at once on remote backends (default 4)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse cached LLM replies."),
    resume: Optional[str] = typer.Option(None, "--resume", help="Finish an interrupted run (judges only claims without a verdict)."),
) -> None:
    """Verify an article: ingest sources, extract claims, retrieve evidence, judge, store.

    Example: verify run seeds/articles/trump-poutine-koursk.fr.txt --sources seeds/sources
    """
    _quiet_libraries()
    if not article and not resume:
        fail(VerifyError("give an ARTICLE to verify, or --resume RUN_ID to finish an interrupted run"))
    settings = settings_from(model=model, base_url=base_url, embedder=embedder, db_path=db, vectorstore=vectorstore,
                             collection=collection, top_k=top_k, concurrency=concurrency,
                             use_cache=False if no_cache else None)
    check_top_k(settings, from_flag=top_k is not None)
    warn_if_demo_grade(settings)
    from .pipeline import Pipeline

    try:
        with progress_bar() as bar:
            pipeline = Pipeline(settings, progress=RichProgress(bar))
            outcome = pipeline.resume(resume) if resume else pipeline.run(article, sources or [])
    except VerifyError as exc:
        fail(exc)
    print_summary(outcome, settings)
    if outcome.run.status == "failed":  # a run with no (or missing) claims must not look finished
        from rich.text import Text

        err.print(Text.assemble(("error:", "bold red"), f" claim extraction failed ({outcome.extraction_failures[0]}); "
                                f"run {outcome.run.id} is stored as failed. Fix the model endpoint, then: verify run "
                                f"--resume {outcome.run.id}"), highlight=False)
        raise typer.Exit(code=1)


TOP_K_RANGE = range(1, 51)


def check_top_k(settings: Settings, from_flag: bool) -> None:
    """0 passages would make every claim NOT_ENOUGH_INFO and a negative number would slice the
    library: both look like results, so they are refused."""
    if settings.top_k not in TOP_K_RANGE:
        where = "--top-k" if from_flag else "VERIFY_TOP_K"
        fail(VerifyError(f"{where}={settings.top_k} is not valid: expected a whole number of passages "
                         f"from {TOP_K_RANGE.start} to {TOP_K_RANGE.stop - 1}, e.g. 5"))


def usage_line(usage: dict) -> str:
    """Requests sent to the model and replies answered from the cache, never added together."""
    return (f"LLM calls: {usage.get('calls', 0)} sent to the model, {usage.get('cached_calls', 0)} answered from the "
            f"cache; tokens sent: {usage.get('prompt_tokens', 0)} prompt / {usage.get('completion_tokens', 0)} completion")


def print_summary(outcome, settings: Settings) -> None:
    from .show import verdict_counts_line

    run = outcome.run
    console.print(line("\n", (f"Run {run.id}", "bold"), f" on '{outcome.article.title}' ({outcome.article.language})"))
    if outcome.ingest is not None:
        console.print(plain(f"Sources: {outcome.ingest.summary()}"))
    flagged = run.summary.get("flagged_spans", 0)
    console.print(f"Claims found: {len(outcome.claims)}" + (f" ({flagged} with an unlocated span, flagged)" if flagged else ""))
    if outcome.extraction_failures:
        from rich.text import Text

        console.print(Text(f"Claim extraction failed for {len(outcome.extraction_failures)} part(s) of the article: "
                           "claims there are missing.", style="bold red"))
    console.print(line("Verdicts: ", verdict_counts_line(outcome.counts)))
    if outcome.counts.get("failed"):
        console.print(plain(f"{outcome.counts['failed']} verdict(s) failed; raw outputs are stored "
                            f"(see `verify show {run.id}`).", "yellow"))
    suspicious = sum(bool(v.suspicious_citations) for v in outcome.verdicts.values())
    if suspicious:
        console.print(plain(f"{suspicious} verdict(s) cite a source that gives orders to the model (possible prompt "
                            f"injection); check them by hand (see `verify show {run.id}`).", "bold red"))
    console.print(usage_line(run.summary.get("usage_this_invocation") or run.summary.get("usage", {})))
    console.print(plain(f"Stored in {settings.db_path.resolve()} (vector store {_where(settings.vectorstore)})"))
    console.print(line("Next: ", (f"verify show {run.id}", "cyan"), " | review: ", ("verify ui", "cyan"), " | report: ",
                       (f"verify report {run.id} --format md -o report.md", "cyan")))
    if run_is_demo_grade(run.summary, [run.settings.model]):
        console.print(line(("Demo-grade model:", "bold yellow"), f" {DEMO_GRADE_WARNING}"))


def warn_if_demo_grade(settings: Settings) -> None:
    """Before a run: the bundled model, or a Gemma 3 270M file given by path, is not for real checking."""
    if is_demo_grade(settings.model):
        err.print(f"[bold yellow]warning:[/bold yellow] {DEMO_GRADE_WARNING}", highlight=False)


@app.command()
def runs(db: Optional[Path] = DbOpt) -> None:
    """List runs, newest first."""
    from .show import runs_table

    try:
        store = open_for_reading(db)
        console.print(runs_table(store))
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)


@app.command()
def show(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    db: Optional[Path] = DbOpt,
    evidence: bool = typer.Option(False, "--evidence", help="Also list the retrieved passages of each claim."),
) -> None:
    """Show a run's claims with spans, verdicts and citations."""
    from .show import render_run

    try:
        store = open_for_reading(db)
        render_run(console, store, run_id, show_evidence=evidence)
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)


@app.command()
def rejudge(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    claim: str = typer.Argument(..., help="The claim's number as shown (3 or #3) or its id."),
    by: str = typer.Option(os.environ.get("USER", "") or "cli", "--by", help="Who asked for it (kept in the claim's history)."),
    model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt, embedder: Optional[str] = EmbedderOpt,
    db: Optional[Path] = DbOpt, vectorstore: Optional[str] = VsOpt, collection: Optional[str] = CollectionOpt,
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Evidence passages (default 5)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse a cached LLM reply."),
) -> None:
    """Retrieve and judge one claim again with the current model; the earlier verdict stays in its history."""
    _quiet_libraries()
    settings = settings_from(model=model, base_url=base_url, embedder=embedder, db_path=db, vectorstore=vectorstore,
                             collection=collection, top_k=top_k, use_cache=False if no_cache else None)
    check_top_k(settings, from_flag=top_k is not None)
    if not settings.db_path.is_file():  # re-judging never creates a store
        fail(VerifyError(f"no store at {settings.db_path}: check --db or VERIFY_DB (`verify run` creates the store)"))
    warn_if_demo_grade(settings)
    from .claim_edits import resolve_claim
    from .pipeline import rejudge_claim
    from .store import Store

    try:
        store = Store(settings.db_path)
        claim_id = resolve_claim(store, run_id, claim)
        before = store.verdict_of(claim_id)
        judged = rejudge_claim(settings, run_id, claim_id, by, store=store)
    except VerifyError as exc:
        fail(exc)
    verdict = judged.verdict
    was = (before.label.value if before.label else "failed") if before else "no verdict"
    now = verdict.label.value if verdict.label else f"failed ({verdict.error})"
    console.print(plain(f"claim #{judged.claim.index + 1} re-judged by {verdict.model}: {now} (was {was}); "
                        f"{len(judged.evidence)} passage(s) retrieved"), highlight=False, soft_wrap=True)
    if verdict.status != "ok":
        raise typer.Exit(code=1)


@app.command("memory")
def memory_command(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    embedder: Optional[str] = EmbedderOpt, db: Optional[Path] = DbOpt,
) -> None:
    """Claim memory: find the run's claims that resemble claims already reviewed in other runs (any
    language) and store them, so the dashboard suggests those decisions. `verify run` does this itself;
    run it again after more reviewing."""
    _quiet_libraries()
    settings = settings_from(embedder=embedder, db_path=db)
    if not settings.db_path.is_file():  # never creates a store
        fail(VerifyError(f"no store at {settings.db_path}: check --db or VERIFY_DB (`verify run` creates the store)"))
    from .memory import compute_matches
    from .store import Store

    try:
        store = Store(settings.db_path)
        matches = compute_matches(store, run_id, settings.embedder)
        numbers = {c.id: c.index + 1 for c in store.get_claims(run_id)}
        sources = {m.source_run_id: {c.id: c.index + 1 for c in store.get_claims(m.source_run_id)} for m in matches}
    except VerifyError as exc:
        fail(exc)
    for m in matches:
        console.print(plain(f"claim #{numbers[m.claim_id]} ~ claim #{sources[m.source_run_id][m.source_claim_id]} of "
                            f"run {m.source_run_id} (similarity {m.score:.2f})"), highlight=False, soft_wrap=True)
    claims = len({m.claim_id for m in matches})
    console.print(plain(f"{claims} claim(s) of run {run_id} resemble claims already reviewed"
                        + ("; open the run in `verify ui` to accept or ignore the suggestions" if claims else "")),
                  highlight=False, soft_wrap=True)


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Source files, folders (recursive) or URLs."),
    embedder: Optional[str] = EmbedderOpt, vectorstore: Optional[str] = VsOpt, collection: Optional[str] = CollectionOpt,
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the collection (or a broken vector store) and re-embed everything."),
) -> None:
    """Add reference sources to the vector store without running."""
    _quiet_libraries()
    from .embed import build_embedder
    from .ingest import ingest as do_ingest
    from .vectorstore import VectorStore

    settings = settings_from(embedder=embedder, vectorstore=vectorstore, collection=collection)
    try:
        emb = build_embedder(settings.embedder)  # a spec that cannot be built must not stamp a collection
        opener = VectorStore.rebuild if rebuild else VectorStore
        vstore = opener(settings.vectorstore, settings.collection, settings.embedder)
        if vstore.moved_aside:
            err.print(plain(f"The broken vector store files were moved to {vstore.moved_aside}; delete that "
                            "folder once the rebuilt library works.", "yellow"), highlight=False)
        with progress_bar() as bar:
            task = bar.add_task("ingest", total=None)

            def on_progress(done: int, total: int, name: str) -> None:
                bar.update(task, total=total, completed=done)

            report = do_ingest(paths, vstore, emb, max_bytes=settings.max_input_bytes,
                               timeout_s=settings.url_timeout_s, on_progress=on_progress)
    except VerifyError as exc:
        fail(exc)
    for location, reason in report.failed:
        err.print(line(("skipped", "yellow"), " " + (reason if location in reason else f"{location}: {reason}")),
                  highlight=False)
    for location, holder in report.duplicates:
        err.print(line(("duplicate", "yellow"), f" {location}: same text as source '{holder}'"), highlight=False)
    console.print(plain(f"{report.summary()}. Library: {vstore.count()} chunks in {settings.vectorstore}/{settings.collection}"))
    if report.failed and not (report.added or report.replaced or report.redone or report.unchanged):
        raise typer.Exit(code=1)


@app.command("hash-password")
def hash_password() -> None:
    """Print a bcrypt hash of a password (asked twice, never shown) for the team users file (VERIFY_AUTH_CONFIG)."""
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        console.print(roles.hash_password(password), highlight=False)
    except VerifyError as exc:
        fail(exc)


@app.command("ui")
def ui_command(
    db: Optional[Path] = DbOpt,
    port: int = typer.Option(8501, "--port", help="Port to serve the dashboard on."),
    address: str = typer.Option("127.0.0.1", "--address", help="Address to bind (127.0.0.1 keeps it on this machine)."),
) -> None:
    """Open the review dashboard (Streamlit) on the store: approve or reject every verdict."""
    app_path = DASHBOARD_APP  # ui/ beside the package in a checkout, inside it in a wheel (verify/resources.py)
    if not app_path.is_file():
        fail(VerifyError(f"the dashboard is not at {app_path}: reinstall verify (pip install -e . in the checkout)"))
    settings = settings_from(db_path=db)
    db_path = settings.db_path.resolve()
    if not db_path.is_file():  # the dashboard only reads a store (and adds review events): `verify run` makes one
        fail(VerifyError(f"no store at {db_path}: check --db or VERIFY_DB (`verify run` creates the store)"))
    try:  # off this machine only with a login (verify/roles.py); the page itself checks it too (ui/auth.py)
        warning = roles.check_serving(address, settings)
    except VerifyError as exc:
        fail(exc)
    if warning:
        err.print(line(("warning:", "bold yellow"), f" {warning}"), highlight=False)
    env = dict(os.environ, VERIFY_DB=str(db_path))
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path), "--server.address", address,
           "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]  # as .streamlit/config.toml
    console.print(plain(f"Review dashboard: http://{address}:{port}  (store {db_path}; Ctrl+C stops it)"), highlight=False)
    sys.stdout.flush()
    # exec, not a child process: Ctrl+C and a kill of this pid reach the server itself.
    os.execve(sys.executable, cmd, env)


@app.command()
def report(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help="md | html | json | csv | claimreview (default: from -o's suffix, else md)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
    only_reviewed: bool = typer.Option(False, "--only-reviewed", help="Only claims a reviewer approved or rejected."),
    only_approved: bool = typer.Option(False, "--only-approved", help="Only claims whose machine verdict was approved."),
    include_rejected: bool = typer.Option(True, "--include-rejected/--exclude-rejected", help="Show machine verdicts a reviewer rejected (excluded: the claim keeps only the reviewer's corrected label)."),
    bom: bool = typer.Option(True, "--bom/--no-bom", help="CSV: start with a UTF-8 byte-order mark so Excel reads accents (default); --no-bom drops it."),
    organization: str = typer.Option("", "--organization", help="ClaimReview: publishing organisation (default: the reviewer as author)."),
    publish_url: str = typer.Option("", "--publish-url", help="ClaimReview: URL the reviews will be published at."),
    publish: bool = typer.Option(False, "--publish", help="ClaimReview: refuse the export unless every property publishing needs is set (names what each claim lacks)."),
    by: str = typer.Option(os.environ.get("USER", "") or "cli", "--by", help="Who publishes: with --publish and a team's users file, an editor or admin."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Export a run's citation report: claims, verdicts, reviewer decisions, numbered citations, bibliography."""
    from .report import FORMATS, render_report, write_report

    fmt = (fmt or format_for_suffix(output)).lower()
    if fmt not in FORMATS:
        fail(VerifyError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}"))
    if publish and fmt != "claimreview":
        fail(VerifyError("--publish applies to the ClaimReview export: add --format claimreview"))
    if publish:  # only an editor publishes (verify/roles.py; anyone when auth is off, one person)
        from .roles import require

        try:
            require(by, "publish")
        except VerifyError as exc:
            fail(exc)
    warnings: list[str] = []  # what a ClaimReview reader should know: placeholder URL, claims left out
    try:
        store = open_for_reading(db)
        data = render_report(store, run_id, fmt, only_reviewed=only_reviewed, only_approved=only_approved,
                             include_rejected=include_rejected, bom=bom, organization=organization,
                             publish_url=publish_url, publish=publish, warnings=warnings)
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)
    for warning in warnings:
        err.print(line(("warning:", "bold yellow"), f" {warning}"), highlight=False)
    if output is None:
        to_stdout(data)
        return
    try:
        write_report(output, data)
    except VerifyError as exc:
        fail(exc)
    err.print(plain(f"Wrote {fmt} report of run {run_id} to {output} ({len(data):,} bytes)"), highlight=False)


def to_stdout(data: bytes) -> None:
    """A report on standard output: a reader that stops early (`| head`) is not an error; a full disk is."""
    from .report import write_error

    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except OSError as exc:
        _detach_stdout()  # else Python fails again flushing it at exit, with a traceback-like message
        if isinstance(exc, BrokenPipeError):
            raise typer.Exit(code=0) from None
        fail(VerifyError(write_error("standard output", exc)))


def _detach_stdout() -> None:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test runner's buffer)
        pass


@app.command("claim-meta")
def claim_meta(
    run_id: str = typer.Argument(..., help="Run id (see `verify runs`)."),
    claim: str = typer.Argument(..., help="The claim's number as shown (3 or #3) or its id."),
    claimant: Optional[str] = typer.Option(None, "--claimant", help="Who made the claim (ClaimReview itemReviewed.author); '' clears it."),
    claimant_kind: Optional[str] = typer.Option(None, "--claimant-kind", help="person (default) or organization."),
    claim_date: Optional[str] = typer.Option(None, "--claim-date", help="When the claim was made, YYYY-MM-DD."),
    appearance_url: Optional[str] = typer.Option(None, "--appearance-url", help="Where the claim appeared (http/https); default: the article's URL."),
    rating: Optional[str] = typer.Option(None, "--rating", help="Rating name from VERIFY_RATING_SCALE (when several names mean the reviewer's verdict)."),
    by: str = typer.Option(os.environ.get("USER", "") or "cli", "--by", help="Who sets them (kept in the claim's history)."),
    note: str = typer.Option("", "--note", help="Why (kept in the claim's history)."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Publication details of a claim for ClaimReview: claimant, claim date, appearance URL, rating name.
    Without options, prints the current ones."""
    from .claim_edits import resolve_claim
    from .publication import ClaimPublication, publication_details, set_details
    from .rating_scale import load_scale
    from .store import Store

    changes = {"claimant": claimant, "claimant_kind": claimant_kind, "claim_date": claim_date,
               "appearance_url": appearance_url, "rating": rating}
    writing = any(value is not None for value in changes.values())
    db_path = settings_from(db_path=db).db_path
    if not db_path.is_file():  # never creates a store
        fail(VerifyError(f"no store at {db_path}: check --db or VERIFY_DB (`verify run` creates the store)"))
    try:
        scale = load_scale()
        store = Store(db_path) if writing else open_for_reading(db)
        claim_id = resolve_claim(store, run_id, claim)
        if writing:
            set_details(store, run_id, claim_id, by, scale=scale, note=note, **changes)
        details = publication_details(store, run_id).get(claim_id, ClaimPublication())
    except VerifyError as exc:
        fail(exc)
    shown = {key: value or "(not set)" for key, value in details.model_dump().items()}
    number = store.claim_ids(run_id).index(claim_id) + 1
    console.print(plain(f"claim #{number} of run {run_id}: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in shown.items())),
                  highlight=False, soft_wrap=True)


@app.command("eval")
def eval_command(
    dataset: Path = typer.Argument(..., help="Labelled claims, JSONL (format: docs/eval-format.md)."),
    mode: str = typer.Option("pooled", "--mode", help="pooled: retrieve from all the set's evidence; paired: judge each claim against its own evidence."),
    model: Optional[str] = ModelOpt, base_url: Optional[str] = BaseUrlOpt, embedder: Optional[str] = EmbedderOpt,
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Judge a seeded, label-balanced sample of N claims (retrieval is scored on all)."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-j", help="Claims judged at once on remote backends."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the full results as JSON."),
    markdown: Optional[Path] = typer.Option(None, "--markdown", help="Write a Markdown summary."),
    seed: int = typer.Option(0, "--seed", help="Seed for the --limit sample."),
    sources: Optional[list[str]] = typer.Option(None, "--sources", help="pooled: retrieve from these source files instead of the set's evidence (e.g. seeds/sources)."),
    top_k: Optional[int] = typer.Option(None, "--top-k", "-k", help="Evidence passages per claim (default 5)."),
    db: Optional[Path] = DbOpt, no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse cached LLM replies."),
) -> None:
    """Score retrieval and verdicts on a labelled claim set (accuracy, recall@k, citations, time, cost)."""
    _quiet_libraries()
    from .evaluation.report import console_summary, write_outputs
    from .evaluation.run import EvalConfig, Evaluator

    settings = settings_from(model=model, base_url=base_url, embedder=embedder, db_path=db, top_k=top_k,
                             concurrency=concurrency, use_cache=False if no_cache else None)
    check_top_k(settings, from_flag=top_k is not None)
    cfg = EvalConfig(dataset=dataset, mode=mode, limit=limit, seed=seed, sources=sources or None)
    try:
        evaluator = Evaluator(cfg, settings)  # validates the dataset before loading any model
        warn_if_demo_grade(settings)
        with progress_bar() as bar:
            evaluator.progress = RichProgress(bar)
            results = evaluator.run()
    except VerifyError as exc:
        fail(exc)
    console.print(console_summary(results), markup=False, highlight=False)
    for path in write_outputs(results, out, markdown):
        console.print(plain(f"wrote {path}"))


@app.command("export-gold")
def export_gold_command(
    run_ids: Optional[list[str]] = typer.Argument(None, help="Run ids (default: every run in the store)."),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL file to write (the `verify eval` format)."),
    db: Optional[Path] = DbOpt,
) -> None:
    """Write reviewed claims as a labelled set: the reviewer's label, reviewer and approved citations as evidence.

    Example: verify export-gold -o gold.jsonl && verify eval gold.jsonl --model openai:gpt-4o-mini
    """
    from .gold import export_gold
    from .report import write_report

    try:
        store = open_for_reading(db)
        gold = export_gold(store, run_ids or None)
        if not gold.claims:
            raise VerifyError(f"no reviewed claim to export ({gold.summary()}): approve or reject claims in `verify ui` first")
        write_report(output, gold.jsonl())
    except VerifyError as exc:
        fail(exc)
    warn_unreadable(store)
    err.print(plain(f"Wrote {gold.summary()} to {output}; score a model on it with `verify eval {output}`"),
              highlight=False, soft_wrap=True)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
