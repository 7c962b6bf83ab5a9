"""The JSON export validates against the committed JSON Schema, which must match the pydantic model."""

import json

import jsonschema
import pytest

from verify.report import render
from verify.report_model import SCHEMA_PATH, report_json_schema, schema_text


def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_generated_from_the_model():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "verify/schemas/report.schema.json is stale: run `python -m verify.report_model` and commit it")
    assert report_json_schema()["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("fixture", ["seed_report", "hostile_report"])
def test_json_export_validates(fixture, request):
    report = request.getfixturevalue(fixture)
    validator().validate(json.loads(render(report, "json")))


def test_schema_rejects_a_report_missing_its_header(seed_report):
    document = json.loads(render(seed_report, "json"))
    del document["header"]
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(document)


def test_schema_rejects_an_invented_label(seed_report):
    document = json.loads(render(seed_report, "json"))
    document["claims"][0]["machine"]["label"] = "PROBABLY_TRUE"
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(document)
