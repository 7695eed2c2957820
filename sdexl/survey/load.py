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
from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import ValidationError

from sdexl.survey.model import Survey, reference_problems
from sdexl.survey.problems import FileProblem, line_of, pydantic_problems, value_problem, where, yaml_problem

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DefinitionError(Exception):
    """A survey definition cannot be used; ``problems`` lists every problem, each with its file and line."""

    def __init__(self, path: Path, problems: list[FileProblem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"The survey definition {path} cannot be used:\n{lines}")


Locate = Callable[[tuple], tuple[Path, str, tuple]]


def read_raw(path: Path, text: str | None = None) -> dict:
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
        # libyaml's loader, where PyYAML has it, is ~20x faster than the pure-Python one; every command
        # loads the definitions, so it is most of a harvest with nothing new. Same safe subset.
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a SafeLoader, never the full one
    except yaml.YAMLError as exc:
        raise DefinitionError(path, [yaml_problem(path, exc)]) from exc
    except ValueError as exc:  # a scalar YAML cannot build, such as the date 2022-13-01
        raise DefinitionError(path, [value_problem(path, text or "", exc)]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(path, [FileProblem(path, None, "", f"the file cannot be read: {exc}")]) from exc
    if not isinstance(data, dict):
        raise DefinitionError(path, [FileProblem(path, 1, "", "the file must hold the fields of a survey (id: ..., title: ..., questions: ...)")])
    return data


def resolve_raw(path: Path) -> dict:
    """The definition as plain data, with ``extends`` merged in."""
    return _resolve(path, ())[0]


def _resolve(path: Path, seen: tuple[Path, ...]) -> tuple[dict, Locate]:
    """The merged data, and where each place of it is written (file, its text, the path in that file)."""
    if path in seen:
        raise DefinitionError(path, [FileProblem(path, None, "'extends'", "definitions extend each other in a cycle")])
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    data = read_raw(path, text)
    # "x-..." keys hold YAML anchors shared inside one file; they are not part of the format.
    data = {k: v for k, v in data.items() if not str(k).startswith("x-")}
    parent_id = data.pop("extends", None)
    own = set(data)
    if parent_id is None:
        return data, lambda loc: (path, text, loc)
    parent_path = path.with_name(f"{parent_id}.yaml")
    if not parent_path.exists():
        raise DefinitionError(path, [FileProblem(path, line_of(text, ("extends",)), "'extends'",
                                                 f"there is no definition {parent_path.name} beside this file")])
    merged, parent_locate = _resolve(parent_path, seen + (path,))
    inherited = {key: len(merged.get(key) or []) for key in ("questions", "rules", "notes")}
    for key in inherited:
        merged[key] = (merged.get(key) or []) + (data.pop(f"add_{key}", None) or [])
    merged.update(data)

    def locate(loc: tuple) -> tuple[Path, str, tuple]:
        if len(loc) > 1 and loc[0] in inherited and isinstance(loc[1], int):
            if loc[1] < inherited[loc[0]]:
                return parent_locate(loc)
            return path, text, (f"add_{loc[0]}", loc[1] - inherited[loc[0]], *loc[2:])
        if loc and loc[0] in own:
            return path, text, loc
        return parent_locate(loc)

    return merged, locate


def load_survey(path: Path) -> Survey:
    return _load(path)[0]


def _load(path: Path) -> tuple[Survey, dict, Locate]:
    raw, locate = _resolve(path, ())
    questions, rules = raw.get("questions"), raw.get("rules")
    cross = reference_problems(questions if isinstance(questions, list) else [], rules if isinstance(rules, list) else [],
                               raw.get("kind"))
    try:
        survey = Survey.model_validate(raw)
    except ValidationError as exc:
        # The survey-wide check repeats ``cross`` as one sentence: each is listed at its own place instead.
        errors = [e for e in exc.errors() if tuple(e["loc"]) or not cross]
        problems = pydantic_problems(path, "", raw, errors, locate)
        problems += [located(path, raw, locate, loc, message) for loc, message in cross]
        raise DefinitionError(path, sorted(problems, key=_order)) from exc
    return survey, raw, locate


def located(path: Path, raw: dict, locate: Locate, loc: tuple, message: str, severity: str = "error") -> FileProblem:
    """A problem at ``loc`` of the merged data, placed in the file and line where that is written."""
    file, text, file_loc = locate(loc)
    return FileProblem(file, line_of(text, file_loc), where(loc, raw), message, severity)


def _order(problem: FileProblem) -> tuple:
    return (str(problem.file), problem.line or 0)


_VERSIONS: dict[int, tuple[Survey, str]] = {}  # id -> (the definition, its hash): definitions are frozen


def version_hash(survey: Survey) -> str:
    """A short hash of the resolved definition: any change gives a new version.

    Computed once per definition object (harvest asks for every file it identifies; dumping the
    model took 0.7 ms a time). The object is held beside its hash, so its id cannot be reused."""
    known = _VERSIONS.get(id(survey))
    if known is not None and known[0] is survey:
        return known[1]
    canonical = json.dumps(survey.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    version = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
    if len(_VERSIONS) >= 64:  # a long test run loads many definitions: keep the memo small
        _VERSIONS.clear()
    _VERSIONS[id(survey)] = (survey, version)
    return version


def find_definition(templates_dir: Path, survey_id: str) -> Path:
    path = templates_dir / f"{survey_id}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in templates_dir.glob("*.yaml"))) or "none"
        raise FileNotFoundError(f"No survey definition '{survey_id}' in {templates_dir} (found: {known}).")
    return path


def list_definitions(templates_dir: Path) -> list[str]:
    return sorted(p.stem for p in templates_dir.glob("*.yaml"))
