"""The master workbook: the consolidated picture of one survey, in Danish.

``build_outputs`` is the single entry point (called by ``sdexl harvest`` and
``sdexl build``): it writes data.csv, data.parquet and master.xlsx to
``output/SURVEY/`` from snapshots only, never from the returned files.

Sheet by sheet (docs/master.md explains them for the reader):
Oversigt, Data, Land, KKR, Kommuner, Variation, Sammenhæng, Udvikling,
Udtrådte, Læring, Tiltag, Kvalitet, Kilder.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import xlsxwriter

from sdexl import __version__, atomic, messages
from sdexl.analysis.indicators import BOTILBUD_TOTAL, total_question
from sdexl.analysis.snapshot import CASE_REF, KOMMUNEKODE, Snapshot
from sdexl.analysis.suppress import HIDDEN
from sdexl.analysis.tables import analysis_items, present
from sdexl.publish.context import NATIONAL_GROUP, MasterInput
from sdexl.publish.dataset import dataset, write_dataset
from sdexl.publish.masking import mask_cpr
from sdexl.publish.sheet import Block, SheetWriter
from sdexl.publish.sheets_development import write_development
from sdexl.publish.sheets_distribution import write_exits, write_kkr, write_land
from sdexl.publish.sheets_learning import SHEET as SHEET_LEARNING
from sdexl.publish.sheets_learning import write_learning
from sdexl.publish.sheets_municipal import correlations, write_correlation, write_municipalities, write_variation
from sdexl.reference import municipalities
from sdexl.reference.population import read_population
from sdexl.reference.socio import read_socio
from sdexl.survey.model import TEXT_TYPES

MASTER_NAME = "master.xlsx"
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}

VERDICTS = {
    "accepted": "Godkendt",
    "accepted_with_warnings": "Godkendt med bemærkninger",
    "needs_correction": "Skal rettes",
    "rejected": "Afvist",
    "duplicate": "Dublet",
    "ignored": "Ignoreret",
    "superseded": "Erstattet af nyere fil",
    "unassigned": "Afvist, kunne ikke henføres til en undersøgelse",
}

SHEETS = [
    ("Oversigt", "Nøgletal, svarprocent, deltagende og manglende kommuner, referencedato og definitionsversion."),
    ("Data", "Alle godkendte svar som Excel-tabel, klar til pivottabeller og Power Query (internt)."),
    ("Land", "Svarfordelingen for hele landet, spørgsmål for spørgsmål, med diagram."),
    ("KKR", "Deltagelse, sager og svarfordeling i de fem KKR'er side om side med hele landet."),
    ("Kommuner", "Nøgletal pr. kommune: sager, sager pr. 1.000 18-66-årige, udgifts- og aldersintervaller (internt)."),
    ("Variation", "Variationen i sager pr. 1.000 18-66-årige på tværs af kommunerne, med rangorden."),
    ("Sammenhæng", "Sammenhængen mellem raten og kommunestørrelse og socioøkonomisk indeks."),
    ("Udvikling", "Udviklingen mellem opgørelserne nationalt, pr. KKR og pr. kommune."),
    ("Udtrådte", "Hvad der er sket med borgere, der ikke længere koster over 2 mio. kr."),
    SHEET_LEARNING,
    ("Tiltag", "Kommunernes bemærkninger og beskrivelser af tiltag (fritekst, CPR-lignende numre maskeret)."),
    ("Kvalitet", "Datakvalitet fra indsamlingen: vurderinger og problemer efter type."),
    ("Kilder", "Hver indlæst fil med kontrolsum, vurdering, tidspunkt, værktøjs- og definitionsversion."),
]


SYNTHETIC_BANNER = "SYNTETISKE DATA – kun til demonstration"
SYNTHETIC_NOTE_NAME = "LÆS_MIG.txt"
SYNTHETIC_NOTE = (
    "SYNTETISKE DATA – kun til demonstration.\n"
    "master.xlsx, data.csv og data.parquet i denne mappe er lavet af sdexl demo af opdigtede svar. "
    "Tallene siger intet om virkelige kommuner eller borgere.\n"
)


def build_outputs(ws, survey_id: str, snapshots: dict[str, Snapshot]) -> list[Path]:
    """Write data.csv, data.parquet (with pyarrow) and master.xlsx for ``survey_id``.

    ``snapshots`` holds every harvested survey of the workspace (for
    Udvikling); the one being built is ``snapshots[survey_id]``.
    """
    snapshot = snapshots[survey_id]
    folder = ws.output_dir(survey_id)
    ctx = MasterInput(
        snapshot,
        snapshots,
        read_population(ws.reference),
        read_socio(ws.reference),
        threshold=ws.config.small_cell_threshold,
    )
    synthetic = bool(getattr(ws.config, "synthetic", False))
    ctx.in_background(figures)  # the other core computes them while data.csv, Oversigt and Data are written
    try:
        written = write_dataset(snapshot, folder)
        written.append(write_master(folder / MASTER_NAME, ctx, synthetic=synthetic))
    finally:
        ctx.join_background()  # no child outlives the build, whatever happened
    if synthetic:
        written.append(atomic.write_text(folder / SYNTHETIC_NOTE_NAME, SYNTHETIC_NOTE))
    return written


def figures(ctx: MasterInput) -> None:
    """What the figure sheets read most, into ``ctx``'s caches: every distribution of the country and
    of each KKR (Land, KKR, Udtrådte) and the correlations (Sammenhæng)."""
    for item in analysis_items(ctx.survey):
        if item.kind == "number":
            continue
        for group in (NATIONAL_GROUP, *ctx.kkr_records):
            ctx.group_distribution(group, item)
    ctx.memo("correlations", lambda: correlations(ctx))


def build_from_ledger(ws, survey_id: str) -> list[Path]:
    """Rebuild the outputs of ``survey_id`` from the ledger, without reading any returned file.

    Every survey of the workspace that has harvested data is loaded too, so
    Udvikling can compare rounds.
    """
    # Imported here: harvest depends on publish (it rebuilds after harvesting),
    # so a module-level import would be circular.
    from sdexl.harvest import store

    ws.survey(survey_id)  # an unknown survey id fails here with the list of known ones
    if hasattr(store, "load_all_snapshots"):
        snapshots = dict(store.load_all_snapshots(ws))
    else:
        snapshots = {sid: store.load_snapshot(ws, sid) for sid in ws.survey_ids()}
    snapshots = {sid: snap for sid, snap in snapshots.items() if snap is not None and _harvested(snap)}
    if survey_id not in snapshots:
        raise LookupError(f"Nothing has been harvested for {survey_id} yet. Run 'sdexl harvest' first.")
    return build_outputs(ws, survey_id, snapshots)


def _harvested(snapshot: Snapshot) -> bool:
    """True when at least one file of this survey came back (even if none was usable)."""
    return bool(snapshot.participants) or (snapshot.submissions is not None and len(snapshot.submissions) > 0)


def write_master(path: Path, ctx: MasterInput, synthetic: bool = False) -> Path:
    with atomic.atomic_path(path) as temp:  # a run killed mid-write leaves the previous master, never a 0-byte one
        _write_master(temp, ctx, synthetic)
    return path


def _write_master(path: Path, ctx: MasterInput, synthetic: bool) -> None:
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    mark = f"{SYNTHETIC_BANNER}: " if synthetic else ""
    workbook.set_properties(
        {
            "title": f"{mark}{ctx.survey.title} – master",
            "author": "sdexl",
            "comments": f"{mark}sdexl {__version__}, definitionsversion {ctx.snapshot.survey_version}",
            **({"keywords": "SYNTETISK, demo"} if synthetic else {}),
        }
    )
    writers = {
        "Oversigt": write_overview,
        "Data": write_data,
        "Land": write_land,
        "KKR": write_kkr,
        "Kommuner": write_municipalities,
        "Variation": write_variation,
        "Sammenhæng": write_correlation,
        "Udvikling": write_development,
        "Udtrådte": write_exits,
        "Læring": write_learning,
        "Tiltag": write_initiatives,
        "Kvalitet": write_quality,
        "Kilder": write_sources,
    }
    for name, _ in SHEETS:
        sheet = SheetWriter(workbook, name, banner=SYNTHETIC_BANNER if synthetic else None)
        writers[name](sheet, ctx)
        sheet.finish()
    workbook.close()


# -- Oversigt -----------------------------------------------------------------


def write_overview(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading(f"{ctx.survey.title}")
    writer.paragraph(
        f"Master for {ctx.survey.round}. Dannet {ctx.generated:%d.%m.%Y kl. %H:%M} af sdexl {__version__}."
    )
    writer.skip()
    writer.block(overview_block(ctx))
    writer.block(missing_block(ctx))
    writer.block(
        Block(
            "Fanerne i denne projektmappe",
            "Hvad hver fane viser.",
            f"Grundlag: {len(SHEETS)} faner.",
            ["Fane", "Indhold"],
            [list(s) for s in SHEETS],
            ["text", "text"],
            [40, 58],  # with the 41 a text column takes: under a portrait page
        )
    )


def overview_block(ctx: MasterInput) -> Block:
    survey = ctx.survey
    n = len(ctx.participants)
    total = len(municipalities())
    cases = [ctx.cases(c) for c in ctx.participants if ctx.cases(c) is not None]
    pooled, pooled_n = ctx.pooled_rate(ctx.participants)
    zero = [c for c in ctx.participants if ctx.cases(c) == 0]
    rows = [
        ["Undersøgelse", f"{survey.id}: {survey.title}"],
        ["Runde", survey.round],
        ["Referencedato", survey.reference_text],
        ["Definition", survey.definition],
        ["Definitionsversion", ctx.snapshot.survey_version],
        ["Deltagende kommuner", n],
        ["Kommuner i alt", total],
        ["Svarprocent", n / total],
        ["Kommuner uden sager (har svaret 0)", len(zero)],
        ["Manglende kommuner (antal)", total - n],
        ["Kommuner med gyldigt antal sager", len(ctx.with_cases)],
        ["Deltagende kommuner uden gyldigt antal sager", _without_count(ctx)],
        ["Antal sager over 2 mio. kr. i alt", sum(cases)],
        [
            "Sager pr. 1.000 18-66-årige (samlet)",
            pooled if pooled is not None else "ikke tilgængelig: befolkningstal mangler",
        ],
        ["Kommuner med befolkningstal bag raten", pooled_n],
        *_botilbud_share_rows(ctx),
        [
            "Befolkningstal (FOLK1A)",
            f"{ctx.population.quarter}, {len(ctx.population.values)} kommuner"
            if ctx.population.values
            else "ikke importeret (sdexl reference population FIL)",
        ],
        [
            "Socioøkonomisk indeks",
            f"{len(ctx.socio)} kommuner" if ctx.socio else "ikke importeret (sdexl reference socio FIL)",
        ],
        [
            "Grænse for små tal",
            (
                f'antal under {ctx.threshold} vises som "{HIDDEN}" på Land, KKR, Udtrådte og i Udviklings '
                "tabeller for land og KKR, sammen med de tal, der ellers kunne regne dem ud"
            ),
        ],
    ]
    kinds = ["text", "General"]
    formats = {"Svarprocent": "pct", "Sager pr. 1.000 18-66-årige (samlet)": "rate", SHARE_OVER_2MIO: "pct"}
    return Block(
        "Nøgletal",
        "Overblik over indsamlingen. Antal sager og raten bygger på kommunerne med gyldigt antal sager; "
        "hver tabel i projektmappen oplyser sit eget grundlag (se docs/master.md, Baser og regler).",
        f"Grundlag: n = {n} deltagende kommuner af {total}; {len(ctx.with_cases)} med gyldigt antal sager.",
        ["Emne", "Værdi"],
        rows,
        kinds,
        [40, 58],  # with the 41 a text column takes: under a portrait page
        row_formats={i: {1: formats[r[0]]} for i, r in enumerate(rows) if r[0] in formats},
    )


SHARE_OVER_2MIO = "Heraf over 2 mio. kr. (andel)"


def _botilbud_share_rows(ctx: MasterInput) -> list[list]:
    """Question 2 is a subset of question 1: 'x of y' as a share, over the municipalities with both (no sum)."""
    if total_question(ctx.survey) is None:
        return []
    both = [c for c in ctx.with_cases if ctx.indicator(c, BOTILBUD_TOTAL) is not None]
    over = sum(ctx.cases(c) for c in both)
    everyone = sum(ctx.indicator(c, BOTILBUD_TOTAL) for c in both)
    share = over / everyone if everyone else "ikke tilgængelig: ingen borgere i botilbud"
    return [
        ["Borgere i botilbud i alt (kommuner med begge tal)", everyone],
        [SHARE_OVER_2MIO, share],
        ["Kommuner med svar på både spm. 1 og 2", len(both)],
    ]


def _without_count(ctx: MasterInput):
    """0, or the municipalities without a valid number of cases with the reason for each."""
    left_out = [c for c in ctx.participants if ctx.cases(c) is None]
    if not left_out:
        return 0
    reasons = "; ".join(f"{ctx.name(c)} ({ctx.cases_reason(c).removeprefix('ikke tilgængelig: ')})" for c in left_out)
    return f"{len(left_out)}: {reasons}"


def missing_block(ctx: MasterInput) -> Block:
    # Two columns, so Oversigt stays as wide as Nøgletal and prints in portrait.
    rows = [[f"{m.code} {m.name}", m.kkr] for m in municipalities() if m.code in set(ctx.missing)]
    return Block(
        "Manglende kommuner",
        "Kommuner uden et brugbart svar i denne undersøgelse.",
        f"Grundlag: n = {len(rows)} kommuner.",
        ["Kommune (kode og navn)", "KKR"],
        rows,
        ["text"] * 2,
    )


# -- Data ---------------------------------------------------------------------


def write_data(writer: SheetWriter, ctx: MasterInput) -> None:
    frame = dataset(ctx.snapshot)
    writer.heading("Data: alle godkendte svar")
    writer.paragraph(
        "Én række pr. "
        + ("sag" if ctx.survey.kind == "cases" else "kommune")
        + ". Kolonnenavnene er spørgsmålenes id'er (som i data.csv); rækken over tabellen viser "
        "spørgsmålsteksten. Svar med fejl er tomme. Personoplysninger indsamles ikke."
    )
    writer.paragraph(
        f"Grundlag: n = {len(frame)} rækker fra {len(ctx.participants)} deltagende kommuner. "
        "Internt arbejdsark for konsulenterne."
    )
    labels = _column_labels(ctx, list(frame.columns))
    for col, label in enumerate(labels):
        writer.text(writer.row, col, label, wrap_at=24)
    writer.row += 1
    kinds = ["int" if str(frame[c].dtype) == "Int64" else "General" for c in frame.columns]
    rows = [
        [None if not present(v) else (int(v) if isinstance(v, (int,)) else v) for v in row]
        for row in frame.astype(object).itertuples(index=False)
    ]
    writer.excel_table("Data", list(frame.columns), rows, kinds)


def _column_labels(ctx: MasterInput, columns: list[str]) -> list[str]:
    fixed = {KOMMUNEKODE: "Kommunekode", "kommune": "Kommune", "kkr": "KKR", CASE_REF: "Sag nr."}
    labels = []
    for column in columns:
        if column in fixed:
            labels.append(fixed[column])
        else:
            q = ctx.survey.question(column)
            labels.append(f"{q.number}. {q.header}" if q.number else q.header)
    return labels


# -- Tiltag -------------------------------------------------------------------


def write_initiatives(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Tiltag: kommunernes bemærkninger og tiltag")
    writer.paragraph(
        "Fritekst, som kommunerne har skrevet. Tal, der ligner CPR-numre, er erstattet af XXXXXX-XXXX. "
        "Internt arbejdsark: teksten kan indeholde oplysninger, der kan genkende en borger."
    )
    writer.skip()
    writer.block(initiatives_block(ctx))


def initiatives_block(ctx: MasterInput) -> Block:
    survey = ctx.survey
    questions = [q for q in survey.analysis_questions if q.type in TEXT_TYPES and q.role != "case_ref"]
    is_cases = survey.kind == "cases"
    rows = []
    records = (
        ctx.snapshot.records.sort_values(KOMMUNEKODE, key=lambda s: s.astype(int))
        if len(ctx.snapshot.records)
        else ctx.snapshot.records
    )
    for record in records.to_dict("records"):
        code = str(record[KOMMUNEKODE])
        for q in questions:
            if present(record.get(q.id)):
                row = [code, ctx.name(code), ctx.kkr_of(code)]
                if is_cases:
                    row.append(mask_cpr(str(record.get(CASE_REF) or "")))
                row += [f"{q.number}. {q.header}" if q.number else q.header, mask_cpr(str(record[q.id]))]
                rows.append(row)
    header = ["Kode", "Kommune", "KKR"] + (["Sag nr."] if is_cases else []) + ["Spørgsmål", "Tekst"]
    widths = [6, 18, 18] + ([10] if is_cases else []) + [30, 100]
    return Block(
        "Fritekst",
        "Alle udfyldte tekstfelter, kommune for kommune.",
        f"Grundlag: n = {len(rows)} tekstsvar.",
        header,
        rows,
        ["text"] * len(header),
        widths,
    )


# -- Kvalitet -----------------------------------------------------------------


def write_quality(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Kvalitet: datakvalitet fra indsamlingen")
    writer.paragraph("Hvordan de modtagne filer blev vurderet, og hvilke problemer der blev fundet.")
    writer.skip()
    writer.block(verdict_block(ctx))
    writer.block(duplicates_block(ctx))
    writer.block(issue_block(ctx))


def verdict_block(ctx: MasterInput) -> Block:
    subs = ctx.snapshot.submissions
    counts: dict[str, int] = {}
    if "verdict" in subs.columns:
        for verdict in subs["verdict"].astype(str):
            counts[verdict] = counts.get(verdict, 0) + 1
    order = list(VERDICTS) + sorted(set(counts) - set(VERDICTS))
    rows = [[VERDICTS.get(v, v), counts[v]] for v in order if v in counts]
    duplicates = counts.get("duplicate", 0)
    return Block(
        "Vurdering af modtagne filer",
        "Antal filer pr. vurdering: alle filer, der er kommet ind, også erstattede, afviste og dubletter "
        "(de samme bytes sendt igen under et andet navn; de indlæses kun én gang). Offices låse- og "
        "midlertidige filer (~$…) er ikke svar og tælles ikke.",
        f"Grundlag: n = {len(subs)} modtagne filer, heraf {duplicates} "
        + ("dublet" if duplicates == 1 else "dubletter")
        + f" og {len(subs) - duplicates} forskellige filer.",
        ["Vurdering", "Antal filer"],
        rows,
        ["text", "int"],
    )


def duplicates_block(ctx: MasterInput) -> Block:
    """Every duplicate with the file it repeats, so a consultant can see what was sent twice."""
    subs = ctx.snapshot.submissions
    rows = []
    if "verdict" in subs.columns:
        for r in subs[subs["verdict"].astype(str) == "duplicate"].to_dict("records"):
            code = r.get("kommunekode")
            code = str(code) if present(code) else ""
            rows.append([
                str(r["file"]),
                str(r.get("duplicate_of") or "") if present(r.get("duplicate_of")) else "",
                code,
                ctx.name(code) if code else "",
                _source_value(r.get("received_at"), "received_at"),
            ])
    return Block(
        "Dubletter",
        "Filer med præcis samme indhold (SHA-256) som en fil, der allerede var modtaget. De tæller ikke med "
        "i tallene; den oprindelige fil gør.",
        f"Grundlag: n = {len(rows)} " + ("dublet." if len(rows) == 1 else "dubletter."),
        ["Fil", "Samme indhold som", "Kommunekode", "Kommune", "Modtaget"],
        rows,
        ["text"] * 5,
        [40, 40, 12, 18, 20],
    )


def issue_block(ctx: MasterInput) -> Block:
    issues = ctx.snapshot.issue_counts
    rows = []
    if {"code", "severity", "count"} <= set(issues.columns):
        ordered = issues.sort_values(["severity", "count"], ascending=[True, False])
        rows = [
            [str(r.code), messages.title(str(r.code)), _severity(str(r.severity)), int(r.count)]
            for r in ordered.itertuples(index=False)
        ]
    total = sum(r[3] for r in rows)
    return Block(
        "Problemer efter type",
        "Antal fundne problemer pr. kode i de gældende filer. Kolonnen Forklaring giver kort koden fra "
        "sdexls fejlkatalog.",
        f"Grundlag: n = {total} problemer.",
        ["Kode", "Forklaring", "Alvor", "Antal"],
        rows,
        ["text", "text", "text", "int"],
        [24, 48, 12, 10],
    )


def _severity(value: str) -> str:
    return {"error": "Fejl", "warning": "Advarsel", "info": "Information"}.get(value, value)


# -- Kilder -------------------------------------------------------------------

SOURCE_COLUMNS = [
    ("file", "Fil"),
    ("sha256", "SHA-256"),
    ("verdict", "Vurdering"),
    ("kommunekode", "Kommunekode"),
    ("received_at", "Modtaget"),
    ("survey_version", "Definitionsversion"),
    ("tool_version", "Værktøjsversion"),
    ("superseded", "Erstattet"),
    ("duplicate_of", "Dublet af"),
]


def write_sources(writer: SheetWriter, ctx: MasterInput) -> None:
    writer.heading("Kilder: hver indlæst fil")
    subs = ctx.snapshot.submissions
    writer.paragraph(
        "Filerne, som tallene bygger på. Kontrolsummen (SHA-256) identificerer præcis den fil, der blev "
        "læst; originalerne ligger uændret i arbejdsmappens arkiv."
    )
    writer.paragraph(
        f"Grundlag: n = {len(subs)} filer. Masteren er dannet af sdexl {__version__} med "
        f"definitionsversion {ctx.snapshot.survey_version}."
    )
    rows = (
        [[_source_value(record.get(key), key) for key, _ in SOURCE_COLUMNS] for record in subs.to_dict("records")]
        if len(subs)
        else []
    )
    writer.excel_table("Kilder", [label for _, label in SOURCE_COLUMNS], rows, ["text"] * len(SOURCE_COLUMNS))
    writer.block(reference_block(ctx))


def _source_value(value, key: str):
    if not present(value):
        return None
    if key == "verdict":
        return VERDICTS.get(str(value), str(value))
    if key == "superseded":
        return bool(value)
    if key == "received_at" and isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, pd.Timestamp | dt.datetime):
        # To the minute: a reader needs no microseconds.
        zone = " UTC" if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0) else ""
        return f"{value:%Y-%m-%d %H:%M}{zone}"
    return str(value)


def reference_block(ctx: MasterInput) -> Block:
    rows = [
        [
            "Befolkning 18-66 år",
            "Danmarks Statistik, FOLK1A",
            ctx.population.quarter or "ikke importeret",
            len(ctx.population.values),
        ],
        [
            "Socioøkonomisk indeks",
            "importeret CSV (kommunekode;indeks)",
            "" if ctx.socio else "ikke importeret",
            len(ctx.socio),
        ],
        ["Kommuner, regioner og KKR", "sdexl (kommuner.csv)", "", len(municipalities())],
    ]
    return Block(
        "Referencedata",
        "Tal, der ikke kommer fra kommunernes svar.",
        "Grundlag: arbejdsmappens reference/.",
        ["Data", "Kilde", "Periode", "Kommuner"],
        rows,
        ["text", "text", "text", "int"],
    )
