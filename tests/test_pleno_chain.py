"""The monthly chain a pleno can trust (issue 12): guarded finalization, hasil pleno, one story per packet."""
from __future__ import annotations

import io
from datetime import date

import openpyxl

from tests.test_pleno_packet import blob, build
from tests.test_pleno_rollup import PERIOD


def test_packet_lists_each_verified_entry_of_the_month_once(db, closed_month, rendatin):
    p = build(PERIOD, rendatin)
    ws = openpyxl.load_workbook(io.BytesIO(blob(p, ".xlsx")))["Entri Terverifikasi"]
    headers = [c.value for c in ws[4]]
    assert headers == ["No", "Tanggal", "Nama", "NIP", "Unit", "Kode Output", "Kegiatan", "Output", "Jumlah",
                       "Satuan", "Bukti Dukung", "Diverifikasi oleh", "Waktu Verifikasi"]
    rows = [dict(zip(headers, r)) for r in ws.iter_rows(min_row=5, values_only=True)]
    ani = closed_month["ani"]
    # Ani's three verified entries of KUL (closed); Tono's submitted one of TPH (open) is not there.
    assert [(r["Tanggal"].date(), r["Jumlah"]) for r in rows] == [(date(2026, 10, 5), 2), (date(2026, 10, 6), 3),
                                                                  (date(2026, 10, 7), 4)]
    assert {r["Nama"] for r in rows} == {ani.name} and {r["NIP"] for r in rows} == {ani.nip}
    assert [r["Bukti Dukung"] for r in rows] == [1, 0, 2] and {r["Unit"] for r in rows} == {"KUL"}
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:M7"
