"""Runs page (issue 11, part D): finished runs first, titles that name the article, progress and status
in the table, rows that open the run."""

from __future__ import annotations

from tests.ui.conftest import SETTINGS, checked, focus, open_app
from verify.models import Article, Run, utcnow


def add_run(store, run_id: str, text: str, title: str, status: str, source: str = "notes/brief.md") -> Run:
    article = Article.from_text(text, title=title, language="en", source=source)
    store.save_article(article)
    run = Run(id=run_id, article_id=article.id, created_at=utcnow(), status=status, settings=SETTINGS)
    store.create_run(run)
    return run


def test_finished_runs_come_first_with_progress_status_and_a_real_title(seeded_run):
    store = seeded_run.store
    opening = "The minister said on Tuesday that unemployment fell to its lowest level in twenty years, " * 2
    add_run(store, "r-newer-running", f"{opening}\n\n# Budget 2026: what was promised\n\nMore text.",
            title=opening[:80].rsplit(" ", 1)[0] + "…", status="running")
    at = open_app()
    table = at.dataframe(key="runs_table").value
    assert list(table["run"]) == [seeded_run.run.id, "r-newer-running"]  # the newer run is still going
    first = table.iloc[0]
    assert first["article"] == "trump-poutine-koursk.fr.txt"  # no title, no heading: the file, not a cut sentence
    assert (first["reviewed"], first["progress"], first["status"]) == ("0 / 4", 0.0, "finished")
    assert (first["✓"], first["✗"], first["?"], first["!"]) == (2, 1, 1, 0)
    second = table.iloc[1]
    assert second["article"] == "Budget 2026: what was promised" and second["status"] == "in progress or interrupted"
    assert list(table.columns)[:4] == ["article", "reviewed", "progress", "status"]  # on screen without scrolling
    assert at.selectbox(key="run_choice").value == seeded_run.run.id  # the picker's default is a finished run


def test_a_clicked_row_opens_its_run(seeded_run):
    at = open_app()
    at.session_state["runs_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    checked(at.run())
    assert focus(at) == seeded_run.claims[0].id
    assert at.query_params["run"] == seeded_run.run.id


def test_a_clicked_cell_opens_its_run(seeded_run):
    at = open_app()
    at.session_state["runs_table"] = {"selection": {"rows": [], "columns": [], "cells": [(0, "article")]}}
    checked(at.run())
    assert focus(at) == seeded_run.claims[0].id


def test_display_title_prefers_the_articles_own_title():
    from ui.runs_page import display_title

    text = "A long first sentence of a plain text article that goes on and on past any sensible headline."
    assert display_title(Article.from_text(text, title="Le Monde: budget", language="fr", source="x.txt")) \
        == "Le Monde: budget"
    cut = Article.from_text(text, title=text[:40].rsplit(" ", 1)[0] + "…", language="en", source="/a/b/c.txt")
    assert display_title(cut) == "c.txt"


def test_verify_ui_and_the_project_config_hide_streamlits_deploy_button_and_menu(monkeypatch, tmp_path):
    import tomllib
    from pathlib import Path

    from typer.testing import CliRunner

    from verify import cli
    from verify.store import Store

    Store(tmp_path / "x.db").close()
    seen = {}
    monkeypatch.setattr(cli.os, "execve", lambda exe, argv, env: seen.update(argv=argv))
    assert CliRunner().invoke(cli.app, ["ui", "--db", str(tmp_path / "x.db")]).exit_code == 0
    assert seen["argv"][seen["argv"].index("--client.toolbarMode") + 1] == "minimal"
    config = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
    assert tomllib.loads(config.read_text())["client"]["toolbarMode"] == "minimal"  # `streamlit run ui/app.py`
    # No full garbage collection after each script run (0.1-0.4 s a click with the dashboard's objects).
    assert seen["argv"][seen["argv"].index("--runner.postScriptGC") + 1] == "false"
    assert tomllib.loads(config.read_text())["runner"]["postScriptGC"] is False
