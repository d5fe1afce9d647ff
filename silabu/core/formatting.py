"""Indonesian formatting for pages, documents and e-mail: 21 November 2026, 1.234,5."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LOCALE = Locale.parse("id_ID")  # parsed once: a locale string is parsed again on every call
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def tanggal(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, fmt, locale=LOCALE)


def tanggal_hari(value: date | None) -> str:
    if value is None:
        return "–"
    return f"{DAYS[value.weekday()]}, {tanggal(value)}"


def waktu(value: datetime | None, tz: str = "Asia/Jakarta") -> str:
    if value is None:
        return "–"
    from silabu.core.clock import as_utc, timezone_label, zone

    local = as_utc(value).astimezone(zone(tz))
    return format_datetime(local, "d MMM y HH.mm", locale=LOCALE) + " " + timezone_label(tz)


def angka(value: int | float | Decimal | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return format_decimal(value, format="#,##0." + "#" * digits if digits else "#,##0", locale=LOCALE)


def persen(value: float | Decimal | None) -> str:
    if value is None:
        return "–"
    return angka(round(float(value), 2)) + "%"


def bulan(period: str) -> str:
    """'2026-11' -> 'November 2026'."""
    year, month = period.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def ukuran(size: int | None) -> str:
    if size is None:
        return "–"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return angka(size / 1024, 0) + " KB"
    return angka(size / 1024 / 1024, 1) + " MB"


def plain_number(value: Decimal | None) -> int | float | None:
    """A stored amount as a plain number for JSON and form fields: integers stay integers (12, not 12.0)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
