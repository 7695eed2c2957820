"""Every Danish message a municipality can read, in one catalogue.

Each entry is a stable code (used in ``Issue.code``, the ledger and tests) with
a severity and a template. Templates say where the problem is (file, sheet,
cell), what was found and how to fix it, politely and precisely.

Code never writes user-facing Danish inline: it calls ``render(code, **fields)``.
Tests assert against ``render(...)`` of the same code, so the wording lives here
and only here.

Common fields:
    sheet, cell    where the problem is; ``where`` is built from them (and ``case``)
    value          the offending value as the municipality wrote it
    question       a question as the municipality knows it: see ``question_ref``
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sdexl import privacy

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Message:
    severity: Severity
    template: str


def _e(template: str) -> Message:
    return Message("error", template)


def _w(template: str) -> Message:
    return Message("warning", template)


def _i(template: str) -> Message:
    return Message("info", template)


CATALOGUE: dict[str, Message] = {
    # --- The file as a whole (read.py; intake may add its own codes here) ----
    "unreadable-file": _e(
        "Filen {file} kan ikke læses ({reason}). Åbn den i Excel, gem den som Excel-projektmappe (.xlsx) "
        "og send den igen."
    ),
    "entry-sheet-missing": _e(
        "Filen {file} har ingen fane med navnet {sheet}.{hint} Skriv svarene på fanen {sheet} i den udsendte "
        "skabelon, og send filen igen."
    ),
    "entry-sheet-renamed": _w(
        "Fanen {expected} findes ikke i filen; svarene er i stedet læst fra fanen {sheet}, som har skabelonens "
        "kolonner. Giv gerne fanen sit oprindelige navn, {expected}."
    ),
    "formula-errors-unchecked": _i(
        "Filen er gemt som {format}. I dette format kan celler med formelfejl (fx #I/T) ikke skelnes fra tomme "
        "celler. Gem helst filen som Excel-projektmappe (.xlsx)."
    ),
    "extra-entry-sheet": _w(
        "Fanen {sheet} har samme kolonner som fanen {expected}; dens sager er læst med. Saml gerne alle sager på "
        "fanen {expected}, så de ikke tælles to gange."
    ),
    "copied-sheet-same-cases": _i(
        "Fane {sheet}: {rows} (række {rows_list}) er de samme sager med de samme svar som på fanen {other} og er "
        "kun talt med én gang. Slet gerne de dobbelte rækker."
    ),
    "copied-sheet-conflict": _e(
        "{where}: sagsnummeret '{value}' står også på fanen {other_sheet}, celle {other_cell}, men med andre svar "
        "i {questions}. Hvilke svar er de rigtige? Ret eller slet den forkerte af de to "
        "rækker, så sagen kun står én gang, eller giv sagerne hver sit sagsnummer, hvis det er to borgere."
    ),
    "extra-entry-sheet-ignored": _e(
        "Fanen {sheet} har samme kolonner som fanen {expected}, men der læses højst {limit} ekstra faner, så dens "
        "sager er ikke læst. Saml alle sager på fanen {expected}, og send filen igen."
    ),
    "too-many-rows": _e(
        "Fane {sheet}: der er udfyldt {count} rækker, men der læses højst {limit}. Rækkerne fra række {row} og "
        "nedefter er ikke læst. Slet rækker, der ikke er sager, og send filen igen."
    ),
    "formula-in-answer": _w(
        "{where}: svaret til {question} er en formel. Værdien, formlen viser, er læst; skriv gerne svaret som en "
        "værdi i stedet for en formel."
    ),
    "more-issues": _i(
        "Fane {sheet}: og {count} andre celler i kolonne {column} med samme slags problem som ovenfor."
    ),
    # --- Intake: what came back and whose it is (harvest/container, identify, run) ---
    "not-a-workbook": _e(
        "Filen {file} er ikke et Excel-regneark, men ser ud til at være {looks_like}. Udfyld det udsendte "
        "regneark, gem det som Excel-projektmappe (.xlsx), og send det igen."
    ),
    "corrupt-file": _e(
        "Filen {file} er beskadiget eller ufuldstændig og kan ikke åbnes (det sker fx, hvis den ikke blev gemt "
        "helt færdig). Åbn regnearket i Excel, gem det igen som Excel-projektmappe (.xlsx), og send det igen."
    ),
    "encrypted": _e(
        "Filen {file} er beskyttet med en adgangskode og kan derfor ikke læses. Fjern adgangskoden i Excel "
        "(Filer > Oplysninger > Beskyt projektmappe > Krypter med adgangskode: slet adgangskoden), gem, og send "
        "filen igen."
    ),
    "too-large": _e(
        "Filen {file} fylder {size_mb} MB, og grænsen er {limit_mb} MB, så den er ikke læst. Gem regnearket igen "
        "som Excel-projektmappe (.xlsx) uden billeder og indlejrede filer, og send det igen."
    ),
    "zip-bomb": _e(
        "Filen {file} bliver unormalt stor, når den pakkes ud ({detail}), og er ikke læst af sikkerhedshensyn. "
        "Åbn regnearket i Excel, gem det igen som Excel-projektmappe (.xlsx), og send det igen. Kontakt os, "
        "hvis fejlen kommer igen."
    ),
    "xml-entities": _e(
        "Filen {file} indeholder XML-erklæringer (DTD) i delen {part}, som Excel ikke selv skriver, og er ikke "
        "læst af sikkerhedshensyn. Åbn regnearket i Excel, gem det igen som Excel-projektmappe (.xlsx), og send "
        "det igen."
    ),
    "too-slow": _e(
        "Filen {file} kunne ikke læses inden for {seconds} sekunder og med den hukommelse, der er afsat, og er "
        "ikke indlæst. Gem regnearket igen som Excel-projektmappe (.xlsx), slet eventuelle tomme rækker og "
        "kolonner med formatering langt nede i arket, og send det igen."
    ),
    "macro-file": _w(
        "Filen {file} indeholder makroer. Makroerne er hverken kørt eller læst; kun de indtastede svar er indlæst. "
        "Send gerne filen som almindelig Excel-projektmappe (.xlsx) næste gang."
    ),
    "external-content": _w(
        "Filen {file} indeholder {parts}. De er ikke åbnet; kun de værdier, der står i regnearket, er indlæst. "
        "Kontrollér, at alle svar er skrevet som værdier."
    ),
    "unidentified": _e(
        "Det kan ikke ses, hvilken kommune filen {file} kommer fra: regnearkets skjulte oplysninger mangler, og "
        "hverken fanen Vejledning eller filnavnet nævner en kommune. Brug det regneark, kommunen fik tilsendt, "
        "eller giv filen et navn, der begynder med kommunekode og kommunenavn, fx 101_København.xlsx, og send "
        "den igen."
    ),
    "survey-unknown": _e(
        "Det kan ikke ses, hvilken undersøgelse filen {file} besvarer{detail}. Brug det regneark, kommunen fik "
        "tilsendt, og send det igen."
    ),
    "identified-by-guide": _w(
        "Filen {file} mangler regnearkets skjulte oplysninger, så den er henført til {kommune} (kommunekode "
        "{kommunekode}) ud fra fanen Vejledning. Brug gerne det udsendte regneark, hvis I sender igen."
    ),
    "identified-by-filename": _w(
        "Filen {file} mangler regnearkets skjulte oplysninger, så den er henført til {kommune} (kommunekode "
        "{kommunekode}) ud fra filnavnet. Kontrollér, at det er rigtigt, og brug gerne det udsendte regneark, "
        "hvis I sender igen."
    ),
    "unknown-token": _w(
        "Filen {file} har et id, som ikke findes blandt de udsendte regneark. Den er henført til {kommune} "
        "(kommunekode {kommunekode}) ud fra regnearkets egne oplysninger. Kontakt os, hvis det ikke er rigtigt."
    ),
    "token-mismatch": _e(
        "Filen {file} blev sendt til {issued_kommune} (kommunekode {issued_kode}), men regnearket angiver "
        "{kommune} (kommunekode {kommunekode}), så det er uklart, hvis svar det er. Brug det regneark, der blev "
        "sendt til jeres kommune, og send det igen."
    ),
    "other-survey": _i("Filen {file} lå i mappen {folder}, men hører til undersøgelsen {survey} og er indlæst dér."),
    "survey-version": _i(
        "Filen {file} er lavet til en tidligere udgave af skemaet. Svarene er læst efter spørgsmålenes id'er."
    ),
    "duplicate": _i("Filen {file} er helt identisk med {original}, som allerede er modtaget, og er ikke indlæst igen."),
    "superseded": _i("Filen {file} er erstattet af en nyere fil fra samme kommune: {newer}."),
    "ignored-file": _i("Filen {file} er en midlertidig fil eller en låsefil og er sprunget over."),
    # --- Returns that came as a mail or a zip file (harvest/mailbox.py) ---------
    "unpacked-mail": _i(
        "Filen {file} er en gemt mail. De vedhæftede regneark er læst hver for sig ({names}){skipped}."
    ),
    "unpacked-zip": _i("Filen {file} er en zip-fil. Regnearkene i den er læst hver for sig ({names}){skipped}."),
    "from-mail": _i("Filen {file} er modtaget som vedhæftet fil i mailen {container}."),
    "from-zip": _i("Filen {file} er pakket ud af zip-filen {container}."),
    "mail-without-workbook": _e(
        "Mailen {file} har intet regneark vedhæftet{only}. Vedhæft det udfyldte regneark (.xlsx) til en mail, "
        "og send det igen."
    ),
    "zip-without-workbook": _e(
        "Zip-filen {file} indeholder intet regneark{only}. Send det udfyldte regneark (.xlsx), gerne som "
        "almindelig vedhæftet fil."
    ),
    "archive-too-large": _e(
        "Filen {file} indeholder for meget til at blive pakket ud ({detail}) og er ikke læst af "
        "sikkerhedshensyn. Send det udfyldte regneark (.xlsx) som almindelig vedhæftet fil."
    ),
    "archive-encrypted": _e(
        "Zip-filen {file} er beskyttet med en adgangskode og kan ikke pakkes ud. Send det udfyldte regneark "
        "(.xlsx) uden adgangskode, gerne som almindelig vedhæftet fil."
    ),
    "nested-too-deep": _e(
        "Filen {file} ligger inde i flere pakkede filer (mails eller zip-filer) i hinanden og er ikke pakket "
        "ud. Send det udfyldte regneark (.xlsx) som almindelig vedhæftet fil."
    ),
    "msg-unsupported": _e(
        "Filen {file} er en Outlook-mail (.msg), som vi ikke kan læse. Send det udfyldte regneark (.xlsx) som "
        "vedhæftet fil til en almindelig mail, eller gem det vedhæftede regneark fra mailen, og send det."
    ),
    # --- Finding the columns and rows ---------------------------------------
    "id-row-missing": _w(
        "Fane {sheet}: rækken med spørgsmålenes id'er (række {expected_row} i skabelonen) mangler, så kolonnerne "
        "er fundet ud fra overskrifterne i række {row}. Kontrollér, at svarene står under de rigtige overskrifter, "
        "og slet ikke skabelonens rækker."
    ),
    "header-near-miss": _w(
        "{where}: overskriften '{value}' er læst som '{expected}', altså {question}. Er det forkert, så ret "
        "overskriften til '{expected}'."
    ),
    "missing-question-column": _e(
        "Fane {sheet}: kolonnen til {question} mangler.{hint} Kopiér kolonnen fra den udsendte skabelon ind igen, "
        "og udfyld den."
    ),
    "duplicate-column": _w(
        "Fane {sheet}: kolonnen til {question} findes to gange (celle {cell} og {other}). Kun kolonnen med "
        "celle {cell} er læst. Slet den ekstra kolonne."
    ),
    "unknown-column": _i("{where}: kolonnen '{value}' hører ikke til skemaet, og dens indhold er ikke læst med."),
    "form-id-column-missing": _w(
        "Fane {sheet}: kolonnen med spørgsmålenes id'er (overskriften 'id') mangler, så spørgsmålene er fundet "
        "ud fra spørgsmålsteksterne i kolonne {column}. Kontrollér, at hvert svar står ud for sit spørgsmål."
    ),
    "answer-column-guessed": _w(
        "Fane {sheet}: kolonnen med overskriften 'Svar' blev ikke fundet, så svarene er læst fra kolonne "
        "{column}. Giv gerne kolonnen overskriften 'Svar' igen."
    ),
    "missing-question-row": _e(
        "Fane {sheet}: rækken med {question} mangler. Kopiér rækken fra den udsendte skabelon ind igen, og udfyld den."
    ),
    "duplicate-question-row": _w(
        "Fane {sheet}: {question} står to gange (celle {cell} og {other}). Kun svaret i celle {cell} er læst. "
        "Slet den ekstra række."
    ),
    # --- One cell -------------------------------------------------------------
    "formula-error": _e(
        "{where}: cellen viser fejlen {value} i stedet for et svar til {question}. Skriv svaret som en værdi "
        "(ikke som en formel), eller lad cellen stå tom."
    ),
    "not-a-category": _e(
        "{where}: '{value}' er ikke en af svarmulighederne til {question}.{hint} Vælg et svar fra listen: {choices}."
    ),
    "category-normalised": _w(
        "{where}: '{value}' er læst som '{canonical}' i {question}. Vælg gerne svaret fra listen, så det staves "
        "præcis som på listen."
    ),
    "multi-mark-normalised": _w(
        "{where}: '{value}' er læst som et X ved '{choice}' i {question}. Skriv X ud for de svarmuligheder, der passer."
    ),
    "multi-mark-invalid": _e(
        "{where}: '{value}' kan ikke læses som et X ved '{choice}' i {question}. Skriv X, hvis svarmuligheden "
        "passer, og lad ellers cellen stå tom."
    ),
    "number-as-text": _w(
        "{where}: '{value}' er skrevet som tekst og er læst som tallet {number} i {question}. Skriv gerne kun "
        "tallet, uden punktummer, mellemrum og 'kr.'."
    ),
    "not-a-number": _e("{where}: '{value}' er ikke et tal, men {question} skal besvares med et tal. {how}"),
    "not-an-integer": _e(
        "{where}: {value} er ikke et helt tal, men {question} skal besvares med et helt tal. Skriv et helt tal."
    ),
    "below-min": _e(
        "{where}: {value} er mindre end {limit}, som er det mindste tilladte svar til {question}. Ret tallet."
    ),
    "above-max": _e(
        "{where}: {value} er større end {limit}, som er det største tilladte svar til {question}. Ret tallet."
    ),
    "date-as-text": _w(
        "{where}: '{value}' er skrevet som tekst og er læst som datoen {date} i {question}. Skriv gerne datoen "
        "som dd-mm-åååå."
    ),
    "date-from-number": _w(
        "{where}: tallet {value} er læst som datoen {date} i {question}. Skriv gerne datoen som dd-mm-åååå."
    ),
    "not-a-date": _e("{where}: '{value}' kan ikke læses som en dato i {question}. Skriv datoen som dd-mm-åååå."),
    "personal-invalid": _w(
        "{where}: indholdet i {question} kan ikke læses som en dato. Feltet er kun til kommunens eget overblik "
        "og bliver ikke indsamlet, men ret det gerne."
    ),
    "cpr-masked": _w(
        "{where}: teksten i {question} indeholder noget, der ligner et CPR-nummer. Det er erstattet med "
        "XXXXXX-XXXX og bliver ikke indsamlet. Slet CPR-numre fra regnearket."
    ),
    "text-too-long": _w(
        "{where}: teksten i {question} er {length} tegn lang, men en celle i Excel kan højst rumme {limit} tegn. "
        "Kun de første {limit} tegn er læst med; resten er skåret af. Forkort gerne teksten, så det vigtigste "
        "står først."
    ),
    # --- One case (row) or the form ---------------------------------------
    "required-missing": _e("{where}: {question} er ikke besvaret. {how}"),
    "irrelevant-answer": _w(
        "{where}: {question} skal ikke besvares, når svaret på {controller} er '{controller_value}', så svaret "
        "'{value}' er ikke talt med. Slet svaret, eller ret svaret på {controller}."
    ),
    "other-text-without-other": _w(
        "{where}: der er skrevet en uddybning i {question}, men svaret på {controller} er ikke '{other}'. "
        "Vælg '{other}' i {controller}, eller slet uddybningen."
    ),
    "row-without-answers": _w(
        "Fane {sheet}, række {row}: kun {fields} er udfyldt, og rækken har ingen svar. Den er ikke talt med som "
        "en sag. Udfyld svarene, eller slet rækken."
    ),
    "case-ref-missing": _e(
        "{where}: rækken har svar, men intet sagsnummer i {question}. Skriv kommunens eget sagsnummer eller et "
        "løbenummer."
    ),
    "case-ref-is-cpr": _e(
        "{where}: {header} ligner et CPR-nummer. Brug kommunens eget sagsnummer eller et løbenummer – aldrig "
        "CPR-nummer eller navn."
    ),
    "case-ref-is-personal": _e(
        "{where}: {header} indeholder borgerens navn eller fødselsdato. Brug kommunens eget sagsnummer eller et "
        "løbenummer – aldrig CPR-nummer eller navn."
    ),
    "personal-in-text": _w(
        "{where}: teksten i {question} indeholder borgerens navn eller fødselsdato fra samme række. Det er "
        "fjernet og bliver ikke indsamlet. Skriv ikke navn eller fødselsdato i tekstfelterne."
    ),
    "duplicate-case-ref": _e(
        "{where}: sagsnummeret '{value}' står også i række {others}. Hver borger skal have sit eget sagsnummer. "
        "Ret sagsnummeret, eller slet den dobbelte række."
    ),
    "rule-sum-equals": _e(
        "{where}: {parts} giver tilsammen {total}, men {whole} er {whole_value}. {description} Ret tallene, "
        "så de passer sammen."
    ),
    "rule-at-most": _e(
        "{where}: {part} ({part_value}) er større end {whole} ({whole_value}). {description} Ret tallene."
    ),
    "rule-band-mismatch": _e(
        "{where}: beløbet {amount} kr. ligger ikke i intervallet '{band_value}', som er valgt i {band}. "
        "{description} Ret beløbet eller intervallet."
    ),
    # --- Zero cases and empty files ---------------------------------------
    "zero-cases-normalised": _w(
        "{where}: '{value}' ud for 'Kommunen har ingen sager' er læst som Ja. Vælg gerne Ja fra listen."
    ),
    "zero-cases-invalid": _e(
        "{where}: '{value}' ud for 'Kommunen har ingen sager' kan ikke læses. Vælg Ja, hvis kommunen ingen sager "
        "har, og lad ellers cellen stå tom."
    ),
    "zero-cases-with-rows": _e(
        "{where}: kommunen har svaret Ja til 'Kommunen har ingen sager', men der er udfyldt {rows} "
        "med sager. Slet Ja, hvis kommunen har sager, eller slet rækkerne, hvis den ingen har."
    ),
    "empty-file": _e(
        "Fane {sheet}: filen er ikke udfyldt. Der er hverken sager eller svaret Ja til 'Kommunen har ingen "
        "sager'. Udfyld én række pr. borger, eller vælg Ja ud for 'Kommunen har ingen sager', hvis kommunen "
        "ingen sager har."
    ),
    "empty-form": _e(
        "Fane {sheet}: skemaet er ikke udfyldt. Skriv svarene i kolonnen Svar; skriv 0, hvis kommunen ingen "
        "borgere har i en gruppe."
    ),
}

# A short Danish explanation of each code, for lists of codes (the master's Kvalitet sheet).
TITLES: dict[str, str] = {
    "unreadable-file": "Filen kan ikke læses",
    "entry-sheet-missing": "Fanen til svarene mangler",
    "entry-sheet-renamed": "Fanen til svarene er omdøbt",
    "formula-errors-unchecked": "Formelfejl kan ikke ses i dette filformat",
    "not-a-workbook": "Filen er ikke et Excel-regneark",
    "corrupt-file": "Filen er beskadiget",
    "encrypted": "Filen er beskyttet med adgangskode",
    "too-large": "Filen er for stor",
    "zip-bomb": "Filen bliver unormalt stor, når den pakkes ud",
    "xml-entities": "Filen indeholder XML-erklæringer (DTD)",
    "too-slow": "Filen kunne ikke læses i tide",
    "macro-file": "Filen indeholder makroer",
    "external-content": "Filen indeholder eksternt indhold",
    "unidentified": "Det kan ikke ses, hvilken kommune filen er fra",
    "survey-unknown": "Det kan ikke ses, hvilken undersøgelse filen besvarer",
    "identified-by-guide": "Kommunen er fundet ud fra fanen Vejledning",
    "identified-by-filename": "Kommunen er fundet ud fra filnavnet",
    "unknown-token": "Regnearkets id findes ikke blandt de udsendte",
    "token-mismatch": "Regnearket blev sendt til en anden kommune",
    "other-survey": "Filen hører til en anden undersøgelse",
    "survey-version": "Filen er lavet til en tidligere udgave af skemaet",
    "duplicate": "Filen er modtaget før",
    "superseded": "Filen er erstattet af en nyere",
    "ignored-file": "Midlertidig fil eller låsefil",
    "unpacked-mail": "En gemt mail; de vedhæftede filer er læst hver for sig",
    "unpacked-zip": "En zip-fil; filerne i den er læst hver for sig",
    "from-mail": "Modtaget som vedhæftet fil i en mail",
    "from-zip": "Pakket ud af en zip-fil",
    "mail-without-workbook": "Mailen har intet regneark vedhæftet",
    "zip-without-workbook": "Zip-filen indeholder intet regneark",
    "archive-too-large": "Mailen eller zip-filen indeholder for meget",
    "archive-encrypted": "Zip-filen er beskyttet med adgangskode",
    "nested-too-deep": "For mange pakkede filer i hinanden",
    "msg-unsupported": "Outlook-mails (.msg) kan ikke læses",
    "id-row-missing": "Rækken med spørgsmålenes id'er mangler",
    "header-near-miss": "Overskriften er ændret en smule",
    "missing-question-column": "Kolonnen til et spørgsmål mangler",
    "duplicate-column": "Kolonnen til et spørgsmål findes to gange",
    "unknown-column": "Kolonne, der ikke hører til skemaet",
    "form-id-column-missing": "Kolonnen med spørgsmålenes id'er mangler",
    "answer-column-guessed": "Kolonnen Svar er fundet uden overskrift",
    "missing-question-row": "Rækken med et spørgsmål mangler",
    "duplicate-question-row": "Et spørgsmål står to gange",
    "formula-error": "Cellen viser en formelfejl",
    "not-a-category": "Svaret er ikke en af svarmulighederne",
    "category-normalised": "Svaret er stavet anderledes end på listen",
    "multi-mark-normalised": "Andet end X ved en svarmulighed",
    "multi-mark-invalid": "Markeringen kan ikke læses som X",
    "number-as-text": "Tallet er skrevet som tekst",
    "not-a-number": "Svaret er ikke et tal",
    "not-an-integer": "Svaret er ikke et helt tal",
    "below-min": "Tallet er for lille",
    "above-max": "Tallet er for stort",
    "date-as-text": "Datoen er skrevet som tekst",
    "date-from-number": "Datoen er skrevet som et tal",
    "not-a-date": "Svaret kan ikke læses som en dato",
    "personal-invalid": "Et personligt felt kan ikke læses",
    "cpr-masked": "CPR-nummer fjernet",
    "text-too-long": "Teksten er for lang til en celle og er skåret af",
    "personal-in-text": "Navn eller fødselsdato fjernet fra en tekst",
    "case-ref-is-personal": "Sagsnummeret indeholder navn eller fødselsdato",
    "case-ref-is-cpr": "Sagsnummeret ligner et CPR-nummer",
    "required-missing": "Et spørgsmål er ikke besvaret",
    "irrelevant-answer": "Svar på et spørgsmål, der ikke skal besvares",
    "other-text-without-other": "Uddybning uden svaret 'Andet'",
    "row-without-answers": "Række uden svar",
    "case-ref-missing": "Sagsnummer mangler",
    "duplicate-case-ref": "Sagsnummeret står to gange",
    "rule-sum-equals": "Tallene giver ikke den samlede sum",
    "rule-at-most": "En del er større end helheden",
    "rule-band-mismatch": "Beløbet ligger ikke i det valgte interval",
    "zero-cases-normalised": "'Ingen sager' er læst som Ja",
    "zero-cases-invalid": "'Ingen sager' kan ikke læses",
    "zero-cases-with-rows": "'Ingen sager' er Ja, men der er sager",
    "empty-file": "Filen er ikke udfyldt",
    "empty-form": "Skemaet er ikke udfyldt",
    "extra-entry-sheet": "En ekstra fane med sager er læst med",
    "extra-entry-sheet-ignored": "En ekstra fane med sager er ikke læst",
    "copied-sheet-same-cases": "Samme sag på to faner, talt én gang",
    "copied-sheet-conflict": "Samme sagsnummer med forskellige svar på to faner",
    "too-many-rows": "For mange udfyldte rækker",
    "formula-in-answer": "Svaret er en formel",
    "more-issues": "Flere celler med samme problem",
}


def title(code: str) -> str:
    """The short Danish explanation of ``code`` (the code itself for a code from elsewhere)."""
    return TITLES.get(code, code)


# Fragments that templates are built from: still Danish, still in one place.
PHRASES: dict[str, str] = {
    "where-cell": "Fane {sheet}, celle {cell}",
    "where-case": "Fane {sheet}, celle {cell} (sag {case})",
    "where-sheet": "Fane {sheet}",
    "question-numbered": "spørgsmål {number} ({header})",
    "question-named": "feltet {header}",
    "questions-numbered": "spørgsmål {numbers}",
    "did-you-mean": " Mente I {candidate}?",
    "where-moved": "{where} (celle {sent} i den fil, I sendte)",
    "where-case-moved": "Fane {sheet}, celle {cell} (sag {case}; celle {sent} i den fil, I sendte)",
    "and": " og ",
    "only-other-files": ", kun {names}, som ikke er regneark",
    "skipped-files": "; filer, der ikke er regneark, er ikke læst: {names}",
}


class UnknownMessage(KeyError):
    """A code that is not in the catalogue: a programming error, never data."""


def message(code: str) -> Message:
    try:
        return CATALOGUE[code]
    except KeyError:
        raise UnknownMessage(code) from None


def severity(code: str) -> Severity:
    return message(code).severity


def render(code: str, **fields: object) -> str:
    """The Danish text for ``code``; ``where`` is derived from sheet/cell/case when not given."""
    # No CPR-like number reaches any message, whatever field it came in.
    fields = {key: privacy.mask_cpr(value) for key, value in fields.items()}
    fields.setdefault("where", where(fields.get("sheet"), fields.get("cell"), fields.get("case")))
    fields.setdefault("hint", "")
    if isinstance(fields.get("count"), int):
        fields.setdefault("rows", rows_text(fields["count"]))  # "1 række" / "2 rækker"
    return single_stops(message(code).template.format_map(fields))


_DOUBLED_STOP = re.compile(r"(?<!\.)\.\.(?=\s|$)")


def single_stops(text: str) -> str:
    """One full stop where a field ending in one ("feltet Sag nr.") meets the template's own.

    Only before a space or the end: a value quoted in the text ('2..5') and an ellipsis stay as they are.
    """
    return _DOUBLED_STOP.sub(".", text)


def where(sheet: object, cell: object = None, case: object = None) -> str:
    if cell is None:
        return PHRASES["where-sheet"].format(sheet=sheet)
    if case:
        return PHRASES["where-case"].format(sheet=sheet, cell=cell, case=case)
    return PHRASES["where-cell"].format(sheet=sheet, cell=cell)


def question_ref(number: str | None, header: str) -> str:
    """'spørgsmål 1 (Køn)', or 'feltet Sag nr.' for an unnumbered field."""
    if number:
        return PHRASES["question-numbered"].format(number=number, header=header)
    return PHRASES["question-named"].format(header=header)


def did_you_mean(candidate: str | None) -> str:
    return PHRASES["did-you-mean"].format(candidate=candidate) if candidate else ""


def rows_text(count: int) -> str:
    """'1 række' or '2 rækker'."""
    return f"{count} række" if count == 1 else f"{count} rækker"


def relocate(text: str, sheet: object, cell: object, new_sheet: object, new_cell: object) -> str:
    """``text`` with its location (the ``where`` it starts with) moved to ``new_sheet``/``new_cell``.

    A feedback workbook lays the answers out in the template's places, so a
    cell can move; the message then names the new cell and adds the old one
    ("(celle E8 i den fil, I sendte)"). Unchanged when the cell did not move or
    the text does not start with the old location.
    """
    if cell is None or new_cell is None or (str(cell) == str(new_cell) and str(sheet) == str(new_sheet)):
        return text
    pattern = re.escape(PHRASES["where-case"]).replace(re.escape("{sheet}"), re.escape(str(sheet)))
    pattern = pattern.replace(re.escape("{cell}"), re.escape(str(cell))).replace(re.escape("{case}"), "(?P<case>.*?)")
    found = re.match(pattern, text)
    if found:
        moved = PHRASES["where-case-moved"].format(sheet=new_sheet, cell=new_cell, case=found["case"], sent=cell)
        return moved + text[found.end():]
    old = where(sheet, cell)
    if text.startswith(old):
        return PHRASES["where-moved"].format(where=where(new_sheet, new_cell), sent=cell) + text[len(old):]
    return text


def join_and(items: list[str]) -> str:
    """'a, b og c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + PHRASES["and"] + items[-1]


# --- The round: feedback sheet, receipts, mails, status workbook (engineer "round") ---------------
# Danish texts that are not issues of a returned file. Code reads them by key.

ROUND_TEXTS: dict[str, str] = {
    "feedback-title": "Fejl og rettelser",
    "feedback-intro": (
        "Vi har læst jeres skema. Ret venligst {points} under »Skal rettes« herunder på fanen {sheet} "
        "(cellerne er markeret med orange, og et klik på cellen i kolonnen Celle fører jer derhen), gem filen, "
        "og send den retur. Tak for hjælpen."
    ),
    "feedback-point-one": "punktet",
    "feedback-points": "de {n} punkter",
    "feedback-intro-nothing": (
        "Vi har læst jeres skema, og der er intet, der skal rettes. Punkterne herunder er kun til orientering; "
        "I behøver ikke sende skemaet igen."
    ),
    "feedback-notes-need-nothing": (
        "Punkterne under »Bemærk« og »Rettet af os« kræver ikke, at I sender skemaet igen: svarene er brugt, "
        "og det, vi har rettet, står allerede rigtigt i denne fil."
    ),
    "feedback-action-header": "Handling",
    "feedback-action-fix": "Skal rettes",
    "feedback-action-note": "Bemærk",
    "feedback-action-fixed": "Rettet af os",
    "feedback-link-tip": "Gå til cellen",
    # receipts (harvest/receipt.py)
    "receipt-title": "Kvittering for modtaget skema",
    "receipt-synthetic": "SYNTETISKE DATA – lavet af sdexl demo, ikke en rigtig kvittering",
    "receipt-intro": (
        "Tak for jeres svar. Vi har modtaget og indlæst jeres skema og kan bruge svarene. "
        "Herunder står, hvad vi har modtaget."
    ),
    "receipt-survey": "Undersøgelse",
    "receipt-kommune": "Kommune",
    "receipt-file": "Modtaget fil",
    "receipt-received": "Modtaget",
    "receipt-harvested": "Indlæst",
    "receipt-status": "Status",
    "receipt-cases": "Antal sager",
    "receipt-zero-cases": "0 (kommunen har svaret, at den ingen sager har)",
    "receipt-count-question": "Spørgsmål {number}: {label}",
    "receipt-checksum": "Filens kontrolnummer",
    "receipt-notes-heading": "Bemærkninger ({n})",
    "receipt-notes-intro": (
        "Svarene er brugt, som de står nedenfor. I behøver ikke sende skemaet igen, men tag gerne "
        "bemærkningerne med, næste gang I udfylder skemaet."
    ),
    "receipt-notes-count": "Bemærkninger: {n} (se den vedhæftede kvittering; I behøver ikke sende skemaet igen)",
    "receipt-no-notes": "Ingen bemærkninger.",
    "receipt-closing": (
        "I skal ikke gøre mere. Sender I senere en ny udgave af skemaet, erstatter den denne, og I får en ny "
        "kvittering."
    ),
    "receipt-contact": "Spørgsmål",
    # verdicts and statuses, as a municipality or KL reads them
    "status-accepted": "Godkendt",
    "status-accepted_with_warnings": "Godkendt med bemærkninger",
    "status-needs_correction": "Skal rettes",
    "status-rejected": "Afvist",
    "status-missing": "Ikke modtaget",
    "status-not_issued": "Ikke udsendt",
    "status-not_participating": "Deltager ikke",
    # mails (sdexl/mail/send.py fills the templates in templates/mail/ with these)
    "mail-data-protection-cases": (
        "Databeskyttelse: Skemaet kommer til at indeholde oplysninger om enkelte borgere. Send det kun som aftalt "
        "i dataoverførselsaftalen, fx med sikker mail, og skriv aldrig CPR-numre i skemaet. Navn og fødselsdato "
        "er kun til jeres eget overblik: de fjernes, når vi modtager skemaet, og indgår aldrig i analysen."
    ),
    "mail-data-protection-aggregate": (
        "Databeskyttelse: Skemaet indeholder kun antal og ingen oplysninger om enkelte borgere. Skriv derfor ikke "
        "navne, CPR-numre eller andre personoplysninger i bemærkningsfelterne."
    ),
    "mail-data-protection-feedback-cases": (
        "Databeskyttelse: Den vedhæftede fil indeholder de oplysninger om borgerne, som I selv skrev i skemaet. "
        "Send den kun som aftalt i dataoverførselsaftalen, fx med sikker mail, og skriv aldrig CPR-numre i skemaet."
    ),
    "mail-contact-email": "på {email}",
    "mail-contact-phone": "på telefon {phone}",
    "mail-contact-or": " eller ",
    "mail-as-soon-as-possible": "snarest muligt",
    "mail-received-rejected": "Den fil, vi har modtaget fra jer, kunne ikke bruges ({reason}).",
    "mail-received-unfilled": "Den fil, vi har modtaget fra jer, var ikke udfyldt.",
    "mail-feedback-errors-one": (
        "Vi har læst det, og der er ét punkt, der skal rettes, før vi kan bruge alle jeres svar. Vedhæftet er "
        "jeres skema igen, {fil}, med jeres svar udfyldt. Fanen »Fejl og rettelser« viser punktet, og et klik på "
        "cellen fører jer derhen. Ret venligst punktet under »Skal rettes«, og gem filen. Punkter under »Bemærk« og "
        "»Rettet af os« kræver ikke noget af jer."
    ),
    "mail-feedback-errors": (
        "Vi har læst det, og der er {n} punkter, der skal rettes, før vi kan bruge alle jeres svar. Vedhæftet er "
        "jeres skema igen, {fil}, med jeres svar udfyldt. Fanen »Fejl og rettelser« viser hvert punkt, og et klik "
        "på cellen fører jer derhen. Ret venligst de {n} punkter under »Skal rettes«, og gem filen. Punkter under "
        "»Bemærk« og »Rettet af os« kræver ikke noget af jer."
    ),
    "mail-feedback-rejected": (
        "Vi kunne desværre ikke bruge filen: {reason}. Vedhæftet er et nyt skema til jer, {fil}; fanen »Fejl og "
        "rettelser« forklarer, hvad der skete. Udfyld skemaet, og gem det som almindelig Excel-projektmappe (.xlsx)."
    ),
    "mail-feedback-unfilled": (
        "Filen var ikke udfyldt, så vi har endnu ingen svar fra jer. Vedhæftet er skemaet igen, {fil}. Udfyld det, "
        "og gem det."
    ),
    "mail-by-date": "senest {date}",
}
