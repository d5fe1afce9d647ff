"""The kop surat from the satker's settings: the admin sets it once, every PDF SILABU prints carries it."""
from __future__ import annotations

import io

import pytest
import time_machine
from pypdf import PdfReader

from tests.test_pleno_packet import NOW, blob, build
from tests.test_pleno_rollup import PERIOD


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 120), (139, 26, 26)).save(out, format="PNG")
    return out.getvalue()


def _read(data: bytes) -> tuple[str, int]:
    reader = PdfReader(io.BytesIO(data))
    first = reader.pages[0]
    images = len(first.images)
    return " ".join((first.extract_text() or "").split()), images


@pytest.fixture()
def admin(make_user):
    return make_user("SEK", "admin", name="Admin Satker")


def test_the_admin_sets_the_kop_surat_and_every_pdf_prints_it(db, client, closed_month, rendatin, admin, login_as):
    from silabu.accounts.models import Role
    from silabu.accounts.org import default_satker
    from silabu.accounts.services import first_holder
    from silabu.pleno.services import finalize, mark_presented
    from silabu.verification import exports
    from silabu.verification.services import month_report

    with time_machine.travel(NOW, tick=False):
        login_as(admin)
        assert client.get("/admin/kop-surat").status_code == 200
        r = client.post("/admin/kop-surat", data={
            "address": "Jl. Ganesha No. 4, Kudus 59312", "city": "Kudus", "phone": "(0291) 435678",
            "email": "kpu@kudus.go.id", "website": "kab-kudus.kpu.go.id",
            "logo": (io.BytesIO(_png()), "logo.png")}, content_type="multipart/form-data")
        assert r.status_code == 302
    satker = default_satker()
    assert satker.phone == "(0291) 435678" and satker.logo_bytes().startswith(b"\x89PNG")
    p = build(PERIOD, rendatin)
    with time_machine.travel(NOW, tick=False):
        mark_presented(p, rendatin)
        finalize(p, rendatin, "12/BA", "2026-11-05", "", acknowledge_incomplete=True, reason="TPH menyusul.")
        db.session.commit()
        sekretaris = first_holder(Role.SEKRETARIS)
        softfile = exports.month_pdf(month_report(closed_month["ani"].unit, PERIOD, sekretaris))
    for data in (blob(p, f"bahan-pleno-{PERIOD}-v1.pdf"), blob(p, f"hasil-pleno-{PERIOD}-v1.pdf"),
                 blob(p, f"softfile-KUL-{PERIOD}-v1.pdf"), softfile):
        text, images = _read(data)
        assert "KPU KABUPATEN KUDUS" in text and "Jl. Ganesha No. 4, Kudus 59312" in text
        assert "Telepon (0291) 435678" in text and "Email: kpu@kudus.go.id" in text
        assert "Laman: kab-kudus.kpu.go.id" in text and images == 1


def test_a_bad_logo_or_email_is_refused_and_nothing_changes(db, client, org, admin, login_as):
    from silabu.accounts.org import default_satker

    login_as(admin)
    r = client.post("/admin/kop-surat", data={"address": "Jl. Baru", "email": "bukan-email",
                                             "logo": (io.BytesIO(b"%PDF-1.4 bukan gambar"), "logo.png")},
                    content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Alamat email tidak valid." in html
    assert "tidak dapat dibaca sebagai gambar PNG atau JPEG" in html
    db.session.expire_all()
    satker = default_satker()
    assert satker.address == "Jl. Ganesha No. 4, Kudus" and satker.logo_key is None


def test_without_a_logo_every_pdf_still_prints_the_settings_lines_and_no_image(db, closed_month, rendatin):
    import openpyxl

    from silabu.accounts.models import Role
    from silabu.accounts.org import default_satker
    from silabu.accounts.services import first_holder
    from silabu.verification import exports
    from silabu.verification.services import month_report

    satker = default_satker()
    satker.phone, satker.email, satker.website = "(0291) 111222", "info@kpu-kudus.go.id", "kudus.kpu.go.id"
    db.session.commit()
    p = build(PERIOD, rendatin)
    report = month_report(closed_month["ani"].unit, PERIOD, first_holder(Role.SEKRETARIS))
    for data in (blob(p, f"bahan-pleno-{PERIOD}-v1.pdf"), blob(p, f"softfile-KUL-{PERIOD}-v1.pdf"),
                 exports.month_pdf(report)):
        text, images = _read(data)
        assert "KOMISI PEMILIHAN UMUM KPU KABUPATEN KUDUS Jl. Ganesha No. 4, Kudus" in text, text[:160]
        assert "Telepon (0291) 111222 Email: info@kpu-kudus.go.id Laman: kudus.kpu.go.id" in text
        assert images == 0
    ws = openpyxl.load_workbook(io.BytesIO(exports.month_xlsx(report)))["Rekap"]
    assert [ws.cell(r, 1).value for r in (1, 2, 3, 4)] == [
        "KOMISI PEMILIHAN UMUM", "KPU KABUPATEN KUDUS", "Jl. Ganesha No. 4, Kudus",
        "Telepon (0291) 111222  Email: info@kpu-kudus.go.id  Laman: kudus.kpu.go.id"]
