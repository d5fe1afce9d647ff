"""Spreadsheets SILABU writes (XLSX, CSV): text a user typed is never a live formula.

Every XLSX writer opens its workbook with ``XLSX_OPTIONS`` (or through ``excel_writer`` for pandas), so a cell
written from text stays text whatever it starts with; every CSV writer passes its rows through ``csv_row``,
which neutralises a cell a spreadsheet would read as a formula (OWASP "CSV injection").
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import pandas as pd

# xlsxwriter's defaults turn "=..." into a formula and "http://..." into a link; pandas keeps those defaults.
XLSX_OPTIONS: dict[str, bool] = {"strings_to_formulas": False, "strings_to_numbers": False,
                                 "strings_to_urls": False}

# What a spreadsheet may read as the start of a formula (or a DDE payload behind a tab or carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def xlsx_options(**extra: Any) -> dict[str, Any]:
    """The options for ``xlsxwriter.Workbook``: ``XLSX_OPTIONS`` plus the caller's own (e.g. in_memory)."""
    return {**extra, **XLSX_OPTIONS}


def excel_writer(buf: io.BytesIO) -> pd.ExcelWriter:
    """A pandas ExcelWriter (xlsxwriter) whose text cells are always text."""
    return pd.ExcelWriter(buf, engine="xlsxwriter", engine_kwargs={"options": dict(XLSX_OPTIONS)})


def csv_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: text starting with = + - @, tab or CR gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]
