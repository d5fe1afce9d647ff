"""The capaian arithmetic of DOMAIN.md against hand-computed tables, including every edge case."""
from __future__ import annotations

from decimal import Decimal

import pytest

from silabu.lkj.capaian import (
    DEFAULT_BANDS,
    REASON_NO_REALISASI,
    REASON_NO_TARGET,
    REASON_ZERO_TARGET,
    Band,
    capaian,
    consolidate,
    describe_band,
    kategori,
    round2,
)

D = Decimal


@pytest.mark.parametrize("target, realisasi, expected", [
    (12, 12, "100.00"),
    (12, 9, "75.00"),
    (12, 10, "83.33"),      # 83.333...
    (3, 2, "66.67"),        # 66.666... rounds up
    (40, 44, "110.00"),     # above target
    (95, "88.5", "93.16"),  # 93.1578...
    (24, 0, "0.00"),
    (800, 1, "0.13"),       # 0.125 -> half up, not the banker's 0.12
])
def test_higher_is_better_is_realisasi_over_target(target, realisasi, expected):
    result = capaian(target, realisasi, "+")
    assert result.value == D(expected)
    assert result.reason is None


@pytest.mark.parametrize("target, realisasi, expected", [
    (5, 5, "100.00"),       # (10 - 5) / 5
    (5, 4, "120.00"),       # fewer days than targeted: above 100
    (5, 7, "60.00"),        # (10 - 7) / 5
    (3, 4, "66.67"),        # (6 - 4) / 3 = 0.666...
    (5, "5.5", "90.00"),
    (5, 12, "-40.00"),      # the formula as written, not clamped
])
def test_lower_is_better_is_twice_target_minus_realisasi_over_target(target, realisasi, expected):
    assert capaian(target, realisasi, "-").value == D(expected)


def test_lower_is_better_zero_target_is_100_when_realisasi_is_zero():
    result = capaian(0, 0, "-")
    assert result.value == D("100.00") and result.reason is None


@pytest.mark.parametrize("realisasi", [1, "0.5", 7])
def test_lower_is_better_zero_target_is_0_when_realisasi_above_zero(realisasi):
    result = capaian(0, realisasi, "-")
    assert result.value == D("0.00") and result.reason is None


@pytest.mark.parametrize("realisasi", [0, 5])
def test_higher_is_better_zero_target_has_no_capaian_with_a_reason(realisasi):
    result = capaian(0, realisasi, "+")
    assert result.value is None
    assert result.reason == REASON_ZERO_TARGET
    assert not result.is_measurable


def test_missing_target_or_realisasi_has_no_capaian_with_a_reason():
    assert capaian(None, 5, "+").reason == REASON_NO_TARGET
    assert capaian(12, None, "+").reason == REASON_NO_REALISASI
    assert capaian(12, None, "-").value is None


def test_negative_target_has_no_capaian():
    result = capaian(-1, 5, "+")
    assert result.value is None and "negatif" in result.reason


def test_polarity_accepts_the_catalog_enum():
    from silabu.catalog.models import Polarity

    assert capaian(5, 4, Polarity.LOWER).value == D("120.00")
    assert capaian(5, 4, Polarity.HIGHER).value == D("80.00")
    with pytest.raises(ValueError):
        capaian(5, 4, "up")


def test_rounding_is_half_up_to_two_decimals():
    assert round2(D("2.675")) == D("2.68")  # round(2.675, 2) gives 2.67
    assert round2("83.335") == D("83.34")
    assert round2(D("-40.005")) == D("-40.01")
    assert round2(None) is None
    assert round2(2.675) == D("2.68")  # a float is taken by its shortest repr


@pytest.mark.parametrize("values, rule, expected", [
    ([3, None, 4, 5], "sum", "12.00"),
    ([3, None, 4, 5], "last", "5.00"),
    ([3, None, 4, 5], "avg", "4.00"),
    ([1, 2, None], "last", "2.00"),           # the latest known value, not the latest month
    ([1, 2, 2], "avg", "1.67"),               # 1.666... rounded half up
    (["91.2", "93.45", "96.1"], "last", "96.10"),
    ([D("0.1"), D("0.2")], "sum", "0.30"),
    ([0, 0, 0], "sum", "0.00"),
])
def test_consolidation_of_periodic_values(values, rule, expected):
    assert consolidate(values, rule) == D(expected)


def test_consolidation_of_nothing_known_is_none():
    for rule in ("sum", "last", "avg"):
        assert consolidate([None, None], rule) is None
        assert consolidate([], rule) is None


def test_consolidation_accepts_the_catalog_enum_and_refuses_unknown_rules():
    from silabu.catalog.models import Consolidation

    assert consolidate([1, 2], Consolidation.SUM) == D("3.00")
    with pytest.raises(ValueError):
        consolidate([1], "median")


@pytest.mark.parametrize("value, expected", [
    ("150", "Sangat Berhasil"),
    ("100", "Sangat Berhasil"),   # >= 100
    ("99.99", "Berhasil"),
    ("80", "Berhasil"),           # 80 - < 100
    ("79.99", "Cukup Berhasil"),
    ("60", "Cukup Berhasil"),     # 60 - < 80
    ("59.99", "Kurang Berhasil"),
    ("0", "Kurang Berhasil"),
    ("-40", "Kurang Berhasil"),
])
def test_kategori_band_edges(value, expected):
    assert kategori(D(value)) == expected


def test_kategori_of_no_capaian_is_none():
    assert kategori(None) is None
    assert kategori(capaian(0, 3, "+")) is None


def test_kategori_uses_configured_bands_in_any_order():
    bands = [Band(None, "Perlu perbaikan"), Band(D(90), "Baik")]
    assert kategori(D("90"), bands) == "Baik"
    assert kategori(D("89.99"), bands) == "Perlu perbaikan"


def test_band_ranges_are_described_in_words():
    bands = list(DEFAULT_BANDS)
    assert describe_band(bands[0], bands) == "100 ke atas"
    assert describe_band(bands[1], bands) == "80 s.d. < 100"
    assert describe_band(bands[3], bands) == "di bawah 60"


# A Tabel Capaian computed by hand from monthly values, as the demo Perjanjian Kinerja would have it.
HAND_TABLE = [
    # code, polarity, rule, target, monthly values, realisasi, capaian, kategori
    ("IK1.1", "+", "sum", 12, [1] * 10 + [None, None], "10.00", "83.33", "Berhasil"),
    ("IK1.2", "+", "last", 100, [80, None, 100, None], "100.00", "100.00", "Sangat Berhasil"),
    ("IK2.1", "+", "last", 95, ["91.2", "93.45", "96.1"], "96.10", "101.16", "Sangat Berhasil"),
    ("IK2.2", "+", "sum", 4, [1, 0, 0, 1, 0, 0, 0], "2.00", "50.00", "Kurang Berhasil"),
    ("IK3.1", "+", "sum", 40, [3, 4, 2, 5, 3, 4, 3, 3, 2, 2, 1, 1], "33.00", "82.50", "Berhasil"),
    ("IK3.2", "-", "sum", 0, [0, 0, 0, 0], "0.00", "100.00", "Sangat Berhasil"),
    ("IK3.2b", "-", "sum", 0, [0, 1, 0], "1.00", "0.00", "Kurang Berhasil"),
    ("IK3.3", "-", "avg", 5, [4, 6, 5, 7], "5.50", "90.00", "Berhasil"),
    ("IK4.1", "+", "sum", 24, [2, 2, 1, 2], "7.00", "29.17", "Kurang Berhasil"),
    ("IK4.9", "+", "sum", 0, [1, 2], "3.00", None, None),
]


@pytest.mark.parametrize("code, polarity, rule, target, months, realisasi, expected, label", HAND_TABLE,
                         ids=[row[0] for row in HAND_TABLE])
def test_hand_computed_tabel_capaian(code, polarity, rule, target, months, realisasi, expected, label):
    total = consolidate(months, rule)
    assert total == D(realisasi)
    result = capaian(target, total, polarity)
    assert result.value == (D(expected) if expected is not None else None)
    assert kategori(result) == label
    if expected is None:
        assert result.reason == REASON_ZERO_TARGET
