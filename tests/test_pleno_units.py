"""Which units the packet counts: only units with staff who log have a month to close."""
from __future__ import annotations


def test_a_unit_without_staff_is_not_reported_as_open(make_asn, make_user, db):
    from silabu.pleno.services import rollup, year_overview

    make_asn("KUL")
    make_user("SEK", "sekretaris")  # the Sekretariat unit: nobody there logs daily entries
    summary = rollup("2026-10").summary()
    assert summary["units_open"] == ["KUL"]
    assert (summary["units_total"], summary["units_closed"]) == (1, 0)
    october = next(m for m in year_overview(2026) if m["month"] == "2026-10")
    assert october["units_total"] == 1
