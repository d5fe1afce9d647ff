"""The packet's PK indicator view: each indicator's target and realisasi for the month and to date, by the LKj's rules.

The hand-computed case (October 2026, the packet being built; September's packet final; August's not):
- IK1 sums Dokumen of code EBA.962, Rencana Aksi 2 a month. October: Ani's 2 + 3 + 4 = 9 Dokumen. September:
  3 Dokumen counted, 1 Kegiatan left out (another unit). August: 5 Dokumen, its packet not final, not counted.
  Target month 2; target to date 10 x 2 = 20; realisasi to date 9 + 3 = 12; capaian 12 / 20 = 60,00 %.
- IK2 counts final packets (Laporan), no Rencana Aksi: realisasi 1 this month, 2 to date (September + October),
  no monthly target ("Target bulanan (Rencana Aksi) belum ditetapkan.").
- IK3 is entered by Rendatin (%, last value): 90 in September, nothing yet for October; a level keeps the yearly
  target 100 for the month; to date 90 against 100 = 90,00 %.
"""
from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.test_pleno_packet import blob, build
from tests.test_pleno_rollup import CODE, OTHER, PERIOD, add_entry, close


@pytest.fixture()
def pk_case(db, closed_month, rendatin):
    from silabu.catalog.models import Consolidation, Indicator, Measure, OutputCode, Polarity
    from silabu.lkj.models import IndicatorTarget, ManualRealisasi, TargetPeriod
    from silabu.pleno.models import Packet, PacketStatus

    oc = db.session.scalar(select(OutputCode).where(OutputCode.code == CODE))
    other = db.session.scalar(select(OutputCode).where(OutputCode.code == OTHER))
    common = dict(year=2026, report_code="LKJ-SEK", sasaran_code="S1", sasaran="Sasaran satu",
                  polarity=Polarity.HIGHER)
    ik1 = Indicator(code="IK1", name="Dokumen layanan umum", unit="Dokumen", target_year=Decimal(24),
                    consolidation=Consolidation.SUM, output_code_id=oc.id, measure=Measure.SUM_QUANTITY, position=1,
                    **common)
    ik2 = Indicator(code="IK2", name="Laporan bulanan diplenokan", unit="Laporan", target_year=Decimal(12),
                    consolidation=Consolidation.SUM, output_code_id=other.id, measure=Measure.COUNT_FINAL_PACKETS,
                    position=2, **common)
    ik3 = Indicator(code="IK3", name="Persentase dokumen tepat waktu", unit="%", target_year=Decimal(100),
                    consolidation=Consolidation.LAST, measure=Measure.MANUAL, position=3, **common)
    db.session.add_all([ik1, ik2, ik3])
    db.session.flush()
    db.session.add_all([IndicatorTarget(indicator_id=ik1.id, period_kind=TargetPeriod.MONTH, period_index=m,
                                        target=Decimal(2)) for m in range(1, 13)])
    db.session.add(ManualRealisasi(indicator_id=ik3.id, period="2026-09", value=Decimal(90), note="Rekap SAKIP"))
    ani = closed_month["ani"]
    add_entry(db, ani, date(2026, 9, 10), qty=3)
    add_entry(db, ani, date(2026, 9, 11), qty=1, uom="Kegiatan")
    add_entry(db, ani, date(2026, 8, 12), qty=5)
    close(db, "KUL", "2026-09")
    close(db, "KUL", "2026-08")
    db.session.add(Packet(period="2026-09", version=1, status=PacketStatus.FINAL,
                          built_at=datetime(2026, 10, 9, 2, tzinfo=UTC), summary={}, data_sha256="0" * 64,
                          berita_acara_number="9/BA", pleno_date=date(2026, 10, 9)))
    db.session.commit()
    return build(PERIOD, rendatin)


def _norm(text: str) -> str:
    return " ".join(text.split())


def test_the_packet_xlsx_shows_each_indicators_target_and_realisasi_for_the_month_and_to_date(pk_case):
    wb = openpyxl.load_workbook(io.BytesIO(blob(pk_case, ".xlsx")), data_only=True)
    ws = wb["Indikator PK"]
    header = [c.value for c in ws[4]]
    rows = {r[header.index("Kode Indikator")]: dict(zip(header, r)) for r in ws.iter_rows(min_row=5, values_only=True)}
    ik1, ik2, ik3 = rows["IK1"], rows["IK2"], rows["IK3"]
    assert (ik1["Target Bulan Ini"], ik1["Realisasi Bulan Ini"], ik1["Target s.d. Bulan Ini"],
            ik1["Realisasi s.d. Bulan Ini"], ik1["Capaian s.d. Bulan Ini (%)"]) == (2, 9, 20, 12, 60)
    assert ik1["Satuan"] == "Dokumen" and "1 entri" in ik1["Keterangan"] and "Kegiatan" in ik1["Keterangan"]
    assert "Baru 2 dari 10" in ik1["Keterangan"]  # August's packet is not final: its 5 Dokumen are not counted
    assert (ik2["Target Bulan Ini"], ik2["Realisasi Bulan Ini"], ik2["Realisasi s.d. Bulan Ini"]) == (None, 1, 2)
    assert "Target bulanan (Rencana Aksi) belum ditetapkan." in ik2["Keterangan"]
    assert (ik3["Target Bulan Ini"], ik3["Realisasi Bulan Ini"], ik3["Target s.d. Bulan Ini"],
            ik3["Realisasi s.d. Bulan Ini"], ik3["Capaian s.d. Bulan Ini (%)"]) == (100, None, 100, 90, 90)


def test_the_packet_pdf_and_the_month_page_show_the_same_figures(pk_case, client, rendatin, login_as):
    reader = PdfReader(io.BytesIO(blob(pk_case, f"bahan-pleno-{PERIOD}-v1.pdf")))
    text = _norm(" ".join(page.extract_text() or "" for page in reader.pages))
    assert "E. Indikator Perjanjian Kinerja: Target dan Realisasi" in text
    assert "Realisasi bulan ini" in text and "Realisasi s.d. bulan ini" in text  # headings not broken mid-word
    # IK1's row: target 2, realisasi 9, to date 20 and 12, capaian 60%
    assert re.search(r"IK1 Dokumen layanan umum.*?Dokumen 2 9 20 12 60%", text), text
    assert re.search(r"IK3 Persentase dokumen tepat waktu.*?% 100 – 100 90 90%", text)

    summary_row = next(i for i in pk_case.summary["pk_indicators"] if i["code"] == "IK1")
    assert (summary_row["target_month"], summary_row["realisasi_month"], summary_row["target_to_date"],
            summary_row["realisasi_to_date"], summary_row["capaian_to_date"]) == (2, 9, 20, 12, 60)
    login_as(rendatin)
    html = client.get(f"/pleno/{PERIOD}").get_data(as_text=True)
    row = _norm(re.sub(r"<[^>]+>", " ", html.split("IK1 Dokumen layanan umum", 1)[1].split("</tr>", 1)[0]))
    assert row.startswith("LKJ-SEK Dokumen 2 9 20 12 60%"), row


def test_the_view_uses_the_lkj_rules_once_the_month_is_final(pk_case, db, rendatin):
    """Finalizing October makes the LKj's own Tabel Capaian say what the packet said."""
    import time_machine

    from silabu.lkj.services import tabel_capaian
    from silabu.pleno.services import finalize, mark_presented
    from tests.test_pleno_packet import NOW

    with time_machine.travel(NOW, tick=False):
        mark_presented(pk_case, rendatin)
        finalize(pk_case, rendatin, "10/BA", "2026-11-05", "", acknowledge_incomplete=True, reason="TPH menyusul.")
        db.session.commit()
    table = tabel_capaian(2026, "LKJ-SEK", PERIOD, with_previous=False)
    row = next(r for r in table.rows if r.code == "IK1")
    assert (row.target, row.realisasi) == (Decimal("2.00"), Decimal("9.00"))
