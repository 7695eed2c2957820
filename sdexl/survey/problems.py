"""Problems in a YAML file people edit (survey definitions, sdexl.yaml), said in plain words.

Each problem names its file and line and where in the data it is
("question q03_udgift, field 'choices'"), and says what is wrong without
pydantic's jargon ("Value error, ...", "(top)", links to its documentation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

Loc = tuple  # a path into the data: ("questions", 3, "choices")


@dataclass(frozen=True)
class FileProblem:
    file: Path
    line: int | None  # 1-based; None when the place cannot be found
    where: str  # "question q03_udgift, field 'choices'"; "" for the file as a whole
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        where = f" {self.where}:" if self.where else ""
        return f"{place}: {self.severity}:{where} {self.message}"


_KINDS = {"integer": "a whole number", "number": "a number", "string": "text", "boolean": "true or false",
          "dictionary": "a mapping (lines of key: value)", "list": "a list"}

# pydantic's messages, as a person editing the file would say them.
_PLAIN = [
    (re.compile(r"^Field required$"), "is missing (it is required)"),
    (re.compile(r"^Extra inputs are not permitted$"), "is not a field of this format (a typo?)"),
    (re.compile(r"^String should match pattern '\^\[a-z\]\[a-z0-9_\]\*\$'$"),
     "must be lower-case letters, digits and _ and start with a letter"),
    (re.compile(r"^String should have at least 1 character$"), "must not be empty"),
    (re.compile(r"^Input should be a valid date or datetime, (.*)$"), r"must be a date written YYYY-MM-DD (\1)"),
    (re.compile(r"^Input should be a valid (\w+).*$"), lambda m: f"must be {_KINDS.get(m[1], 'a ' + m[1])}"),
    (re.compile(r"^Input should be (.*)$", re.S), r"must be \1"),
    (re.compile(r"^(?:Value|Assertion) error, (.*)$", re.S), r"\1"),
]


def plain(message: str) -> str:
    for pattern, replacement in _PLAIN:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def where(loc: Loc, data) -> str:
    """'question q03_udgift, field relevant.question' rather than ('questions', 3, 'relevant', 'question')."""
    words: list[str] = []
    fields: list[str] = []
    node = data
    for n, key in enumerate(loc):
        if isinstance(key, int) and isinstance(node, list):
            item = node[key] if key < len(node) else None
            name = item.get("id") if isinstance(item, dict) else None
            kind = {"questions": "question", "rules": "rule", "choices": "choice"}.get(str(loc[n - 1]) if n else "", "item")
            if fields:
                fields.pop()
            words += [".".join(fields)] if fields else []
            fields = []
            words.append(f"{kind} {name}" if name else f"{kind} number {key + 1}")
        else:
            fields.append(str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    if fields:
        words.append(f"field {'.'.join(fields)}")
    return ", ".join(w for w in words if w)


def line_of(text: str, loc: Loc) -> int | None:
    """The 1-based line of the deepest node of ``loc`` found in the YAML ``text``."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def yaml_problem(path: Path, exc: yaml.YAMLError) -> FileProblem:
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    return FileProblem(path, mark.line + 1 if mark else None, "", f"the file is not valid YAML: {what}")


def value_problem(path: Path, text: str, exc: ValueError) -> FileProblem:
    """A value YAML itself cannot build, such as the date 2022-13-01: found by building each value alone."""
    line = None
    try:
        loader = yaml.SafeLoader(text)
        nodes = [loader.get_single_node()]
        while nodes and line is None:
            node = nodes.pop(0)
            if isinstance(node, yaml.ScalarNode):
                try:
                    loader.construct_object(node, deep=True)
                except ValueError:
                    line = node.start_mark.line + 1
            elif isinstance(node, yaml.MappingNode):
                nodes += [v for _k, v in node.value]
            elif isinstance(node, yaml.SequenceNode):
                nodes += list(node.value)
    except yaml.YAMLError:
        pass
    return FileProblem(path, line, "", f"a value cannot be read ({exc}); dates are written YYYY-MM-DD")


def pydantic_problems(path: Path, text: str, data, errors: list[dict], locate=None) -> list[FileProblem]:
    """One problem per pydantic error; ``locate(loc) -> (path, text, loc)`` maps merged data back to a file."""
    problems = []
    for err in errors:
        loc = tuple(err["loc"])
        file, file_text, file_loc = locate(loc) if locate else (path, text, loc)
        field = where(loc, data)
        message = plain(err["msg"])
        if field.startswith("question "):  # the model's own "question q5: ..." repeats the place
            message = message.removeprefix(field.split(",")[0] + ": ")
        problems.append(FileProblem(file, line_of(file_text, file_loc), field, message))
    return problems
