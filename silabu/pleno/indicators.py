"""The PK indicator view of a pleno packet: each indicator's target and realisasi for the month and to date.

Every figure comes from the LKj's own rules (``silabu.lkj.services``): the indicator's measure and unit of
measure, its consolidation, the Rencana Aksi targets. The month being built counts as if its packet were final
(what finalizing it gives the LKj); earlier months count only when their packet is final, as in the LKj.
"""
from __future__ import annotations

from decimal import Decimal

import pandas as pd

from silabu.catalog.models import Measure
from silabu.core.clock import parse_period
from silabu.core.formatting import MONTHS

COLUMNS = ["report_code", "sasaran_code", "sasaran", "indicator_code", "indicator", "indicator_unit", "measure",
           "consolidation", "output_codes", "target_year", "target_month", "realisasi_month", "target_to_date",
           "realisasi_to_date", "capaian_to_date", "months_counted", "note"]
NUMBERS = ["target_year", "target_month", "realisasi_month", "target_to_date", "realisasi_to_date",
           "capaian_to_date"]


def _float(value: Decimal | None) -> float:
    return float("nan") if value is None else float(value)


def pk_view(period: str) -> pd.DataFrame:
    """One row per indicator of the year's Perjanjian Kinerja (every report), in the LKj's order."""
    from silabu.lkj import capaian as calc
    from silabu.lkj import services as lkj
    from silabu.lkj.services.periods import PeriodSpec
    from silabu.lkj.services.tabel import row_warnings

    year, month = parse_period(period)
    bands = lkj.current_bands()
    month_spec = lkj.period_spec(year, period)
    to_date = PeriodSpec(f"sd-{month:02d}", "to_date", month, tuple(range(1, month + 1)),
                         f"Januari s.d. {MONTHS[month - 1]} {year}", f"s.d. {MONTHS[month - 1][:3]}")
    rows = []
    for report_code in lkj.report_codes(year):
        indicators = lkj.indicators_for(year, report_code)
        data = lkj.indicator_data(indicators, year, provisional={period})
        for ind in indicators:
            d = data[ind.id]
            row = lkj.capaian_row(d, month_spec, bands)
            realisasi = calc.consolidate(d.months[:month], ind.consolidation.value)
            target, target_reason = lkj.target_to_date(ind, month, d.targets)
            result = calc.capaian(target, realisasi, ind.polarity)
            counted = sum(v is not None for v in d.months[:month])
            notes: list[str] = []
            if row.reason and (row.target is None or row.realisasi is None):
                notes.append(row.reason)
            if target is None and target_reason and target_reason not in notes:
                notes.append(f"S.d. bulan ini: {target_reason}")
            for w in row_warnings(d, to_date, realisasi, result.value, counted, month):
                notes.append(w.message)
            rows.append({
                "report_code": ind.report_code, "sasaran_code": ind.sasaran_code, "sasaran": ind.sasaran,
                "indicator_code": ind.code, "indicator": ind.name, "indicator_unit": ind.unit,
                "measure": lkj.MEASURE_LABELS[Measure(d.measure)],
                "consolidation": ind.consolidation.value, "output_codes": ", ".join(row.output_codes),
                "target_year": _float(calc.round2(ind.target_year)), "target_month": _float(row.target),
                "realisasi_month": _float(row.realisasi), "target_to_date": _float(calc.round2(target)),
                "realisasi_to_date": _float(realisasi), "capaian_to_date": _float(result.value),
                "months_counted": counted, "note": " ".join(notes)})
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c in NUMBERS else "object") for c in COLUMNS})
    df = pd.DataFrame(rows, columns=COLUMNS)
    for c in NUMBERS:
        df[c] = df[c].astype("float64")
    df["months_counted"] = df["months_counted"].astype("int32")
    return df
