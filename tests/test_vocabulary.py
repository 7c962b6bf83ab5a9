"""One vocabulary on every surface (verify/vocabulary.py): the demo-grade rule, the words and symbols
of labels and review states, and the report format table, as the terminal, the report and the
dashboard show them."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SEED_ARTICLE, SEED_SOURCES, make_pipeline, seed_script
from tests.fakes import scripted
from tests.report.factory import synthetic_run
from tests.ui.conftest import all_html, checked, downloads, open_app, visible  # noqa: F401 (downloads: fixture)
from verify.cli import app
from verify.config import Settings
from verify.report import render_report
from verify.store import Store
from verify.vocabulary import (FAILED, LABELS, REPORT_FORMATS, STATE_WORDS, STATES, is_demo_grade, label_tag,
                               state_words)

runner = CliRunner()

GEMMA_NAMES = ("gemma3", "model", "Gemma 3 270m", "gemma-3", "270M")  # what the bundled file's header says
OTHER_NAMES = ("qwen2", "model", "Qwen2.5 Coder 1.5B Instruct", "Qwen2.5-Coder", "1.5B")


def write_gguf(path: Path, names: tuple[str, ...]) -> Path:
    """A GGUF file with only its leading string metadata (general.architecture, type, name, ...)."""
    keys = ("general.architecture", "general.type", "general.name", "general.basename", "general.size_label")
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, 0, len(names)))
    for key, value in zip(keys, names):
        for text in (key, value):
            out += struct.pack("<Q", len(text.encode())) + text.encode()
            if text is key:
                out += struct.pack("<I", 8)  # string
    path.write_bytes(bytes(out))
    return path


def test_the_demo_grade_rule_knows_gemma_270m_by_spec_id_file_name_and_file_content(tmp_path):
    by_name = write_gguf(tmp_path / "gemma-3-270m.gguf", OTHER_NAMES)
    renamed = write_gguf(tmp_path / "model.gguf", GEMMA_NAMES)
    other = write_gguf(tmp_path / "other.gguf", OTHER_NAMES)
    for spec in ("local:gemma", "local:gemma-3-270m-q4_k_m (bundled, demo-grade)", f"local:{by_name}", f"local:{renamed}",
                 "local:hf:unsloth/gemma-3-270m-it-GGUF/gemma-3-270m-it-Q4_K_M.gguf"):
        assert is_demo_grade(spec), spec
    for spec in ("local", "local:qwen", "openai:gpt-4o", "fake-model", f"local:{other}", "local:gemma-2-9b-it.gguf", "local:/no/such.gguf"):
        assert not is_demo_grade(spec), spec


def _specs(tmp_path: Path) -> dict[str, str]:
    return {"bundled spec": "local:gemma", "bundled model id": "local:gemma-3-270m-q4_k_m (bundled, demo-grade)",
            "file by path": f"local:{write_gguf(tmp_path / 'gemma-3-270m.gguf', GEMMA_NAMES)}",
            "renamed file": f"local:{write_gguf(tmp_path / 'model.gguf', GEMMA_NAMES)}"}


@pytest.mark.parametrize("which", ["bundled spec", "bundled model id", "file by path", "renamed file"])
def test_a_demo_grade_run_is_flagged_by_the_terminal_the_report_and_the_dashboard(tmp_path, which):
    """A stored run of Gemma 3 270M, however the model was given, warns everywhere it is shown (even a
    run stored without the summary flag, as runs before this rule were)."""
    store = Store(Settings.from_env().db_path)
    run_id = synthetic_run(store, n_claims=3, hostile=False, model=_specs(tmp_path)[which])
    shown = runner.invoke(app, ["show", run_id])
    assert shown.exit_code == 0, shown.output
    assert "Demo-grade model" in shown.output
    # The synthetic verdicts come from a chat model: the terminal labels their confidence as its own guess.
    assert "estimate" in shown.output
    assert b"Demo-grade model" in render_report(store, run_id, "md")
    dashboard = open_app(run_id)
    assert any("Demo-grade model" in w.value for w in dashboard.warning)


def test_verify_run_warns_before_using_a_gemma_file_given_by_path(tmp_path):
    """The warning comes before any work (here the run fails at once: there is no such run to resume)."""
    gguf = write_gguf(tmp_path / "renamed.gguf", GEMMA_NAMES)
    result = runner.invoke(app, ["run", "--resume", "r-none", "--model", f"local:{gguf}"])
    assert result.exit_code != 0
    assert "demo-grade model" in result.output and "error:" in result.output


def test_a_pipeline_run_of_a_gemma_file_records_the_flag(tmp_path):
    gguf = write_gguf(tmp_path / "gemma-3-270m.gguf", GEMMA_NAMES)
    outcome = make_pipeline(scripted(*seed_script()), model=f"local:{gguf}").run(str(SEED_ARTICLE),
                                                                                 [str(SEED_SOURCES)])
    assert outcome.run.summary["demo_grade_model"] is True


def test_labels_and_review_states_read_the_same_on_every_surface():
    store = Store(Settings.from_env().db_path)
    run_id = synthetic_run(store, n_claims=8, hostile=False)  # every label, a failure, every review state
    report = render_report(store, run_id, "html").decode()
    terminal = runner.invoke(app, ["show", run_id]).output
    dashboard = open_app(run_id)
    badges = all_html(dashboard)
    for label in LABELS:
        assert label_tag(label) in report and label_tag(label) in terminal, label
        assert f"{label_tag(label)}" in badges, label  # the article's claim badges
    assert label_tag(FAILED) in report and label_tag(FAILED) in terminal and label_tag(FAILED) in badges
    for state in STATES:
        assert f">{STATE_WORDS[state]}</span>" in report, state
    assert dashboard.multiselect(key="f_state").options == [state_words(s) for s in STATES]
    assert dashboard.multiselect(key="f_verdict").options == [label_tag(label) for label in (*LABELS, FAILED)]
    assert f"review: {state_words('unreviewed')}" in badges  # the open claim: the first unreviewed one
    # An OpenAI model: no demo-grade warning anywhere.
    assert "Demo-grade" not in report and "Demo-grade" not in terminal
    assert not any("Demo-grade" in w.value for w in dashboard.warning)


def test_a_report_downloaded_from_the_dashboard_is_read_back_in_its_format_by_the_cli(tmp_path, downloads):
    """One format table: the dashboard names a ClaimReview download with the suffix `verify report -o`
    reads as ClaimReview (it used to name it .claimreview.json, which the CLI reads as plain JSON)."""
    store = Store(Settings.from_env().db_path)
    run_id = synthetic_run(store, n_claims=4, hostile=False)
    at = open_app(run_id)
    checked(at.selectbox(key="export_format").set_value("claimreview").run())
    proto = at.download_button(key="download_report").proto
    url = downloads["manager"].execute_deferred(proto.deferred_file_id) if proto.deferred_file_id else proto.url
    name = downloads["storage"].get_file(Path(url).name).filename
    assert name.endswith(REPORT_FORMATS["claimreview"].suffix)
    out = tmp_path / name
    result = runner.invoke(app, ["report", run_id, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote claimreview report" in result.output
    assert all(item["@type"] == "ClaimReview" for item in json.loads(out.read_text()))
