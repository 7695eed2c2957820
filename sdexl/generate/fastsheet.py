"""A worksheet that writes plain formulas without xlsxwriter's rewriting pass.

xlsxwriter runs about 30 regular expressions over every formula to prefix
newer Excel functions (XLOOKUP, FILTER, ...) with ``_xlfn.``. With ~1,000
formulas per workbook that pass was most of the generation time. sdexl only
writes functions that Excel 2007 already had; when a formula uses nothing else
the rewrite cannot change it and is skipped. Any other formula goes through
xlsxwriter's own path unchanged (tests/test_fastsheet.py pins this).
"""

from __future__ import annotations

import re

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

LEGACY_FUNCTIONS = frozenset(
    "IF AND OR NOT LEN SUM SUMPRODUCT COUNT COUNTA COUNTBLANK ISNA ISNUMBER MATCH INDEX INT UPPER AVERAGE MIN MAX N TRUE FALSE".split()
)
_FUNCTION = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")


def uses_only_legacy_functions(formula: str) -> bool:
    return all(name in LEGACY_FUNCTIONS for name in _FUNCTION.findall(formula))


class FormulaWorksheet(Worksheet):
    def _prepare_formula(self, formula, expand_future_functions=False):
        if expand_future_functions or self.use_future_functions or not uses_only_legacy_functions(formula):
            return super()._prepare_formula(formula, expand_future_functions)
        if formula.startswith("{"):
            formula = formula[1:]
        if formula.startswith("="):
            formula = formula[1:]
        if formula.endswith("}"):
            formula = formula[:-1]
        return formula


class Workbook(xlsxwriter.Workbook):
    worksheet_class = FormulaWorksheet
