"""What the end of the LKj review issues (Kupang steps 14-15, Banten 8-9): Kirim's cover letter (DOCX and PDF on
the kop surat), Arsipkan's hard-copy location and one soft-copy ZIP with a manifest of sha256, the copy signed
outside SILABU, the komisioner's division, and two requests at once on the same step."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
import time_machine
from conftest import PDF, login
from sqlalchemy import select
from test_lkj_workflow import PLANNING, YEAR, blob, docx_text, draft, pdf_text, people, pk, step, walk_to  # noqa: F401 - pk and people are fixtures

from silabu.core.errors import FileRejected, Forbidden, ValidationFailed
from silabu.lkj import services
from silabu.lkj.models import LkjFile, LkjReviewStep, LkjStatus

LETTER = "12/PR.01-SD/3319/2027"
HARDCOPY = "Lemari arsip Subbag Rendatin, rak 2"
# The cover letter, the archive and the signed copy are read here, not the LKj's own contents: the LKj is rendered
# as a one-line stand-in (conftest ``lkj_quick_render``), except in the test marked ``lkj_real_render``.
LKJ_QUICK_RENDER = True








@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        yield











def files_of(report) -> dict[str, LkjFile]:
    return {f.kind.value: f for f in services.report_files(report)}


def signed_report(db, people, code: str = "LKJ-SEK"):
    return walk_to(db, draft(db, code), people, LkjStatus.DITANDATANGANI)


def another_pdf(text: str = "Dipindai") -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return out.getvalue()


# ---- Kirim: the cover letter -----------------------------------------------------------------------------------

def test_kirim_issues_the_cover_letter_as_docx_and_pdf_signed_by_the_signer(db, pk, people):
    report = signed_report(db, people)
    sent = step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number=LETTER)
    files = files_of(report)
    assert set(files) == {"surat_pengantar_docx", "surat_pengantar_pdf"}
    signed = services.signed_document(report)
    sekretaris = people["sekretaris"]
    for kind, read in (("surat_pengantar_docx", docx_text), ("surat_pengantar_pdf", pdf_text)):
        row = files[kind]
        data = blob(row.key)
        assert hashlib.sha256(data).hexdigest() == row.sha256 == sent.details[f"{kind}_sha256"]
        assert row.document_id == signed.id
        text = read(data)
        for expected in (LETTER, "Kudus, 20 Januari 2027", "Lampiran", "1 (satu) berkas", "Perihal",
                         "Penyampaian Laporan Kinerja Sekretariat KPU Kabupaten Kudus Tahun 2026",
                         "Yth. Sekretaris KPU Provinsi Jawa Tengah", "Sekretaris KPU Kabupaten Kudus",
                         sekretaris.name, f"NIP. {sekretaris.nip}", services.format_code(signed.verification_code),
                         "ditandatangani pada tanggal 20 Januari 2027"):
            assert expected in text, (kind, expected)
    pdf_words = pdf_text(blob(files["surat_pengantar_pdf"].key))
    # The kop surat of every SILABU PDF heads the letter (the footer line is extracted first).
    assert pdf_words.index("KOMISI PEMILIHAN UMUM KPU KABUPATEN KUDUS") < pdf_words.index("Nomor")
    assert signed.pdf_sha256 in pdf_words.split(), "the hash is printed whole, on a line of its own"
    assert "KPU KABUPATEN KUDUS" in docx_text(blob(files["surat_pengantar_docx"].key))
    assert report.letter_subject == "Penyampaian Laporan Kinerja Sekretariat KPU Kabupaten Kudus Tahun 2026"


def test_the_letter_of_the_lkj_kpu_is_signed_by_the_ketua_with_the_subject_and_attachment_given(db, pk, people):
    report = signed_report(db, people, "LKJ-KPU")
    step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number="3/PR.01/3319/2027",
         letter_subject="Laporan Kinerja KPU Kabupaten Kudus 2026", attachment="2 (dua) berkas")
    text = pdf_text(blob(files_of(report)["surat_pengantar_pdf"].key))
    assert "Ketua KPU Kabupaten Kudus" in text and people["ketua"].name in text and people["ketua"].nip in text
    assert "Laporan Kinerja KPU Kabupaten Kudus 2026" in text and "2 (dua) berkas" in text
    assert "Sekretaris KPU Kabupaten Kudus" not in text


def test_a_province_sends_to_the_biro_perencanaan_and_the_inspektorat_of_kpu_ri(db, pk, people):
    from silabu.accounts.org import default_satker

    satker = default_satker()
    satker.level, satker.code, satker.name = "provinsi", "33", "KPU Provinsi Jawa Tengah"
    db.session.commit()
    assert services.default_recipient() == "Kepala Biro Perencanaan KPU RI; Inspektur Utama KPU RI"
    report = signed_report(db, people)
    step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number=LETTER)
    for kind, read in (("surat_pengantar_pdf", pdf_text), ("surat_pengantar_docx", docx_text)):
        text = read(blob(files_of(report)[kind].key))
        assert "1. Kepala Biro Perencanaan KPU RI" in text and "2. Inspektur Utama KPU RI" in text
        assert "Sekretaris KPU Provinsi Jawa Tengah" in text  # the signer's own title
        assert "Semarang" not in text and "Jawa Tengah, 20 Januari 2027" in text


def test_kirim_refuses_a_too_long_subject_and_changes_nothing(db, pk, people):
    report = signed_report(db, people)
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "kirim", people["rendatin"], today=date(2027, 1, 20), sent_date="2027-01-20",
                         letter_number=LETTER, letter_subject="x" * 301)
    assert "letter_subject" in exc.value.fields
    db.session.rollback()
    assert report.status == LkjStatus.DITANDATANGANI and services.report_files(report) == []


# ---- Arsipkan: hard copy and the soft-copy ZIP ------------------------------------------------------------------

def test_arsipkan_needs_the_hardcopy_location_and_builds_one_zip_with_a_manifest(db, pk, people):
    from silabu.catalog.models import Indicator

    ikpa = db.session.scalar(select(Indicator).where(Indicator.code == "IK2.1"))
    services.save_manual_realisasi(ikpa, "2026-06", "90", "Nilai IKPA semester I", people["rendatin"],
                                   today=date(2027, 1, 20), filename="ikpa s1.pdf", data=PDF)
    db.session.commit()
    report = signed_report(db, people)
    step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number=LETTER)
    with pytest.raises(ValidationFailed) as exc:
        services.perform(report, "arsipkan", people["rendatin"], today=date(2027, 1, 20), hardcopy_location="  ")
    assert "Lemari arsip" in exc.value.fields["hardcopy_location"]
    db.session.rollback()
    assert report.status == LkjStatus.DIKIRIM
    done = step(db, report, "arsipkan", people["rendatin"], hardcopy_location=HARDCOPY)
    assert report.status == LkjStatus.ARSIP and report.hardcopy_location == HARDCOPY
    row = files_of(report)["arsip"]
    data = blob(row.key)
    assert hashlib.sha256(data).hexdigest() == row.sha256 == done.details["arsip_sha256"]
    assert row.name == "Arsip-LKj-2026-LKJ-SEK-v1.zip"
    signed = services.signed_document(report)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert names == sorted(names[:-2]) + ["manifest.json", "SHA256SUMS"]
        assert set(names) == {"LKj-2026-LKJ-SEK-v1-final.pdf", "LKj-2026-LKJ-SEK-v1-final.docx",
                              "lampiran/Surat-pengantar-LKj-2026-LKJ-SEK.pdf",
                              "lampiran/Surat-pengantar-LKj-2026-LKJ-SEK.docx",
                              "lampiran/bukti-realisasi/IK2.1-2026-06-ikpa s1.pdf", "manifest.json", "SHA256SUMS"}
        assert {i.date_time for i in zf.infolist()} == {(2027, 1, 20, 0, 0, 0)}
        manifest = json.loads(zf.read("manifest.json"))
        for item in manifest["files"]:
            assert hashlib.sha256(zf.read(item["name"])).hexdigest() == item["sha256"], item["name"]
            assert len(zf.read(item["name"])) == item["size"]
        assert len(manifest["files"]) == len(names) - 2
        sums = zf.read("SHA256SUMS").decode().splitlines()
        assert sums == [f"{i['sha256']}  {i['name']}" for i in manifest["files"]]
        assert zf.read("LKj-2026-LKJ-SEK-v1-final.pdf") == blob(signed.pdf_key)
        assert zf.read("lampiran/Surat-pengantar-LKj-2026-LKJ-SEK.pdf") == blob(
            files_of(report)["surat_pengantar_pdf"].key)
    assert manifest["hardcopy_location"] == HARDCOPY and manifest["pdf_sha256"] == signed.pdf_sha256
    assert manifest["sent"]["letter_number"] == LETTER and manifest["signed_by"]["name"] == people["sekretaris"].name
    assert manifest["verification_code"] == services.format_code(signed.verification_code)
    # Deterministic: the same files give the same bytes.
    assert services.build_archive(report, signed, HARDCOPY, date(2027, 1, 20)) == data
    from silabu.evidence.blobs import orphan_keys
    from silabu.evidence.storage import get_storage

    assert not set(orphan_keys(get_storage())) & {f.key for f in services.report_files(report)}


def test_the_outputs_are_downloadable_from_the_page_and_listed_in_the_api(db, pk, people, client, api_token):
    report = signed_report(db, people)
    step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number=LETTER)
    step(db, report, "arsipkan", people["rendatin"], hardcopy_location=HARDCOPY)
    headers = api_token(people["kasubag_rdi"])
    body = client.get(f"/api/v1/lkj/{YEAR}/LKJ-SEK", headers=headers).json
    assert body["hardcopy_location"] == HARDCOPY and body["status"] == "arsip"
    issued = {d["kind"]: d for d in body["documents"] if d["kind"] != "lkj"}
    assert set(issued) == {"surat_pengantar_docx", "surat_pengantar_pdf", "arsip"}
    assert [d["version"] for d in body["documents"] if d["kind"] == "lkj"] == [1]
    for item in issued.values():
        got = client.get(item["url"], headers=headers)
        assert got.status_code == 200 and hashlib.sha256(got.data).hexdigest() == item["sha256"]
        assert got.headers["Content-Type"].startswith(item["content_type"])
    login(client, people["sekretaris"])
    page = client.get(f"/lkj/{YEAR}/LKJ-SEK/").get_data(as_text=True)
    assert HARDCOPY in page and "Berkas terbit" in page and issued["arsip"]["sha256"] in page
    zipped = client.get(f"/lkj/{YEAR}/LKJ-SEK/berkas/arsip")
    assert zipped.status_code == 200 and hashlib.sha256(zipped.data).hexdigest() == issued["arsip"]["sha256"]
    assert "Arsip-LKj-2026-LKJ-SEK-v1.zip" in zipped.headers["Content-Disposition"]
    assert client.get(f"/lkj/{YEAR}/LKJ-SEK/berkas/tidak-ada").status_code == 404


def test_kirim_and_arsipkan_through_the_pages(db, pk, people, client):
    report = signed_report(db, people)
    url = f"/lkj/{YEAR}/LKJ-SEK/langkah"
    login(client, people["rendatin"])
    page = client.get(f"/lkj/{YEAR}/LKJ-SEK/").get_data(as_text=True)
    assert "Perihal" in page and "Sekretaris KPU Provinsi Jawa Tengah" in page
    assert client.post(url, data={"action": "kirim", "sent_date": "2027-01-20", "letter_number": LETTER,
                                  "letter_subject": "", "attachment": ""}).status_code == 302
    refused = client.post(url, data={"action": "arsipkan", "hardcopy_location": ""})
    assert refused.status_code == 422 and "Tempat penyimpanan hardcopy wajib diisi" in refused.get_data(as_text=True)
    assert client.post(url, data={"action": "arsipkan", "hardcopy_location": HARDCOPY}).status_code == 302
    db.session.refresh(report)
    assert report.status == LkjStatus.ARSIP and set(files_of(report)) == {
        "surat_pengantar_docx", "surat_pengantar_pdf", "arsip"}
    letter = client.get(f"/lkj/{YEAR}/LKJ-SEK/berkas/surat_pengantar_pdf")
    assert letter.status_code == 200 and LETTER in pdf_text(letter.data)


def test_the_wrong_person_or_the_wrong_order_is_refused_through_the_api(db, pk, people, client, api_token):
    report = signed_report(db, people)
    url = f"/api/v1/lkj/{YEAR}/LKJ-SEK/review"
    rendatin, sekretaris = api_token(people["rendatin"]), api_token(people["sekretaris"])
    early = client.post(url, json={"action": "arsipkan", "hardcopy_location": HARDCOPY}, headers=rendatin)
    assert early.status_code == 409 and early.json["error"]["code"] == "lkj_wrong_step"
    wrong = client.post(url, json={"action": "kirim", "sent_date": "2027-01-20", "letter_number": LETTER},
                        headers=sekretaris)
    assert wrong.status_code == 403
    missing = client.post(url, json={"action": "kirim", "sent_date": "2027-01-20"}, headers=rendatin)
    assert missing.status_code == 422 and "letter_number" in missing.json["error"]["fields"]
    db.session.expire_all()
    assert services.report_files(report) == [] and report.status == LkjStatus.DITANDATANGANI


def test_two_requests_on_the_same_step_at_once_one_wins_the_other_gets_409(app, db, pk, people, api_token):
    from tests.test_races import run_together

    report = signed_report(db, people)
    headers = api_token(people["rendatin"])
    url = f"/api/v1/lkj/{YEAR}/LKJ-SEK/review"

    def send(number: str):
        return lambda: app.test_client().post(url, headers=headers, json={
            "action": "kirim", "sent_date": "2027-01-20", "letter_number": number})

    results = run_together(send("1/PR.01/2027"), send("2/PR.01/2027"))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [getattr(r, "json", r) for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json["error"]["code"] == "lkj_changed"
    winner = next(r for r in results if r.status_code == 200).json
    db.session.expire_all()
    report = services.get_report(YEAR, "LKJ-SEK")
    assert report.letter_number == winner["letter_number"]
    assert len(db.session.scalars(select(LkjReviewStep).where(LkjReviewStep.action == "kirim")).all()) == 1
    letter = files_of(report)["surat_pengantar_pdf"]
    assert winner["letter_number"] in pdf_text(blob(letter.key))

    def archive(place: str):
        return lambda: app.test_client().post(url, headers=headers, json={"action": "arsipkan",
                                                                           "hardcopy_location": place})

    results = run_together(archive("Lemari A"), archive("Lemari B"))
    assert sorted(r.status_code for r in results) == [200, 409]
    db.session.expire_all()
    assert len(db.session.scalars(select(LkjFile).where(LkjFile.kind == "arsip")).all()) == 1


# ---- the copy signed outside SILABU ----------------------------------------------------------------------------

def _upload(client, headers, data: bytes, name: str = "LKj ttd basah.pdf"):
    return client.post(f"/api/v1/lkj/{YEAR}/LKJ-SEK/signed-copy", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_the_signed_copy_is_uploaded_as_a_checked_pdf_and_the_verification_page_confirms_both(
        db, pk, people, client, api_token):
    from test_lkj_workflow import _png

    rendatin = api_token(people["rendatin"])
    report = walk_to(db, draft(db), people, LkjStatus.TANDA_TANGAN)
    assert _upload(client, rendatin, PDF).status_code == 409  # not signed yet
    step(db, report, "tandatangani", people["sekretaris"])
    assert _upload(client, api_token(people["kasubag_rdi"]), PDF).status_code == 403
    for bad in (_png(), b"%PDF-1.4 bukan pdf sungguhan", b"PK\x03\x04 bukan docx", b""):
        refused = _upload(client, rendatin, bad)
        assert refused.status_code in (415, 422), (bad[:10], refused.status_code)
    docx = blob(services.signed_document(report).docx_key)
    refused = _upload(client, rendatin, docx, "LKj.docx")
    assert refused.status_code == 422 and "PDF" in refused.json["error"]["message"]
    db.session.expire_all()
    doc = services.signed_document(report)
    assert doc.final_sha256 is None
    scan = another_pdf("Hasil pindai tanda tangan basah")
    body = _upload(client, rendatin, scan).json
    signed = next(d for d in body["documents"] if d["kind"] == "lkj" and d["version"] == 1)
    assert signed["final_sha256"] == hashlib.sha256(scan).hexdigest() and signed["final_name"] == "LKj ttd basah.pdf"
    assert body["steps"][-1]["action"] == "unggah_salinan"
    db.session.expire_all()
    doc = services.signed_document(report)
    assert blob(doc.final_key) == scan and services.match_file(doc, scan) == "final"
    page = client.get(f"/lkj/verifikasi/{doc.verification_code}").get_data(as_text=True)
    assert doc.pdf_sha256 in page and doc.final_sha256 in page
    assert "PDF final terbitan SILABU" in page and "salinan bertanda tangan yang diunggah" in page
    checked = client.post(f"/lkj/verifikasi/{doc.verification_code}",
                          data={"file": (io.BytesIO(scan), "scan.pdf")}, content_type="multipart/form-data")
    assert "Cocok: berkas ini sama persis dengan salinan bertanda tangan yang diunggah" in checked.get_data(
        as_text=True)
    checked = client.post(f"/lkj/verifikasi/{doc.verification_code}",
                          data={"file": (io.BytesIO(blob(doc.pdf_key)), "final.pdf")},
                          content_type="multipart/form-data")
    assert "Cocok: berkas ini sama persis dengan PDF terbitan SILABU" in checked.get_data(as_text=True)
    # The archive keeps it; once archived it no longer changes.
    step(db, report, "kirim", people["rendatin"], sent_date="2027-01-20", letter_number=LETTER)
    step(db, report, "arsipkan", people["rendatin"], hardcopy_location=HARDCOPY)
    with zipfile.ZipFile(io.BytesIO(blob(files_of(report)["arsip"].key))) as zf:
        assert zf.read("LKj-2026-LKJ-SEK-v1-bertanda-tangan.pdf") == scan
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["signed_copy_sha256"] == hashlib.sha256(scan).hexdigest()
    late = _upload(client, rendatin, another_pdf("Terlambat"))
    assert late.status_code == 409 and late.json["error"]["code"] == "lkj_archived"


def test_the_signer_uploads_the_signed_copy_through_the_page(db, pk, people, client):
    report = signed_report(db, people)
    login(client, people["sekretaris"])
    page = client.get(f"/lkj/{YEAR}/LKJ-SEK/").get_data(as_text=True)
    assert "Salinan bertanda tangan" in page
    url = f"/lkj/{YEAR}/LKJ-SEK/salinan-bertanda-tangan"
    refused = client.post(url, data={"file": (io.BytesIO(b"bukan pdf"), "ttd.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code in (415, 422)
    scan = another_pdf("TTE BSrE")
    resp = client.post(url, data={"file": (io.BytesIO(scan), "LKj TTE.pdf")}, content_type="multipart/form-data",
                       follow_redirects=True)
    assert resp.status_code == 200 and hashlib.sha256(scan).hexdigest() in resp.get_data(as_text=True)
    db.session.expire_all()
    assert services.signed_document(services.get_report(YEAR, "LKJ-SEK")).final_sha256 == hashlib.sha256(
        scan).hexdigest()
    assert report.id is not None


def test_the_signed_copy_service_refuses_a_non_pdf_document(db, pk, people):
    report = signed_report(db, people)
    docx = blob(services.signed_document(report).docx_key)
    with pytest.raises(FileRejected):
        services.upload_signed_copy(report, people["rendatin"], "lkj.docx", docx)
    with pytest.raises(Forbidden):
        services.upload_signed_copy(report, people["ketua"], "lkj.pdf", PDF)
    db.session.rollback()
    assert services.signed_document(report).final_sha256 is None


# ---- the komisioner's division --------------------------------------------------------------------------------

@pytest.mark.lkj_real_render
def test_only_the_komisioner_of_the_planning_division_corrects_and_initials_the_lkj_kpu(db, pk, people, make_user):
    other = make_user("SEK", "komisioner", name="Aan Komisioner Hukum", division="Divisi Hukum dan Pengawasan")
    unassigned = make_user("SEK", "komisioner", name="Komisioner Tanpa Divisi")
    report = draft(db, "LKJ-KPU")
    # The version names the planning division's komisioner as its corrector, not the first komisioner by name.
    assert services.current_document(report).data["corrector"] == {
        "label": "Komisioner Divisi Perencanaan, Data dan Informasi KPU Kabupaten Kudus",
        "name": people["komisioner"].name, "nip": people["komisioner"].nip}
    step(db, report, "ajukan_koreksi", people["rendatin"])
    for who in (other, unassigned):
        assert services.allowed_actions(report, who, date(2027, 1, 20)) == []
        with pytest.raises(Forbidden, match="Komisioner Divisi Perencanaan"):
            services.perform(report, "setujui_koreksi", who, today=date(2027, 1, 20))
    step(db, report, "setujui_koreksi", people["komisioner"])
    walk_to(db, report, people, LkjStatus.PARAF)
    with pytest.raises(Forbidden):
        services.perform(report, "paraf", other, today=date(2027, 1, 20))
    step(db, report, "paraf", people["komisioner"])
    step(db, report, "tandatangani", people["ketua"])
    text = pdf_text(blob(services.current_document(report).pdf_key))
    assert (f"Diparaf oleh {people['komisioner'].name} (Komisioner Divisi Perencanaan, Data dan Informasi KPU "
            "Kabupaten Kudus)") in text
    assert "Ketua KPU Kabupaten Kudus" in text


def test_the_division_belongs_to_the_komisioner_role_and_is_kept_by_the_admin_form(db, pk, people, make_user,
                                                                                  client):
    from silabu.accounts.services import UserData, create_user

    with pytest.raises(ValidationFailed) as exc:
        create_user(UserData(name="Staf", unit_code="KUL", roles="asn", nip="198603242014031099",
                             division=PLANNING))
    assert "Komisioner" in exc.value.fields["division"]
    db.session.rollback()
    admin = make_user("SEK", "admin", name="Admin")
    komisioner = people["komisioner"]
    login(client, admin)
    form = client.get(f"/admin/pengguna/{komisioner.id}/ubah").get_data(as_text=True)
    assert PLANNING in form
    resp = client.post(f"/admin/pengguna/{komisioner.id}/ubah", data={
        "name": komisioner.name, "unit": "SEK", "roles": ["komisioner"], "nip": komisioner.nip,
        "division": "Divisi Teknis Penyelenggaraan"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    db.session.expire_all()
    assert komisioner.division_of("komisioner") == "Divisi Teknis Penyelenggaraan"
    assert not services.is_planning_komisioner(komisioner)


def test_the_letters_sha256_is_never_broken_over_two_lines_whatever_precedes_it(app):
    """A reader compares the printed hash with the file's: reportlab used to split it where the address before it
    ended near the margin (27 of 40 address lengths)."""
    from silabu.lkj.letters import CoverLetter, render_pdf

    digest = hashlib.sha256(b"final").hexdigest()
    for extra in range(40):
        letter = CoverLetter("KPU Kabupaten Kudus", "Kudus", "12/PR.01-SD/3319/2027", date(2027, 1, 20),
                             "1 (satu) berkas", "Penyampaian LKj", ["Sekretaris KPU Provinsi Jawa Tengah"],
                             "Laporan Kinerja Sekretariat KPU Kabupaten Kudus Tahun 2026", 1, date(2027, 1, 20),
                             "ABCD-EFGH", "https://silabu.kpu-kudus.go.id/verifikasi/" + "x" * extra, digest,
                             "Sekretaris KPU Kabupaten Kudus", "Sri Lestari", "198404252009031323")
        assert digest in pdf_text(render_pdf(letter)).split(), extra
