"""The arithmetic of the Tabel Capaian Kinerja, as DOMAIN.md states it. Pure functions, Decimal throughout.

- higher is better: capaian = realisasi / target x 100
- lower is better:  capaian = (2 x target - realisasi) / target x 100 (not clamped: the formula as written)
- lower is better with target 0: 100 when realisasi is 0, else 0; any other zero target has no capaian
- consolidation of periodic values: ``sum`` (counts), ``last`` (latest known), ``avg`` (means)
- kategori by configurable bands; figures rounded to 2 decimals, half up (83,335 -> 83,34)
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from silabu.core.formatting import angka

HUNDRED = Decimal(100)
CENT = Decimal("0.01")

HIGHER = "+"
LOWER = "-"

REASON_NO_TARGET = "Target belum ditetapkan."
REASON_NO_REALISASI = "Realisasi belum tersedia."
REASON_ZERO_TARGET = ("Target 0 pada indikator yang makin tinggi makin baik: capaian tidak dapat dihitung "
                      "(pembagian dengan nol).")
REASON_NEGATIVE_TARGET = "Target bernilai negatif: capaian tidak dapat dihitung."


@dataclass(frozen=True)
class Capaian:
    """A capaian percentage (2 decimals) or, when it cannot be computed, ``None`` with the reason."""

    value: Decimal | None
    reason: str | None = None

    @property
    def is_measurable(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Band:
    """One kategori: capaian >= ``minimum`` (``None``: everything below the other bands)."""

    minimum: Decimal | None
    label: str


DEFAULT_BANDS: tuple[Band, ...] = (
    Band(Decimal(100), "Sangat Berhasil"),
    Band(Decimal(80), "Berhasil"),
    Band(Decimal(60), "Cukup Berhasil"),
    Band(None, "Kurang Berhasil"),
)


def to_decimal(value: object) -> Decimal | None:
    """Decimal from int/str/Decimal/float (via its shortest repr); ``None`` and blanks stay ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def round2(value: Decimal | int | str | float | None) -> Decimal | None:
    """Two decimals, half up (not the banker's rounding of ``round``)."""
    number = to_decimal(value)
    return None if number is None else number.quantize(CENT, rounding=ROUND_HALF_UP)


def _polarity(polarity: object) -> str:
    value = getattr(polarity, "value", polarity)
    if value not in (HIGHER, LOWER):
        raise ValueError(f"polarity must be '+' or '-', not {polarity!r}")
    return value


def capaian(target: object, realisasi: object, polarity: object = HIGHER) -> Capaian:
    """Capaian of one indicator per DOMAIN.md, rounded to 2 decimals; ``value`` None with a ``reason`` otherwise."""
    direction = _polarity(polarity)
    t, r = to_decimal(target), to_decimal(realisasi)
    if t is None:
        return Capaian(None, REASON_NO_TARGET)
    if r is None:
        return Capaian(None, REASON_NO_REALISASI)
    if t < 0:
        return Capaian(None, REASON_NEGATIVE_TARGET)
    if direction == LOWER:
        if t == 0:
            # Nothing is the goal (e.g. zero disciplinary cases): met in full, or not at all.
            return Capaian(Decimal("100.00") if r == 0 else Decimal("0.00"))
        return Capaian(round2((2 * t - r) / t * HUNDRED))
    if t == 0:
        return Capaian(None, REASON_ZERO_TARGET)
    return Capaian(round2(r / t * HUNDRED))


def consolidate(values: Iterable[object], rule: object) -> Decimal | None:
    """Fold periodic values into one: ``sum``, ``last`` (latest known) or ``avg``; unknown (None) values are skipped.

    The result is rounded to 2 decimals so that the capaian computed from it matches what the table shows.
    """
    rule = getattr(rule, "value", rule)
    known = [v for v in (to_decimal(x) for x in values) if v is not None]
    if not known:
        return None
    if rule == "sum":
        return round2(sum(known, Decimal(0)))
    if rule == "last":
        return round2(known[-1])
    if rule == "avg":
        return round2(sum(known, Decimal(0)) / len(known))
    raise ValueError(f"consolidation must be sum, last or avg, not {rule!r}")


def capaian_text(value: object) -> str:
    """A capaian as printed everywhere: two decimals, Indonesian separators (1.375,00; 83,30; 100,00)."""
    from babel.numbers import format_decimal

    from silabu.core.formatting import LOCALE

    number = to_decimal(value)
    return "–" if number is None else format_decimal(number, format="#,##0.00", locale=LOCALE)


def kategori(value: object, bands: Sequence[Band] = DEFAULT_BANDS) -> str | None:
    """The label of the highest band whose minimum the capaian reaches; ``None`` when there is no capaian."""
    number = value.value if isinstance(value, Capaian) else to_decimal(value)
    if number is None:
        return None
    for band in sorted_bands(bands):
        if band.minimum is None or number >= band.minimum:
            return band.label
    return None


def sorted_bands(bands: Sequence[Band]) -> list[Band]:
    """Highest minimum first; the open-ended band (minimum None) last."""
    return sorted(bands, key=lambda b: (b.minimum is None, -(b.minimum or 0)))


def describe_band(band: Band, bands: Sequence[Band]) -> str:
    """'80 s.d. < 100', '100 ke atas', 'di bawah 60' — the range of one band in words (no special symbols)."""
    ordered = sorted_bands(bands)
    index = ordered.index(band)
    upper = next((b.minimum for b in reversed(ordered[:index]) if b.minimum is not None), None)
    if band.minimum is None:
        lowest = next((b.minimum for b in reversed(ordered) if b.minimum is not None), None)
        return f"di bawah {angka(lowest)}" if lowest is not None else "semua nilai"
    if upper is None:
        return f"{angka(band.minimum)} ke atas"
    return f"{angka(band.minimum)} s.d. < {angka(upper)}"
