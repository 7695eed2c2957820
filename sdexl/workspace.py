"""A workspace: the folder a round is run from.

    sdexl.yaml      round settings (deadline, contact person, sender)
    templates/      survey definitions (YAML); built-in ones are used when absent
    outgoing/       generated workbooks, one folder per survey
    incoming/       returned files, dropped here as they arrive (any sub-folders)
    output/         feedback, master workbooks, reports, data extracts
    reference/      imported population and socio-economic figures
    .sdexl/         the ledger (SQLite) and the immutable archive of originals

The repository root is itself a workspace; ``sdexl init DIR`` makes another.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sdexl.survey.load import find_definition, list_definitions, load_survey
from sdexl.survey.model import Survey
from sdexl.survey.problems import FileProblem, pydantic_problems, value_problem, yaml_problem

CONFIG_NAME = "sdexl.yaml"
ENV_VAR = "SDEXL_WORKSPACE"
FOLDERS = ("templates", "outgoing", "incoming", "output", "reference")


class WorkspaceError(Exception):
    """The workspace cannot be used; the message says what to do."""


class SettingsError(WorkspaceError):
    """sdexl.yaml cannot be used; ``problems`` lists every problem with its line."""

    def __init__(self, path: Path, problems: list):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"The settings {path} cannot be used:\n{lines}")


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "Projektets kontaktperson"
    email: str = ""
    phone: str = ""
    organisation: str = "KL og Komponent"


class RoundSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deadline: dt.date | None = None
    resend_deadline: dt.date | None = None  # the later deadline that reminders give (sdexl send SURVEY reminders)
    max_rows: int | None = Field(default=None, ge=1, le=5000)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact: Contact = Field(default_factory=Contact)
    sender: Contact = Field(default_factory=Contact)
    rounds: dict[str, RoundSettings] = Field(default_factory=dict)
    small_cell_threshold: int = Field(default=3, ge=1)  # counts below this are suppressed in published figures
    synthetic: bool = False  # a demo workspace: every output is marked SYNTETISKE DATA

    def round(self, survey_id: str) -> RoundSettings:
        return self.rounds.get(survey_id, RoundSettings())


DEFAULT_CONFIG = """\
# sdexl workspace settings. Dates as YYYY-MM-DD.
contact:            # who municipalities contact with questions (shown in every workbook)
  name: Maibritt Kuszon
  email: maku@komponent.dk
  phone: "29666280"
  organisation: Komponent og KL
sender:             # who sends the emails
  name: Komponent
  email: maku@komponent.dk
  organisation: Komponent
rounds:
  sde-2022: {deadline: 2022-12-12}
  sde-2023: {deadline: 2023-08-21}
  sde-2024: {deadline: 2024-12-09}
small_cell_threshold: 3   # published counts below this are shown as "x"
"""


@dataclass
class Workspace:
    root: Path
    config: Config = field(default_factory=Config)

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def outgoing(self) -> Path:
        return self.root / "outgoing"

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def state(self) -> Path:
        """Ledger and archive: never edited by hand."""
        return self.root / ".sdexl"

    @property
    def ledger_path(self) -> Path:
        return self.state / "ledger.sqlite"

    @property
    def archive(self) -> Path:
        return self.state / "archive"

    def survey_path(self, survey_id: str) -> Path:
        try:
            return find_definition(self.templates, survey_id)
        except FileNotFoundError:
            builtin = builtin_templates() / f"{survey_id}.yaml"
            if builtin.exists():
                return builtin
            raise

    def survey(self, survey_id: str) -> Survey:
        try:
            path = self.survey_path(survey_id)
        except FileNotFoundError as exc:
            known = ", ".join(self.survey_ids()) or "none"
            raise WorkspaceError(f"Unknown survey '{survey_id}'. Known surveys: {known}.") from exc
        return load_survey(path)

    def survey_ids(self) -> list[str]:
        ids = set(list_definitions(self.templates)) if self.templates.is_dir() else set()
        return sorted(ids | set(list_definitions(builtin_templates())))

    def outgoing_dir(self, survey_id: str) -> Path:
        return self.outgoing / survey_id

    def output_dir(self, survey_id: str) -> Path:
        return self.output / survey_id


def builtin_templates() -> Path:
    """The definitions shipped inside the package (the repository's templates/)."""
    return Path(str(resources.files("sdexl.templates")))


def open_workspace(path: Path | str | None = None) -> Workspace:
    """The workspace at ``path``, $SDEXL_WORKSPACE, or the current folder."""
    root = Path(path or os.environ.get(ENV_VAR) or Path.cwd()).resolve()
    config_file = root / CONFIG_NAME
    if not config_file.exists():
        raise WorkspaceError(
            f"{root} is not an sdexl workspace (no {CONFIG_NAME}). "
            f"Run 'sdexl init {root}' or pass --workspace DIR."
        )
    return Workspace(root, read_config(config_file))


def read_config(path: Path) -> Config:
    """The settings; every problem in them at once, each with its line, in plain words."""
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(path, [yaml_problem(path, exc)]) from exc
    except ValueError as exc:  # a date YAML cannot build, such as 2024-13-09
        raise SettingsError(path, [value_problem(path, text, exc)]) from exc
    if not isinstance(data, dict):
        raise SettingsError(path, [FileProblem(path, 1, "", "the file must hold settings (contact:, sender:, rounds:)")])
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(path, pydantic_problems(path, text, data, exc.errors())) from exc


def init_workspace(path: Path | str) -> Workspace:
    """Create a workspace with the built-in definitions; never overwrites a file."""
    root = Path(path).resolve()
    root.mkdir(parents=True, exist_ok=True)
    for name in FOLDERS:
        (root / name).mkdir(exist_ok=True)
    config_file = root / CONFIG_NAME
    if not config_file.exists():
        config_file.write_text(DEFAULT_CONFIG, encoding="utf-8")
    for source in [*builtin_templates().glob("*.yaml"), *builtin_templates().glob("*.json")]:
        target = root / "templates" / source.name
        if not target.exists():
            shutil.copyfile(source, target)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".sdexl/\noutgoing/\nincoming/\noutput/\n", encoding="utf-8")
    return open_workspace(root)
