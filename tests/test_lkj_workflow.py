"""The LKj review (Kupang steps 8-15, Bengkulu 3-6, Banten 6-9): who may take each step, returns with notes,
pleno rounds, the frozen signed version and the record of every step."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from conftest import PDF, SHARED
from docx import Document
from pypdf import PdfReader
from sqlalchemy import select

from silabu.core.errors import Conflict, Forbidden, ValidationFailed
from silabu.lkj import services
from silabu.lkj.models import LkjDocument, LkjReviewStep, LkjStatus
from silabu.lkj.services.realisasi import open_blob

YEAR = 2026
TODAY = date(2027, 1, 20)
PLANNING = "Divisi Perencanaan, Data dan Informasi"  # the komisioner's division that corrects the LKj KPU
# These tests walk the review and read no document contents: the LKj is rendered as a one-line stand-in
# (conftest ``lkj_quick_render``), except in the test marked ``lkj_real_render``, which proves the page path
# stores the real document. The contents are tested in test_lkj_document, test_lkj_contents, test_lkj_signing.
LKJ_QUICK_RENDER = True


@pytest.fixture()
def pk(db, org):
    from silabu.core.tables import read_table
    from silabu.lkj.services import import_indicators

    import_indicators(read_table("indicators.csv", (SHARED / "data/demo/indicators.csv").read_bytes()).rows, YEAR)
    db.session.commit()


@pytest.fixture()
def people(make_user):
    return {
        "rendatin": make_user("RDI", "asn,rendatin", name="Eko Rendatin"),
        "kasubag_rdi": make_user("RDI", "asn,kasubag", name="Agus Kasubag RDI"),
        "kasubag_kul": make_user("KUL", "asn,kasubag", name="Agus Kasubag KUL"),
        "sekretaris": make_user("SEK", "sekretaris", name="Sri Sekretaris"),
        "ketua": make_user("SEK", "ketua", name="Budi Ketua"),
        "komisioner": make_user("SEK", "komisioner", name="Dewi Komisioner Perencanaan", division=PLANNING),
        "asn": make_user("RDI", "asn", name="Staf Biasa"),
    }


def blob(key: str) -> bytes:
    """A stored file's bytes (a version, a letter, an archive)."""
    with open_blob(key) as fh:
        return fh.read()


def pdf_text(data: bytes) -> str:
    """What a reader of the PDF sees, as one line of words."""
    return " ".join(" ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages).split())


def docx_text(data: bytes) -> str:
    """The DOCX's paragraphs and table cells, one per line."""
    document = Document(io.BytesIO(data))
    return "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])


def complete_narrative(report) -> None:
    """The sections a version needs before paraf, and an explanation for every indicator (all are flagged here:
    no month of the year is final)."""
    for key in services.MANDATORY_SECTIONS:
        services.save_section(report, key, f"Teks {key} yang ditulis tim.", None)
    for ind in services.indicators_for(report.year, report.report_code):
        services.save_section(report, f"penjelasan:{ind.code}", "Paket pleno belum final; ditindaklanjuti "
                                                                "dalam pleno Januari.", None)


def draft(db, code: str = "LKJ-SEK", complete: bool = True):
    if complete:
        complete_narrative(services.ensure_report(YEAR, code))
    doc = services.compile_report(YEAR, code)
    db.session.commit()
    return doc.report


def step(db, report, action: str, user, **kw):
    result = services.perform(report, action, user, today=TODAY, **kw)
    db.session.commit()
    return result


def walk_to(db, report, people, status: LkjStatus):
    """Move a report along the happy path until it reaches ``status``."""
    corrector = people["kasubag_rdi"] if report.report_code == "LKJ-SEK" else people["komisioner"]
    signer = people["sekretaris"] if report.report_code == "LKJ-SEK" else people["ketua"]
    path = [("ajukan_koreksi", people["rendatin"], {}),
            ("setujui_koreksi", corrector, {}),
            ("catat_pleno", people["rendatin"], {"note": "Perbaiki analisis IK1.1", "pleno_date": "2027-01-18"}),
            ("ajukan_paraf", people["rendatin"], {}),
            ("paraf", corrector, {}),
            ("tandatangani", signer, {}),
            ("kirim", people["rendatin"], {"sent_date": "2027-01-20", "letter_number": "12/PR.01-SD/3319/2027"}),
            ("arsipkan", people["rendatin"], {"note": "Diarsipkan", "hardcopy_location": "Lemari arsip RDI, rak 2"})]
    for action, user, kw in path:
        if report.status == status:
            return report
        if services.ACTIONS[action].from_status == report.status:
            step(db, report, action, user, **kw)
    assert report.status == status
    return report


def test_lkj_sek_goes_through_every_step_with_two_plenos_and_a_record_of_each(db, pk, people):
    report = draft(db)
    step(db, report, "ajukan_koreksi", people["rendatin"], note="Draf pertama")
    step(db, report, "setujui_koreksi", people["kasubag_rdi"], note="Sudah sesuai Rencana Aksi")
    assert report.status == LkjStatus.PLENO
    step(db, report, "catat_pleno", people["sekretaris"], note="Tambahkan analisis IKPA", pleno_date="2027-01-12")
    assert report.status == LkjStatus.REVISI and report.pleno_rounds == 1
    services.save_section(report, "analisis:IK2.1", "IKPA naik karena **revisi DIPA tepat waktu**.",
                          people["rendatin"])
    services.compile_report(YEAR, "LKJ-SEK", people["rendatin"])
    db.session.commit()
    step(db, report, "ajukan_pleno", people["rendatin"], note="Hasil perbaikan")
    step(db, report, "catat_pleno", people["rendatin"], note="Diterima dengan catatan kecil", pleno_date="2027-01-15")
    assert report.pleno_rounds == 2
    step(db, report, "ajukan_paraf", people["rendatin"])
    step(db, report, "paraf", people["kasubag_rdi"])
    step(db, report, "tandatangani", people["sekretaris"])
    assert report.status == LkjStatus.DITANDATANGANI and report.signed_version == 2
    step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number="15/PR.01-SD/3319/2027")
    step(db, report, "arsipkan", people["rendatin"], note="Softcopy dan hardcopy diarsipkan",
         hardcopy_location="Lemari arsip Subbag Rendatin, rak 2")
    assert report.status == LkjStatus.ARSIP and report.archived_at is not None
    assert (report.sent_date, report.letter_number, report.sent_to) == (date(2027, 1, 20), "15/PR.01-SD/3319/2027",
                                                                         "Sekretaris KPU Provinsi Jawa Tengah")
    history = services.history(report)
    actions = [s.action for s in history]
    assert actions == ["kompilasi", "ajukan_koreksi", "setujui_koreksi", "catat_pleno", "kompilasi", "ajukan_pleno",
                       "catat_pleno", "ajukan_paraf", "paraf", "tandatangani", "kirim", "arsipkan"]
    pleno = [s for s in history if s.action == "catat_pleno"]
    assert [(s.pleno_round, s.note, s.details["pleno_date"], s.actor_id) for s in pleno] == [
        (1, "Tambahkan analisis IKPA", "2027-01-12", people["sekretaris"].id),
        (2, "Diterima dengan catatan kecil", "2027-01-15", people["rendatin"].id)]
    koreksi = history[2]
    assert (koreksi.actor_id, koreksi.note, koreksi.document.version, koreksi.at is not None) == (
        people["kasubag_rdi"].id, "Sudah sesuai Rencana Aksi", 1, True)
    assert history[-2].details["letter_number"] == "15/PR.01-SD/3319/2027"


def test_only_rendatin_submits_revises_and_sends(db, pk, people):
    report = draft(db)
    for who in ("kasubag_rdi", "sekretaris", "ketua", "asn"):
        with pytest.raises(Forbidden):
            services.perform(report, "ajukan_koreksi", people[who], today=TODAY)
    walk_to(db, report, people, LkjStatus.REVISI)
    with pytest.raises(Forbidden):
        services.perform(report, "ajukan_paraf", people["kasubag_rdi"], today=TODAY)
    walk_to(db, report, people, LkjStatus.DITANDATANGANI)
    with pytest.raises(Forbidden):
        services.perform(report, "kirim", people["sekretaris"], today=TODAY, sent_date="2027-01-20",
                         letter_number="1/2027")


def test_lkj_sek_is_corrected_and_initialled_by_the_kasubag_of_rdi_only(db, pk, people):
    report = draft(db)
    step(db, report, "ajukan_koreksi", people["rendatin"])
    for who in ("kasubag_kul", "rendatin", "ketua", "sekretaris"):
        with pytest.raises(Forbidden) as exc:
            services.perform(report, "setujui_koreksi", people[who], today=TODAY)
        assert "Perencanaan, Data dan Informasi" in exc.value.message
    step(db, report, "setujui_koreksi", people["kasubag_rdi"])
    walk_to(db, report, people, LkjStatus.PARAF)
    with pytest.raises(Forbidden):
        services.perform(report, "paraf", people["kasubag_kul"], today=TODAY)
    step(db, report, "paraf", people["kasubag_rdi"])
    assert report.status == LkjStatus.TANDA_TANGAN


def test_lkj_sek_is_signed_by_the_sekretaris_and_lkj_kpu_by_the_ketua(db, pk, people):
    sek = walk_to(db, draft(db, "LKJ-SEK"), people, LkjStatus.TANDA_TANGAN)
    kpu = walk_to(db, draft(db, "LKJ-KPU"), people, LkjStatus.TANDA_TANGAN)
    with pytest.raises(Forbidden):
        services.perform(sek, "tandatangani", people["ketua"], today=TODAY)
    with pytest.raises(Forbidden):
        services.perform(kpu, "tandatangani", people["sekretaris"], today=TODAY)
    step(db, sek, "tandatangani", people["sekretaris"])
    step(db, kpu, "tandatangani", people["ketua"])
    assert sek.status == kpu.status == LkjStatus.DITANDATANGANI


def test_lkj_kpu_is_corrected_by_the_komisioner_not_the_kasubag_nor_the_ketua(db, pk, people):
    report = draft(db, "LKJ-KPU")
    step(db, report, "ajukan_koreksi", people["rendatin"])
    for who in ("kasubag_rdi", "ketua"):
        with pytest.raises(Forbidden):
            services.perform(report, "setujui_koreksi", people[who], today=TODAY)
    step(db, report, "setujui_koreksi", people["komisioner"])
    assert report.status == LkjStatus.PLENO


def test_an_acting_kasubag_of_rdi_corrects_on_behalf(db, pk, people, make_user):
    from silabu.accounts.models import Delegation, Unit

    plh = make_user("KUL", "asn", name="Plh Kasubag")
    rdi = db.session.scalar(select(Unit).where(Unit.code == "RDI"))
    db.session.add(Delegation(unit_id=rdi.id, delegate_id=plh.id, start_date=date(2027, 1, 1),
                              end_date=date(2027, 1, 31), kind="Plh", created_by_id=people["sekretaris"].id))
    db.session.commit()
    report = draft(db)
    step(db, report, "ajukan_koreksi", people["rendatin"])
    with pytest.raises(Forbidden):  # outside the delegation's dates
        services.perform(report, "setujui_koreksi", plh, today=date(2027, 2, 1))
    result = step(db, report, "setujui_koreksi", plh, note="Dikoreksi oleh Plh")
    assert result.on_behalf_of == "Plh. Kepala Sub Bagian Perencanaan, Data dan Informasi"


@pytest.mark.parametrize("status, who, back_to", [
    (LkjStatus.KOREKSI, "kasubag_rdi", LkjStatus.DRAFT),
    (LkjStatus.PLENO, "sekretaris", LkjStatus.KOREKSI),
    (LkjStatus.PARAF, "kasubag_rdi", LkjStatus.REVISI),
    (LkjStatus.TANDA_TANGAN, "sekretaris", LkjStatus.PARAF),
])
def test_a_reviewer_returns_the_report_with_a_note_to_the_previous_step(db, pk, people, status, who, back_to):
    report = walk_to(db, draft(db), people, status)
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "kembalikan", people[who], today=TODAY, note="  ")
    assert "note" in exc.value.fields
    assert report.status == status
    returned = step(db, report, "kembalikan", people[who], note="Tabel capaian IK3.3 belum sesuai")
    assert report.status == back_to
    assert (returned.step, returned.to_status, returned.note, returned.actor_id) == (
        status.value, back_to.value, "Tabel capaian IK3.3 belum sesuai", people[who].id)


def test_only_the_reviewer_of_the_step_may_return_it(db, pk, people):
    report = walk_to(db, draft(db), people, LkjStatus.KOREKSI)
    for who in ("rendatin", "sekretaris", "kasubag_kul"):
        with pytest.raises(Forbidden):
            services.perform(report, "kembalikan", people[who], today=TODAY, note="x")
    report = walk_to(db, draft(db, "LKJ-KPU"), people, LkjStatus.PLENO)
    with pytest.raises(Forbidden):  # Rendatin presents; returning from the pleno is for the leadership
        services.perform(report, "kembalikan", people["rendatin"], today=TODAY, note="x")
    report2 = walk_to(db, services.get_report(YEAR, "LKJ-SEK"), people, LkjStatus.DITANDATANGANI)
    with pytest.raises(Conflict):  # a signed report is not returned
        services.perform(report2, "kembalikan", people["sekretaris"], today=TODAY, note="x")


def test_steps_cannot_be_skipped(db, pk, people):
    report = draft(db)
    with pytest.raises(Conflict):
        services.perform(report, "tandatangani", people["sekretaris"], today=TODAY)
    with pytest.raises(Conflict):
        services.perform(report, "setujui_koreksi", people["kasubag_rdi"], today=TODAY)
    with pytest.raises(ValidationFailed):
        services.perform(report, "terbang", people["rendatin"], today=TODAY)


def test_a_report_cannot_be_submitted_before_it_is_compiled(db, pk, people):
    report = services.ensure_report(YEAR, "LKJ-SEK")
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "ajukan_koreksi", people["rendatin"], today=TODAY)
    assert "Kompilasi" in exc.value.fields["version"]


def test_pleno_result_needs_notes_and_a_date_not_in_the_future(db, pk, people):
    report = walk_to(db, draft(db), people, LkjStatus.PLENO)
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "catat_pleno", people["rendatin"], today=TODAY, note="", pleno_date="")
    assert set(exc.value.fields) == {"note", "pleno_date"}
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "catat_pleno", people["rendatin"], today=TODAY, note="x", pleno_date="2027-02-01")
    assert "masa depan" in exc.value.fields["pleno_date"]
    assert report.pleno_rounds == 0


def test_signing_freezes_the_version_with_its_sha256(db, pk, people):
    import hashlib

    report = walk_to(db, draft(db), people, LkjStatus.TANDA_TANGAN)
    signed = step(db, report, "tandatangani", people["sekretaris"], final_file=("LKj final.pdf", PDF))
    doc = services.signed_document(report)
    assert doc.is_signed and doc.signed_by_id == people["sekretaris"].id and doc.signed_at is not None
    assert signed.details["pdf_sha256"] == doc.pdf_sha256
    assert hashlib.sha256(services.open_blob(doc.pdf_key).read()).hexdigest() == doc.pdf_sha256
    assert hashlib.sha256(services.open_blob(doc.docx_key).read()).hexdigest() == doc.docx_sha256
    assert doc.final_sha256 == hashlib.sha256(PDF).hexdigest() and doc.final_name == "LKj final.pdf"
    with pytest.raises(Conflict):
        services.compile_report(YEAR, "LKJ-SEK", people["rendatin"])
    with pytest.raises(Conflict):
        services.save_section(report, "kata_pengantar", "Teks baru", people["rendatin"])
    assert db.session.scalar(select(LkjDocument).where(LkjDocument.version == 2)) is None


def test_final_file_at_signature_must_be_a_document(db, pk, people):
    from silabu.core.errors import FileRejected

    report = walk_to(db, draft(db), people, LkjStatus.TANDA_TANGAN)
    png = _png()
    with pytest.raises(FileRejected):
        services.perform(report, "tandatangani", people["sekretaris"], today=TODAY, final_file=("foto.png", png))
    db.session.rollback()
    assert services.get_report(YEAR, "LKJ-SEK").status == LkjStatus.TANDA_TANGAN


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "PNG")
    return out.getvalue()


def test_recompiling_after_paraf_blocks_the_signature_until_initialled_again(db, pk, people):
    report = walk_to(db, draft(db), people, LkjStatus.TANDA_TANGAN)
    services.compile_report(YEAR, "LKJ-SEK", people["rendatin"])
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        services.perform(report, "tandatangani", people["sekretaris"], today=TODAY)
    assert "belum diparaf" in exc.value.message
    step(db, report, "kembalikan", people["sekretaris"], note="Ada versi baru, paraf ulang")
    step(db, report, "paraf", people["kasubag_rdi"])
    step(db, report, "tandatangani", people["sekretaris"])
    assert report.signed_version == 2


def test_sending_needs_a_date_and_a_letter_number(db, pk, people):
    report = walk_to(db, draft(db), people, LkjStatus.DITANDATANGANI)
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "kirim", people["rendatin"], today=TODAY, sent_date="", letter_number="")
    assert set(exc.value.fields) == {"sent_date", "letter_number"}
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "kirim", people["rendatin"], today=TODAY, sent_date="2027-03-01", letter_number="1")
    assert "masa depan" in exc.value.fields["sent_date"]
    step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number="9/PR.01-SD/3319/2027",
         sent_to="Sekretaris KPU Provinsi Jawa Tengah")
    assert report.status == LkjStatus.DIKIRIM and report.sent_to == "Sekretaris KPU Provinsi Jawa Tengah"


def test_the_next_reviewer_is_notified(db, pk, people):
    from silabu.notifications.models import Notification

    report = draft(db)
    step(db, report, "ajukan_koreksi", people["rendatin"])
    notified = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "lkj"))}
    assert notified == {people["kasubag_rdi"].id}
    step(db, report, "kembalikan", people["kasubag_rdi"], note="Lengkapi Bab I")
    note = db.session.scalar(select(Notification).where(Notification.user_id == people["rendatin"].id))
    assert note is not None and "Lengkapi Bab I" in note.body


def test_every_step_is_in_the_audit_log(db, pk, people):
    from silabu.core.audit import history

    report = walk_to(db, draft(db, complete=False), people, LkjStatus.PLENO)
    actions = [e.action for e in history("lkj_reports", report.id)]
    assert actions == ["lkj.compile", "lkj.ajukan_koreksi", "lkj.setujui_koreksi"]


# ---- the pages ---------------------------------------------------------------------------------------------

@pytest.fixture()
def frozen():
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        yield


def test_review_through_the_pages(db, pk, people, client, frozen):
    from conftest import login

    url = f"/lkj/{YEAR}/LKJ-SEK/langkah"
    login(client, people["rendatin"])
    assert client.post(f"/lkj/{YEAR}/LKJ-SEK/kompilasi").status_code == 302
    page = client.get(f"/lkj/{YEAR}/LKJ-SEK/").get_data(as_text=True)
    assert "Ajukan untuk dikoreksi" in page and "Versi dokumen" in page
    assert client.post(url, data={"action": "ajukan_koreksi"}).status_code == 302
    client.post("/keluar")

    login(client, people["kasubag_kul"])
    assert "Langkah Anda" not in client.get(f"/lkj/{YEAR}/LKJ-SEK/").get_data(as_text=True)
    assert client.post(url, data={"action": "setujui_koreksi"}).status_code == 403
    client.post("/keluar")

    login(client, people["kasubag_rdi"])
    resp = client.post(url, data={"action": "kembalikan", "note": ""})
    assert resp.status_code == 422 and "Catatan wajib diisi" in resp.get_data(as_text=True)
    assert client.post(url, data={"action": "kembalikan", "note": "Perbaiki Bab II"}).status_code == 302
    report = services.get_report(YEAR, "LKJ-SEK")
    db.session.refresh(report)
    assert report.status == LkjStatus.DRAFT
    page = client.get(f"/lkj/{YEAR}/LKJ-SEK/").get_data(as_text=True)
    assert "Perbaiki Bab II" in page and "Agus Kasubag RDI" in page
    resp = client.post(url, data={"action": "ajukan_koreksi"})  # wrong person for this step
    assert resp.status_code == 403


@pytest.mark.lkj_real_render
def test_downloads_of_a_version(db, pk, people, login_as, frozen):
    from docx import Document
    from pypdf import PdfReader

    report = draft(db)
    client = login_as(people["sekretaris"])
    docx = client.get(f"/lkj/{YEAR}/LKJ-SEK/versi/1/docx")
    pdf = client.get(f"/lkj/{YEAR}/LKJ-SEK/versi/1/pdf")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    # The real document, not the tests' one-line stand-in: its chapters and verification code.
    code = services.format_code(services.current_document(report).verification_code)
    pdf_words = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.data)).pages)
    docx_lines = [p.text for p in Document(io.BytesIO(docx.data)).paragraphs]
    for chapter in ("BAB I PENDAHULUAN", "BAB II PERENCANAAN KINERJA", "BAB III AKUNTABILITAS KINERJA"):
        assert chapter in pdf_words and chapter in docx_lines
    assert f"Kode verifikasi {code}" in pdf_words and len(PdfReader(io.BytesIO(pdf.data)).pages) > 5
    assert client.get(f"/lkj/{YEAR}/LKJ-SEK/versi/1/final").status_code == 404
    assert client.get(f"/lkj/{YEAR}/LKJ-SEK/versi/9/pdf").status_code == 404
    assert report.current_version == 1
    assert db.session.scalar(select(LkjReviewStep).where(LkjReviewStep.action == "kompilasi")).actor_id is None


def test_two_people_acting_at_once_one_gets_a_conflict(db, pk, people):
    from sqlalchemy.orm import Session

    from silabu.lkj.models import LkjReport

    report = walk_to(db, draft(db), people, LkjStatus.KOREKSI)
    with Session(db.engine) as other:  # the Kasubag's request, a moment earlier
        theirs = other.get(LkjReport, report.id)
        theirs.status = LkjStatus.PLENO
        other.commit()
    with pytest.raises(Conflict) as exc:
        services.perform(report, "kembalikan", people["kasubag_rdi"], today=TODAY, note="Perbaiki")
    assert "diubah oleh orang lain" in exc.value.message


def test_lkj_files_are_never_collected_as_orphans(db, pk, people):
    from silabu.catalog.models import Indicator
    from silabu.evidence.blobs import orphan_keys
    from silabu.evidence.storage import get_storage

    ikpa = db.session.scalar(select(Indicator).where(Indicator.code == "IK2.1"))
    manual = services.save_manual_realisasi(ikpa, "2026-06", "90", "IKPA", people["rendatin"], today=TODAY,
                                            filename="ikpa.pdf", data=PDF)
    doc = services.compile_report(YEAR, "LKJ-SEK", people["rendatin"])
    db.session.commit()
    orphans = set(orphan_keys(get_storage()))
    assert not orphans & {manual.evidence_key, doc.docx_key, doc.pdf_key}
