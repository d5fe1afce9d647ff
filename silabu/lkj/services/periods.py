"""Periods of an LKj year (year, semester, quarter, month), and the months whose pleno packet is final."""
from __future__ import annotations

from dataclasses import dataclass

from silabu.core.clock import parse_period
from silabu.core.errors import ValidationFailed
from silabu.core.formatting import MONTHS
from silabu.pleno.models import Packet

ROMAN = ["I", "II", "III", "IV"]


@dataclass(frozen=True)
class PeriodSpec:
    key: str  # "tahun", "s1", "tw3", "2026-05"
    kind: str  # year | semester | quarter | month
    index: int
    months: tuple[int, ...]
    label: str
    short: str


def period_spec(year: int, key: str | None = None) -> PeriodSpec:
    """Parse a period of the year: tahun, s1/s2, tw1..tw4 (or q1..q4), or a month YYYY-MM."""
    raw = (key or "tahun").strip().lower()
    if raw in ("tahun", "year", "y", ""):
        return PeriodSpec("tahun", "year", 0, tuple(range(1, 13)), f"Tahun {year}", "Tahun")
    for prefixes, kind, count in ((("s", "semester"), "semester", 2), (("tw", "q", "triwulan"), "quarter", 4)):
        for prefix in prefixes:
            rest = raw[len(prefix):]
            if raw.startswith(prefix) and rest.isdigit() and 1 <= int(rest) <= count:
                index = int(rest)
                size = 12 // count
                months = tuple(range((index - 1) * size + 1, index * size + 1))
                word = "Semester" if kind == "semester" else "Triwulan"
                label = f"{word} {ROMAN[index - 1]} {year}"
                return PeriodSpec(f"{'s' if kind == 'semester' else 'tw'}{index}", kind, index, months, label,
                                  f"{'Smt' if kind == 'semester' else 'TW'} {ROMAN[index - 1]}")
    try:
        y, m = parse_period(raw)
    except ValueError:
        y, m = None, None
    if y == year and m is not None:
        return PeriodSpec(f"{year:04d}-{m:02d}", "month", m, (m,), f"{MONTHS[m - 1]} {year}", MONTHS[m - 1][:3])
    raise ValidationFailed({"period": "Periode tidak dikenal. Pakai tahun, s1, s2, tw1-tw4 atau "
                                     f"{year}-01 s.d. {year}-12."})


def period_choices(year: int) -> list[PeriodSpec]:
    keys = ["tahun", "s1", "s2", "tw1", "tw2", "tw3", "tw4"] + [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    return [period_spec(year, k) for k in keys]


def month_periods(year: int) -> list[str]:
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def latest_packets(year: int) -> dict[str, Packet]:
    """Per month of ``year`` that has a packet: its final packet (the newest final version, never a superseded
    one), else its latest version."""
    from silabu.pleno.services import packets_of_year

    return {p: packet for p, packet in packets_of_year(year).items() if p in month_periods(year)}


def final_periods(year: int) -> list[str]:
    """Months of ``year`` whose latest pleno packet is final: only these feed the LKj."""
    from silabu.pleno.services import final_periods as pleno_final_periods

    return sorted(p for p in pleno_final_periods(year) if p in month_periods(year))
