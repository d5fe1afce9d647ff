"""Reading what people and clients send: months, dates, years, whole numbers and amounts.

One reader per kind of value, used by pages, the API, the command line and the services alike, so the same
input is accepted or refused the same way everywhere, with one message in Bahasa Indonesia. Each reader either
raises ``ValidationFailed`` for its field, or, given an ``errors`` dict, records the message there and returns
None (services that collect every problem of a form before refusing it).
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from silabu.core.clock import YEAR_MAX, YEAR_MIN, parse_period
from silabu.core.errors import ValidationFailed

MONTH_MESSAGE = "Format bulan harus TTTT-BB, misalnya 2026-11."
# Identifiers and counters are INTEGER columns: 32-bit signed on PostgreSQL (SQLite's are 64-bit). A number past
# that in a URL or a body is no row of ours; handed to PostgreSQL it would be "integer out of range", a 500.
INT_MAX = 2**31 - 1


def _fail(field: str, message: str, errors: dict[str, str] | None) -> None:
    if errors is None:
        raise ValidationFailed({field: message})
    errors.setdefault(field, message)


def month_or_none(value: Any) -> str | None:
    """The month 'YYYY-MM' when ``value`` is one, else None (a filter that is simply left out)."""
    try:
        parse_period(value)
    except ValueError:
        return None
    return value


def parse_month(value: Any, field: str = "month", errors: dict[str, str] | None = None) -> str | None:
    """A month 'YYYY-MM', or the month field's message."""
    if month_or_none(value) is None:
        _fail(field, MONTH_MESSAGE, errors)
        return None
    return value


def date_or_none(value: Any) -> date | None:
    """A date from a date, a datetime or 'YYYY-MM-DD'; None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) != 10:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if YEAR_MIN - 100 <= day.year <= YEAR_MAX else None


def parse_date(value: Any, field: str, label: str = "Tanggal", errors: dict[str, str] | None = None, *,
               required: bool = True) -> date | None:
    """A date 'YYYY-MM-DD'; blank is refused when ``required``, else None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            _fail(field, f"{label} wajib diisi.", errors)
        return None
    day = date_or_none(value)
    if day is None:
        _fail(field, f"{label} tidak valid: tulis dengan format TTTT-BB-HH.", errors)
    return day


def parse_year(value: Any, default: int | None = None, field: str = "year",
               errors: dict[str, str] | None = None) -> int | None:
    """A year between 2000 and 2100; blank gives ``default``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        _fail(field, "Tahun wajib diisi.", errors)
        return None
    year = int_or_none(value)
    if year is None:
        _fail(field, "Tahun tidak valid.", errors)
        return None
    if not YEAR_MIN <= year <= YEAR_MAX:
        _fail(field, f"Tahun harus antara {YEAR_MIN} dan {YEAR_MAX}.", errors)
        return None
    return year


def int_or_none(value: Any, *, minimum: int = -INT_MAX, maximum: int = INT_MAX) -> int | None:
    """A whole number within the bounds (and within the databases' INTEGER columns), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text or len(text) > 20 or not (text.isascii() and text.lstrip("-").isdigit()):
            return None
        number = int(text)
    return number if minimum <= number <= maximum else None


def parse_int(value: Any, field: str, label: str, errors: dict[str, str] | None = None, *, minimum: int = 0,
              maximum: int = INT_MAX, required: bool = True) -> int | None:
    """A whole number between ``minimum`` and ``maximum``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            _fail(field, f"{label} wajib diisi.", errors)
        return None
    number = int_or_none(value, minimum=minimum, maximum=maximum)
    if number is None:
        _fail(field, f"{label} harus bilangan bulat antara {minimum} dan {maximum}.", errors)
    return number


def decimal_or_none(value: Any) -> Decimal | None:
    """An amount as typed: 3, '1,5', '1.234,5' (Indonesian), '1234.5'; None when it is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, (int, float)):
        text = repr(value)
    else:
        text = str(value).strip().replace(" ", "").replace("\u00a0", "")
        if "," in text:  # the Indonesian decimal comma, with dots grouping thousands
            text = text.replace(".", "").replace(",", ".")
    if not text or len(text) > 40:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_decimal(value: Any, field: str, label: str, errors: dict[str, str] | None = None, *,
                  required: bool = True, allow_negative: bool = False, allow_zero: bool = True,
                  maximum: Decimal = Decimal("1e12"), places: int = 2) -> Decimal | None:
    """An amount with at most ``places`` decimals, not negative unless allowed, below ``maximum``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            _fail(field, f"{label} wajib diisi.", errors)
        return None
    number = decimal_or_none(value)
    if number is None:
        _fail(field, f"{label} harus berupa angka.", errors)
        return None
    if number < 0 and not allow_negative:
        _fail(field, f"{label} tidak boleh negatif.", errors)
        return None
    if number == 0 and not allow_zero:
        _fail(field, f"{label} harus lebih dari 0.", errors)
        return None
    if abs(number) >= maximum:
        _fail(field, f"{label} terlalu besar.", errors)
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        _fail(field, f"{label} paling banyak {places} angka di belakang koma.", errors)
        return None
    return number


def visible_text(value: Any) -> str:
    """Text as typed, trimmed; empty when it holds nothing a reader would see (only spaces or zero-width marks)."""
    text = str(value if value is not None else "").strip()
    if not any(unicodedata.category(ch) not in ("Cf", "Zs", "Zl", "Zp", "Cc") and not ch.isspace() for ch in text):
        return ""
    return text
