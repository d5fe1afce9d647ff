"""Signing issues the final document: no "Draf", the signing date in the satker's timezone, the signer's name,
title and NIP, the paraf record; its sha256 is what the verification page confirms. The same person never
initials and signs the same version (Kupang: Kasubag RDI initials / Sekretaris signs the LKj Sekretariat,
Komisioner initials / Ketua signs the LKj KPU)."""
from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
import time_machine
from pypdf import PdfReader
from test_lkj_workflow import TODAY, blob, draft, people, pk, step, walk_to  # noqa: F401 - fixtures

from silabu.core.errors import Conflict, Forbidden
from silabu.lkj import services


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)





def test_signing_issues_a_final_pdf_without_draf_with_date_signer_and_paraf(db, pk, people, client):
    with time_machine.travel(datetime(2027, 1, 20, 3, 0, tzinfo=UTC), tick=False):
        report = walk_to(db, draft(db), people, services.ACTIONS["tandatangani"].from_status)
    doc = services.current_document(report)
    draft_pdf, draft_docx = blob(doc.pdf_key), blob(doc.docx_key)
    assert "Draf versi 1" in pdf_text(draft_pdf)
    # 20:30 UTC on 20 January is already 21 January in Kudus (WIB, UTC+7).
    with time_machine.travel(datetime(2027, 1, 20, 20, 30, tzinfo=UTC), tick=False):
        step(db, report, "tandatangani", people["sekretaris"])
    db.session.refresh(doc)
    signed_pdf = blob(doc.pdf_key)
    assert signed_pdf != draft_pdf and blob(doc.docx_key) != draft_docx
    from docx import Document

    signed_docx = Document(io.BytesIO(blob(doc.docx_key)))
    docx_text = "\n".join([p.text for p in signed_docx.paragraphs]
                          + [c.text for t in signed_docx.tables for r in t.rows for c in r.cells])
    assert "Draf" not in docx_text and "Kudus, 21 Januari 2027" in docx_text
    assert hashlib.sha256(signed_pdf).hexdigest() == doc.pdf_sha256
    text = pdf_text(signed_pdf)
    assert "Draf" not in text and "...................." not in text.split("LAMPIRAN")[0]
    assert "Kudus, 21 Januari 2027" in text
    sekretaris = people["sekretaris"]
    assert "Sekretaris KPU Kabupaten Kudus" in text and sekretaris.name in text and f"NIP {sekretaris.nip}" in text
    assert ("Diparaf oleh Agus Kasubag RDI (Kepala Sub Bagian Perencanaan, Data dan Informasi Sekretariat KPU "
            "Kabupaten Kudus) pada 20 Januari 2027") in " ".join(text.split())
    signed_step = services.history(report)[-1]
    assert signed_step.details["draft_pdf_sha256"] == hashlib.sha256(draft_pdf).hexdigest()
    assert signed_step.details["pdf_sha256"] == doc.pdf_sha256
    # The verification page confirms the signed file, not the draft it replaced.
    assert services.match_file(doc, signed_pdf) == "pdf" and services.match_file(doc, draft_pdf) is None
    page = client.get(f"/lkj/verifikasi/{doc.verification_code}").get_data(as_text=True)
    assert doc.pdf_sha256 in page
    checked = client.post(f"/lkj/verifikasi/{doc.verification_code}",
                          data={"file": (io.BytesIO(draft_pdf), "draf.pdf")}, content_type="multipart/form-data")
    assert hashlib.sha256(draft_pdf).hexdigest() not in checked.get_data(as_text=True)


def test_the_person_who_initialled_a_version_does_not_sign_it(db, pk, people, lkj_quick_render, make_user):
    both = make_user("RDI", "asn,kasubag,sekretaris", name="Rangkap Jabatan")
    report = draft(db)
    step(db, report, "ajukan_koreksi", people["rendatin"])
    step(db, report, "setujui_koreksi", both)
    step(db, report, "catat_pleno", people["rendatin"], note="Diterima", pleno_date="2027-01-18")
    step(db, report, "ajukan_paraf", people["rendatin"])
    step(db, report, "paraf", both)
    assert "tandatangani" not in [a.key for a in services.allowed_actions(report, both, TODAY)]
    with pytest.raises(Forbidden, match="memaraf"):
        services.perform(report, "tandatangani", both, today=TODAY)
    db.session.rollback()
    assert report.status == services.ACTIONS["tandatangani"].from_status and report.signed_version is None
    assert "tandatangani" in [a.key for a in services.allowed_actions(report, people["sekretaris"], TODAY)]
    step(db, report, "tandatangani", people["sekretaris"])
    assert report.signed_version == 1


def test_lkj_kpu_is_initialled_by_the_komisioner_and_signed_by_the_ketua(db, pk, people):
    report = walk_to(db, draft(db, "LKJ-KPU"), people, services.ACTIONS["tandatangani"].from_status)
    paraf = [s for s in services.history(report) if s.action == "paraf"][-1]
    assert paraf.actor_id == people["komisioner"].id
    step(db, report, "tandatangani", people["ketua"])
    text = pdf_text(blob(services.current_document(report).pdf_key))
    assert "Ketua KPU Kabupaten Kudus" in text and "Budi Ketua" in text
    assert ("Diparaf oleh Dewi Komisioner Perencanaan (Komisioner Divisi Perencanaan, Data dan Informasi KPU "
            "Kabupaten Kudus)") in \
        " ".join(text.split())


def test_a_flagged_row_needs_an_explanation_and_placeholders_block_paraf(db, pk, people, login_as):
    from test_lkj_workflow import complete_narrative

    report = walk_to(db, draft(db, complete=False), people, services.ACTIONS["paraf"].from_status)
    doc = services.current_document(report)
    missing = services.version_blockers(doc)
    # No month is final: the five indicators counted from entries or summed are flagged (months_missing; the two
    # level indicators without any value only have no capaian), and four sections are placeholders.
    flagged = [r["code"] for r in doc.data["rows"] if r["warnings"]]
    assert flagged == ["IK1.1", "IK2.2", "IK3.1", "IK3.2", "IK3.3"]
    assert len(missing) == len(services.MANDATORY_SECTIONS) + len(flagged)
    assert any(m.startswith("Bab III B. Realisasi Anggaran masih berupa teks pengganti") for m in missing)
    assert any(m.startswith("Indikator IK1.1 bercatatan (") for m in missing)
    page = login_as(people["kasubag_rdi"]).get(f"/lkj/{report.year}/LKJ-SEK/").get_data(as_text=True)
    assert "Belum dapat diparaf" in page and "Indikator IK1.1 bercatatan" in page
    with pytest.raises(Conflict, match="belum dapat diparaf"):
        services.perform(report, "paraf", people["kasubag_rdi"], today=TODAY)
    db.session.rollback()
    assert report.status == services.ACTIONS["paraf"].from_status
    # Written, but not yet compiled into a version: still refused; compiled: initialled.
    complete_narrative(report)
    db.session.commit()
    with pytest.raises(Conflict, match="belum dapat diparaf"):
        services.perform(report, "paraf", people["kasubag_rdi"], today=TODAY)
    db.session.rollback()
    services.compile_report(report.year, "LKJ-SEK", people["rendatin"])
    db.session.commit()
    assert services.version_blockers(services.current_document(report)) == []
    step(db, report, "paraf", people["kasubag_rdi"])
    text = pdf_text(blob(services.current_document(report).pdf_key))
    assert "Penjelasan catatan pemeriksaan:" in text and "ditindaklanjuti dalam pleno Januari" in " ".join(text.split())


def test_the_review_runs_through_the_api_with_the_callers_allowed_actions(db, pk, people, lkj_quick_render, api_token, client):
    from test_lkj_workflow import complete_narrative

    url = "/api/v1/lkj/2026/LKJ-SEK"
    tokens = {who: api_token(people[who]) for who in ("rendatin", "kasubag_rdi", "sekretaris")}

    def allowed(who: str) -> list[str]:
        body = client.get(url, headers=tokens[who]).json
        return [a["action"] for a in body["allowed_actions"]]

    def review(who: str, **body):
        return client.post(f"{url}/review", json=body, headers=tokens[who])

    assert review("rendatin", action="ajukan_koreksi").status_code == 404  # nothing compiled yet
    report = draft(db, complete=False)
    assert allowed("rendatin") == ["ajukan_koreksi"] and allowed("kasubag_rdi") == []
    assert review("kasubag_rdi", action="ajukan_koreksi").status_code == 403
    assert review("rendatin", action="terbang").status_code == 422
    assert review("rendatin", action="ajukan_koreksi").json["status"] == "koreksi"
    assert allowed("kasubag_rdi") == ["setujui_koreksi", "kembalikan"]
    assert review("kasubag_rdi", action="setujui_koreksi").status_code == 200
    held = "2026-12-01"  # the satker's today is not frozen in this test
    missing_note = review("rendatin", action="catat_pleno", pleno_date=held)
    assert missing_note.status_code == 422 and "note" in missing_note.json["error"]["fields"]
    assert review("rendatin", action="catat_pleno", note="Diterima", pleno_date=held).status_code == 200
    body = review("rendatin", action="ajukan_paraf").json
    assert body["status"] == "paraf" and body["paraf_blockers"]
    refused = review("kasubag_rdi", action="paraf")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "lkj_not_ready"
    db.session.expire_all()
    complete_narrative(report)
    services.compile_report(2026, "LKJ-SEK", people["rendatin"])
    db.session.commit()
    assert client.get(url, headers=tokens["rendatin"]).json["paraf_blockers"] == []
    assert review("kasubag_rdi", action="paraf").json["status"] == "tanda_tangan"
    assert allowed("sekretaris") == ["tandatangani", "kembalikan"]
    body = review("sekretaris", action="tandatangani").json
    assert body["status"] == "ditandatangani" and body["signed_version"] == 2
    signed = next(d for d in body["documents"] if d["version"] == 2)
    assert signed["is_signed"] and signed["pdf_sha256"] == services.current_document(report).pdf_sha256
    assert [s["action"] for s in body["steps"]][-3:] == ["kompilasi", "paraf", "tandatangani"]
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/api/v1/lkj/{year}/{report_code}/review"]
    assert "allowed_actions" in client.get("/api/v1/openapi.json").json["components"]["schemas"]["LkjReport"][
        "properties"]


def test_compiling_with_a_local_base_url_warns_on_the_page_and_in_the_cli(db, pk, people, lkj_quick_render, login_as, app):
    client = login_as(people["rendatin"])
    configured = app.config.get("BASE_URL")
    app.config["BASE_URL"] = "http://localhost:5000"
    try:
        page = client.post("/lkj/2026/LKJ-SEK/kompilasi", follow_redirects=True).get_data(as_text=True)
        assert "Alamat publik SILABU masih http://localhost:5000" in page
        result = app.test_cli_runner().invoke(args=["lkj", "compile", "--year", "2026", "--report", "LKJ-SEK"])
        assert "Peringatan: Alamat publik SILABU masih http://localhost:5000" in result.output
        app.config["BASE_URL"] = "https://silabu.kpu-kudus.go.id"
        page = client.post("/lkj/2026/LKJ-SEK/kompilasi", follow_redirects=True).get_data(as_text=True)
        assert "Versi 3 berhasil dikompilasi" in page and "Alamat publik SILABU" not in page
    finally:
        app.config["BASE_URL"] = configured
