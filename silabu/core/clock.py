"""Time in one place: UTC for storage, the satker's timezone for "today" and "month end"."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TIMEZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
LABEL_TIMEZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
YEAR_MIN, YEAR_MAX = 2000, 2100


def utcnow() -> datetime:
    return datetime.now(UTC)


def zone(tz_name: str) -> ZoneInfo:
    return ZoneInfo(LABEL_TIMEZONES.get(tz_name, tz_name))


def local_now(tz_name: str) -> datetime:
    return utcnow().astimezone(zone(tz_name))


def local_today(tz_name: str) -> date:
    return local_now(tz_name).date()


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timezone_label(tz_name: str) -> str:
    return TIMEZONE_LABELS.get(LABEL_TIMEZONES.get(tz_name, tz_name), tz_name)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(value: str) -> tuple[int, int]:
    """'2026-11' -> (2026, 11); ValueError for anything else (also years outside 2000-2100).

    ``silabu.core.parsing.parse_month`` turns the ValueError into the field's message."""
    if not isinstance(value, str) or len(value) != 7 or value[4] != "-" or not (
            value[:4].isdigit() and value[5:].isdigit()):
        raise ValueError(value)
    year, month = int(value[:4]), int(value[5:])
    if not (YEAR_MIN <= year <= YEAR_MAX and 1 <= month <= 12):
        raise ValueError(value)
    return year, month


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - 1}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + 1}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
