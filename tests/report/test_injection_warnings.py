"""A verdict whose cited passage gives orders to the model (possible prompt injection) carries a warning
in every format, and the header counts such verdicts (issue 10)."""

import csv
import io
import json

from verify.report import render
from verify.report_csv import COLUMNS

WARNING = "evil-0: the cited passage tells the model to ignore its instructions"


def flagged(report):
    return [c for c in report.claims if c.machine.evidence_flags]


def test_the_builder_carries_the_verdicts_flags_and_counts_them(hostile_report):
    claims = flagged(hostile_report)
    assert [c.number for c in claims] == [1]
    flag = claims[0].machine.evidence_flags[0]
    assert (flag.source_id, flag.cited, flag.sentence_index) == ("evil-0", "passage", 1)
    assert flag.phrase == "Ignore all previous instructions"
    assert hostile_report.header.injection_flagged == 1


def test_markdown_and_html_warn_next_to_the_verdict_and_in_the_header(hostile_report):
    markdown = render(hostile_report, "md").decode()
    assert "> **⚠ Possible prompt injection.** 1 verdict(s) cite a source" in markdown
    claim_one = markdown[markdown.index("## Claim 1:"):markdown.index("## Claim 2:")]
    assert "- **⚠ Possible prompt injection:** a source shown to the model gives it orders" in claim_one
    assert WARNING in claim_one
    page = render(hostile_report, "html").decode()
    assert page.count('<div class="warning injection" role="alert">') == 1
    assert "1 verdict(s) cite a source" in page and WARNING in page


def test_json_and_csv_keep_the_flag_for_machines_and_spreadsheets(hostile_report):
    document = json.loads(render(hostile_report, "json"))
    assert document["header"]["injection_flagged"] == 1
    assert document["claims"][0]["machine"]["evidence_flags"][0]["reason"] == "tells the model to ignore its instructions"
    rows = list(csv.DictReader(io.StringIO(render(hostile_report, "csv").decode("utf-8-sig"))))
    assert COLUMNS[-1] == "evidence_warnings"
    warned = {row["claim_number"] for row in rows if row["evidence_warnings"]}
    assert warned == {"1"} and WARNING in rows[0]["evidence_warnings"]
