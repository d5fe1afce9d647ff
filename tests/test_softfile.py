"""The softfile a Kasubag signs (SOP Kudus step 3's output), as XLSX and PDF, read back as a reader sees it."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
import time_machine
from pypdf import PdfReader

DEC_1 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
NOV = "2026-11"


@pytest.fixture()
def kul_month(make_kasubag, make_asn, make_entry, make_user, db):
    """KUL's November: Ani's two entries verified by the Kasubag, the Kasubag's own verified by the Sekretaris."""
    from silabu.verification import services

    with time_machine.travel(DEC_1, tick=False):
        kasubag = make_kasubag("KUL", name="Agus Pratama")
        sekretaris = make_user("SEK", "sekretaris", name="Sri Sekretaris")
        ani = make_asn("KUL", name="Ani Wulandari")
        for d, qty in ((2, 3), (3, 1.5)):
            services.verify_entry(make_entry(ani, date(2026, 11, d), "submitted", quantity=qty,
                                             start_time="08:00", end_time="10:30"), kasubag)
        services.verify_entry(make_entry(kasubag, date(2026, 11, 4), "submitted"), sekretaris)
        db.session.commit()
    return {"kasubag": kasubag, "sekretaris": sekretaris, "ani": ani}


def _report(kul_month):
    from silabu.verification import services

    k = kul_month["kasubag"]
    with time_machine.travel(DEC_1, tick=False):
        return services.month_report(k.unit, NOV, k)


def _text(data: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


def _close(kul_month, db):
    from silabu.verification import services

    with time_machine.travel(DEC_1, tick=False):
        services.close_month(kul_month["kasubag"].unit, NOV, kul_month["kasubag"])
        db.session.commit()


def test_softfile_xlsx_is_one_flat_table_with_real_dates_and_numbers(kul_month, db):
    from silabu.verification import exports

    book = openpyxl.load_workbook(io.BytesIO(exports.month_xlsx(_report(kul_month))))
    assert book.sheetnames == ["Rekap", "Rincian"]
    assert book.properties.title.startswith("Data Kinerja Asn Hasil Verifikasi") and book.properties.creator
    ws = book["Rincian"]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["No", "Tanggal", "Nama", "NIP"] and "Diverifikasi oleh" in header
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    ani, kasubag = kul_month["ani"], kul_month["kasubag"]
    assert [(r["Tanggal"], r["Nama"], r["NIP"], r["Jumlah"]) for r in rows] == [
        (datetime(2026, 11, 2), ani.name, ani.nip, 3), (datetime(2026, 11, 3), ani.name, ani.nip, 1.5),
        (datetime(2026, 11, 4), kasubag.name, kasubag.nip, 1)]
    assert [r["Diverifikasi oleh"] for r in rows] == [kasubag.name, kasubag.name, "Sri Sekretaris"]
    assert rows[0]["Jam Mulai"].hour == 8 and isinstance(rows[0]["Waktu Verifikasi"], datetime)
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:O4"


def test_provisional_softfile_says_so_and_has_no_signature_block(kul_month, db):
    from silabu.verification import exports

    text = _text(exports.month_pdf(_report(kul_month)))
    # the provisional note is the document's last word: no place, date, title or name to sign under
    assert text.endswith("DOKUMEN SEMENTARA: bulan belum ditutup, belum untuk ditandatangani.")
    assert "Mengetahui" not in text and "Kudus, 1 Desember 2026" not in text


def test_closed_softfile_shows_who_verified_and_the_sekretaris_knows_the_kasubags_own(kul_month, db):
    from silabu.verification import exports

    _close(kul_month, db)
    report = _report(kul_month)
    text = _text(exports.month_pdf(report))
    assert "DOKUMEN SEMENTARA" not in text
    assert "Diverifikasi oleh / pada" in text and "Sri Sekretaris" in text and "Agus Pratama" in text
    assert "Mengetahui," in text and "Sekretaris KPU Kabupaten Kudus" in text
    assert text.count("NIP. ") >= 3 and "NIP " + kul_month["ani"].nip not in text  # NIP written one way
    rekap = [str(c) for row in openpyxl.load_workbook(io.BytesIO(exports.month_xlsx(report)))["Rekap"]
             .iter_rows(values_only=True) for c in row if c is not None]
    assert f"NIP. {kul_month['kasubag'].nip}" in rekap
