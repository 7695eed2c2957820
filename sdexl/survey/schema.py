"""JSON Schema of the survey definition format, so editors can complete YAML."""

from __future__ import annotations

import json

from sdexl.survey.model import Survey


def schema() -> dict:
    data = Survey.model_json_schema(by_alias=True)
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "sdexl survey definition"
    # Definitions may extend another and carry "x-..." keys for YAML anchors.
    props = data.setdefault("properties", {})
    props["extends"] = {"type": "string", "description": "Id of the definition this one extends."}
    for key in ("add_questions", "add_rules", "add_notes"):
        props[key] = {"type": "array", "description": f"Appended to the parent's {key[4:]}."}
    data["patternProperties"] = {"^x-": {"description": "Free: YAML anchors shared inside the file."}}
    data.pop("required", None)  # an extending file need not repeat the parent's required keys
    return data


def schema_json() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False)
