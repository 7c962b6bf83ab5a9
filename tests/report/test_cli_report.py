"""`verify report` on a real seeded run: formats, suffix inference, options, stdout, errors."""

import csv
import io
import json

from typer.testing import CliRunner

from verify.cli import app

runner = CliRunner()


def test_report_writes_each_format(reviewed_run, tmp_path):
    _, run_id = reviewed_run
    for fmt, name in [("md", "r.md"), ("html", "r.html"), ("json", "r.json"), ("csv", "r.csv"),
                      ("claimreview", "r.jsonld")]:
        result = runner.invoke(app, ["report", run_id, "--format", fmt, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 200
    assert json.loads((tmp_path / "r.json").read_text())["header"]["run_id"] == run_id
    assert len(json.loads((tmp_path / "r.jsonld").read_text())) == 2


def test_format_follows_the_output_suffix(reviewed_run, tmp_path):
    _, run_id = reviewed_run
    result = runner.invoke(app, ["report", run_id, "-o", str(tmp_path / "out" / "report.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_markdown_to_stdout_with_filters(reviewed_run):
    _, run_id = reviewed_run
    result = runner.invoke(app, ["report", run_id, "--only-approved"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Citation report") and "Claims shown | 1 of 4 (only approved)" in result.stdout


def test_csv_with_bom_and_rejected_verdicts_excluded(reviewed_run, tmp_path):
    _, run_id = reviewed_run
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["report", run_id, "-f", "csv", "--bom", "--exclude-rejected", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    rejected = [r for r in rows if r["review_state"] == "rejected"]
    assert rejected and all(r["machine_status"] == "omitted" and not r["machine_citations"] for r in rejected)


def test_errors_are_clear(reviewed_run, tmp_path):
    _, run_id = reviewed_run
    bad_format = runner.invoke(app, ["report", run_id, "--format", "pdf"])
    assert bad_format.exit_code == 2 and "unknown report format 'pdf'" in bad_format.output
    missing = runner.invoke(app, ["report", "r-nope", "-o", str(tmp_path / "x.md")])
    assert missing.exit_code == 2 and "no run 'r-nope'" in missing.output
    assert not (tmp_path / "x.md").exists()
