"""Load survey definitions from YAML: resolve ``extends``, validate, hash.

A definition may extend another (round 2 is round 1 plus three questions):

    extends: sde-2022
    add_questions: [...]   # appended after the parent's questions
    add_rules: [...]

Every other top-level key replaces the parent's value.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from sdexl.survey.model import Survey


class DefinitionError(Exception):
    """A survey definition cannot be used; ``problems`` lists (location, message)."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]):
        self.path = path
        self.problems = problems
        lines = "; ".join(f"{loc}: {msg}" for loc, msg in problems)
        super().__init__(f"{path}: {lines}")


def read_raw(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(path, [("yaml", str(exc))]) from exc
    if not isinstance(data, dict):
        raise DefinitionError(path, [("(top)", "the file must hold a mapping")])
    return data


def resolve_raw(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """The definition as plain data, with ``extends`` merged in."""
    if path in _seen:
        raise DefinitionError(path, [("extends", "definitions extend each other in a cycle")])
    data = read_raw(path)
    # "x-..." keys hold YAML anchors shared inside one file; they are not part of the format.
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    parent_id = data.pop("extends", None)
    if parent_id is None:
        return data
    parent_path = path.with_name(f"{parent_id}.yaml")
    if not parent_path.exists():
        raise DefinitionError(path, [("extends", f"no definition {parent_path.name} beside this file")])
    merged = resolve_raw(parent_path, _seen + (path,))
    merged["questions"] = merged.get("questions", []) + data.pop("add_questions", [])
    merged["rules"] = merged.get("rules", []) + data.pop("add_rules", [])
    merged["notes"] = merged.get("notes", []) + data.pop("add_notes", [])
    merged.update(data)
    return merged


def load_survey(path: Path) -> Survey:
    raw = resolve_raw(path)
    try:
        return Survey.model_validate(raw)
    except ValidationError as exc:
        problems = [(_location(err["loc"], raw), err["msg"]) for err in exc.errors()]
        raise DefinitionError(path, problems) from exc


def _location(loc: tuple, raw: dict) -> str:
    """'questions[3] (q03_udgift).choices' rather than a bare tuple."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            if isinstance(node, list) and key < len(node) and isinstance(node[key], dict):
                if "id" in node[key]:
                    label += f" ({node[key]['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return "".join(parts) or "(top)"


def version_hash(survey: Survey) -> str:
    """A short hash of the resolved definition: any change gives a new version."""
    canonical = json.dumps(survey.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def find_definition(templates_dir: Path, survey_id: str) -> Path:
    path = templates_dir / f"{survey_id}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in templates_dir.glob("*.yaml"))) or "none"
        raise FileNotFoundError(f"No survey definition '{survey_id}' in {templates_dir} (found: {known}).")
    return path


def list_definitions(templates_dir: Path) -> list[str]:
    return sorted(p.stem for p in templates_dir.glob("*.yaml"))
