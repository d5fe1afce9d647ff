"""The LKj review: draft -> koreksi -> pleno (rounds) -> revisi -> paraf -> tanda tangan -> dikirim -> arsip."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts.delegation import delegations_on
from silabu.accounts.models import Role, User
from silabu.accounts.org import satker_timezone, today_for
from silabu.accounts.tenancy import current_satker
from silabu.catalog.models import Indicator
from silabu.core import audit
from silabu.core.clock import as_utc, utcnow, zone
from silabu.core.errors import Conflict, FileRejected, Forbidden, ValidationFailed
from silabu.core.links import path_for
from silabu.core.parsing import parse_date
from silabu.evidence.blobs import store_bytes
from silabu.evidence.processing import process_with_limits, sanitize_filename
from silabu.extensions import db
from silabu.lkj import archive, letters
from silabu.lkj.document.elements import place_of
from silabu.lkj.models import (
    LKJ_STATUS_LABELS,
    SIGNED_STATUSES,
    LkjDocument,
    LkjFile,
    LkjFileKind,
    LkjReport,
    LkjReviewStep,
    LkjStatus,
    ManualRealisasi,
)
from silabu.lkj.services.compile import current_document, format_code, render, signed_document, verification_url
from silabu.lkj.services.narrative import paraf_blockers
from silabu.lkj.services.realisasi import open_blob, store_upload
from silabu.lkj.services.reports import (
    NOTE_MAX,
    corrector_title,
    default_recipient,
    institution_title,
    is_planning_komisioner,
    report_spec,
    subject_name,
)


@dataclass(frozen=True)
class Action:
    key: str
    label: str
    from_status: LkjStatus | None  # None: several (returns)
    to_status: LkjStatus | None
    who: str  # rendatin | corrector | signer | pleno | pleno_reviewer


ACTIONS: dict[str, Action] = {a.key: a for a in (
    Action("ajukan_koreksi", "Ajukan untuk dikoreksi", LkjStatus.DRAFT, LkjStatus.KOREKSI, "rendatin"),
    Action("setujui_koreksi", "Koreksi selesai, lanjut ke pleno", LkjStatus.KOREKSI, LkjStatus.PLENO, "corrector"),
    Action("catat_pleno", "Catat hasil rapat pleno", LkjStatus.PLENO, LkjStatus.REVISI, "pleno"),
    Action("ajukan_pleno", "Paparkan lagi dalam pleno berikutnya", LkjStatus.REVISI, LkjStatus.PLENO, "rendatin"),
    Action("ajukan_paraf", "Ajukan untuk diparaf", LkjStatus.REVISI, LkjStatus.PARAF, "rendatin"),
    Action("paraf", "Bubuhkan paraf", LkjStatus.PARAF, LkjStatus.TANDA_TANGAN, "corrector"),
    Action("tandatangani", "Tandatangani", LkjStatus.TANDA_TANGAN, LkjStatus.DITANDATANGANI, "signer"),
    Action("kirim", "Catat pengiriman", LkjStatus.DITANDATANGANI, LkjStatus.DIKIRIM, "rendatin"),
    Action("arsipkan", "Arsipkan", LkjStatus.DIKIRIM, LkjStatus.ARSIP, "rendatin"),
    Action("kembalikan", "Kembalikan dengan catatan", None, None, "reviewer"),
)}
# A reviewer returns the report to the step before theirs.
RETURN_TO = {LkjStatus.KOREKSI: LkjStatus.DRAFT, LkjStatus.PLENO: LkjStatus.KOREKSI,
             LkjStatus.PARAF: LkjStatus.REVISI, LkjStatus.TANDA_TANGAN: LkjStatus.PARAF}
RETURN_WHO = {LkjStatus.KOREKSI: "corrector", LkjStatus.PLENO: "pleno_reviewer", LkjStatus.PARAF: "corrector",
              LkjStatus.TANDA_TANGAN: "signer"}
COMPILABLE = frozenset(LkjStatus) - SIGNED_STATUSES


def _corrector(report: LkjReport, user: User, on_date: date) -> tuple[bool, str | None]:
    """Kasubag RDI (or the Plh/Plt for RDI) for the Sekretariat's report; a Ketua/Komisioner for the KPU's."""
    spec = report_spec(report.report_code)
    if spec.corrector_role == Role.KOMISIONER:
        return is_planning_komisioner(user), None
    if spec.corrector_unit is None:
        return user.has_role(spec.corrector_role), None
    if user.has_role(spec.corrector_role) and user.unit is not None and user.unit.code == spec.corrector_unit:
        return True, None
    for delegation in delegations_on(on_date, delegate=user):
        if delegation.unit.code == spec.corrector_unit:
            return True, f"{delegation.kind}. {spec.corrector_label}"
    return False, None


def _may(report: LkjReport, who: str, user: User, on_date: date) -> tuple[bool, str | None]:
    spec = report_spec(report.report_code)
    if who == "rendatin":
        return user.has_role(Role.RENDATIN), None
    if who == "corrector":
        return _corrector(report, user, on_date)
    if who == "signer":
        return user.has_role(spec.signer_role), None
    if who == "pleno":
        return user.has_role(Role.RENDATIN, Role.SEKRETARIS, Role.KETUA), None
    if who == "pleno_reviewer":
        return user.has_role(Role.SEKRETARIS, Role.KETUA), None
    return False, None


def allowed_actions(report: LkjReport, user: User, on_date: date) -> list[Action]:
    """The actions ``user`` may take on the report as it stands (none on another satker's, read from a province)."""
    from silabu.accounts.tenancy import reading_other_satker

    if reading_other_satker(user) is not None:
        return []
    actions = []
    for action in ACTIONS.values():
        if action.key == "kembalikan":
            who = RETURN_WHO.get(report.status)
            if who and _may(report, who, user, on_date)[0]:
                actions.append(action)
        elif action.from_status == report.status and _may(report, action.who, user, on_date)[0]:
            if action.key == "tandatangani" and _initialled_current(report, user):
                continue
            actions.append(action)
    return actions


def _initialled_current(report: LkjReport, user: User) -> bool:
    """Whether ``user`` initialled the current version (then someone else signs it)."""
    paraf = latest_paraf(report)
    return (paraf is not None and paraf.actor_id == user.id and paraf.document is not None
            and paraf.document.version == report.current_version)


def can_compile(report: LkjReport, user: User) -> bool:
    return report.status in COMPILABLE and user.has_role(Role.RENDATIN)


@dataclass
class StepInput:
    """What a reviewer sends with a step; each action reads the fields it needs."""

    note: str = ""
    pleno_date: Any = None
    sent_date: Any = None
    letter_number: str | None = None
    sent_to: str | None = None
    final_file: tuple[str, bytes] | None = None
    letter_subject: str | None = None
    attachment: str | None = None
    hardcopy_location: str | None = None


@dataclass
class Step:
    """One review step while it is being taken."""

    report: LkjReport
    action: Action
    actor: User
    today: date
    doc: LkjDocument | None
    data: StepInput
    details: dict[str, Any] = field(default_factory=dict)
    pleno_round: int | None = None


def _check_pleno(step: Step, errors: dict[str, str]) -> None:
    held = parse_date(step.data.pleno_date, "pleno_date", "Tanggal rapat pleno", errors)
    if held is not None and held > step.today:
        errors["pleno_date"] = "Tanggal rapat pleno tidak boleh di masa depan."
    elif held is not None:
        step.details["pleno_date"] = held.isoformat()


def _apply_pleno(step: Step) -> None:
    step.report.pleno_rounds += 1
    step.pleno_round = step.report.pleno_rounds


def version_blockers(doc: LkjDocument | None) -> list[str]:
    """Why the version cannot be initialled yet (empty: it can)."""
    return [] if doc is None else paraf_blockers(doc.data, doc.narrative)


def _check_paraf(step: Step, errors: dict[str, str]) -> None:
    missing = version_blockers(step.doc)
    if missing:
        raise Conflict(f"Versi {step.doc.version} belum dapat diparaf: " + " ".join(missing)
                       + " Lengkapi narasinya lalu kompilasi ulang.", code="lkj_not_ready")


def latest_paraf(report: LkjReport) -> LkjReviewStep | None:
    return db.session.scalar(select(LkjReviewStep).where(LkjReviewStep.report_id == report.id,
                                                         LkjReviewStep.action == "paraf")
                             .order_by(LkjReviewStep.id.desc()).limit(1))


def _check_sign(step: Step, errors: dict[str, str]) -> None:
    """The version signed is the version initialled, and the person who initialled it does not also sign it."""
    doc = step.doc
    if doc is None:
        return
    paraf = latest_paraf(step.report)
    if paraf is None or paraf.document_id != doc.id:
        raise Conflict(f"Versi {doc.version} belum diparaf (ada kompilasi ulang setelah paraf). Kembalikan ke "
                       "paraf agar versi yang ditandatangani sama dengan yang diparaf.", code="lkj_not_initialled")
    if paraf.actor_id == step.actor.id:
        raise Forbidden(f"Anda telah memaraf versi {doc.version}; versi yang sama ditandatangani oleh orang lain.")
    step.details["paraf_step_id"] = paraf.id


def _paraf_record(step_row: LkjReviewStep, report: LkjReport) -> dict[str, str]:
    spec = report_spec(report.report_code)
    actor = step_row.actor
    title = step_row.on_behalf_of or corrector_title(spec.corrector_label, actor)
    return {"name": actor.name if actor else "", "title": title, "at": local_date(step_row.at).isoformat()}


def _apply_sign(step: Step) -> None:
    """Signing issues the final document: rendered again without "Draf", with the signer, the date and the paraf."""
    doc = step.doc
    assert doc is not None
    final = step.data.final_file
    if final is not None and final[1]:
        key, sha, name, content_type, size = store_upload(final[0], final[1], documents_only=True)
        doc.final_key, doc.final_sha256, doc.final_name = key, sha, name
        doc.final_content_type, doc.final_size = content_type, size
        step.details["final_sha256"] = sha
    signed_at = utcnow()
    spec = report_spec(step.report.report_code)
    paraf = db.session.get(LkjReviewStep, step.details["paraf_step_id"])
    signed = {"date": local_date(signed_at).isoformat(), "name": step.actor.name, "nip": step.actor.nip or "",
              "title": institution_title(spec.signer_label),
              "paraf": [_paraf_record(paraf, step.report)] if paraf is not None else []}
    docx_bytes, pdf_bytes = render(doc.data, doc.narrative or {}, version=doc.version, code=doc.verification_code,
                                   status_label=f"Versi final {doc.version}, ditandatangani",
                                   compiled_at=doc.compiled_at, signed=signed)
    step.details.update(draft_pdf_sha256=doc.pdf_sha256, draft_docx_sha256=doc.docx_sha256, signed=signed)
    doc.docx_key, doc.docx_sha256, doc.docx_size = store_bytes(docx_bytes, ".docx")
    doc.pdf_key, doc.pdf_sha256, doc.pdf_size = store_bytes(pdf_bytes, ".pdf")
    doc.is_signed = True
    doc.signed_at = signed_at
    doc.signed_by_id = step.actor.id
    step.report.signed_version = doc.version
    step.details.update(version=doc.version, pdf_sha256=doc.pdf_sha256, docx_sha256=doc.docx_sha256)


def _check_send(step: Step, errors: dict[str, str]) -> None:
    sent = parse_date(step.data.sent_date, "sent_date", "Tanggal pengiriman", errors)
    signed = signed_document(step.report)
    if sent is not None and sent > step.today:
        errors["sent_date"] = "Tanggal pengiriman tidak boleh di masa depan."
    elif sent is not None and signed is not None and signed.signed_at is not None and sent < local_date(
            signed.signed_at):
        errors["sent_date"] = "Tanggal pengiriman tidak boleh sebelum tanggal tanda tangan."
    letter = (step.data.letter_number or "").strip()
    if not letter:
        errors["letter_number"] = "Nomor surat pengantar wajib diisi."
    elif len(letter) > 120:
        errors["letter_number"] = "Nomor surat maksimal 120 karakter."
    recipient = "; ".join(letters.split_recipients(step.data.sent_to or "")) or default_recipient()
    if len(recipient) > 200:
        errors["sent_to"] = "Tujuan maksimal 200 karakter."
    subject = " ".join((step.data.letter_subject or "").split()) or default_letter_subject(step.report)
    if len(subject) > 300:
        errors["letter_subject"] = "Perihal maksimal 300 karakter."
    attachment = " ".join((step.data.attachment or "").split()) or letters.DEFAULT_ATTACHMENT
    if len(attachment) > 120:
        errors["attachment"] = "Lampiran maksimal 120 karakter."
    if sent is not None:
        step.details.update(sent_date=sent.isoformat(), letter_number=letter, sent_to=recipient,
                            letter_subject=subject, attachment=attachment)


def report_name(report: LkjReport) -> str:
    """"Laporan Kinerja Sekretariat KPU Kabupaten Kudus Tahun 2026" (a semester's: "... Semester I Tahun 2026")."""
    return f"Laporan Kinerja {subject_name(report_spec(report.report_code))} {report.period_label}"


def default_letter_subject(report: LkjReport) -> str:
    return f"Penyampaian {report_name(report)}"


def cover_letter(report: LkjReport, doc: LkjDocument, *, number: str, letter_date: date, recipients: str,
                 subject: str, attachment: str) -> letters.CoverLetter:
    """The surat pengantar of a signed version, signed by whoever signed the LKj."""
    spec = report_spec(report.report_code)
    satker = current_satker()
    signer = doc.signed_by
    return letters.CoverLetter(
        satker_name=satker.name if satker else "Sekretariat KPU",
        city=place_of({"satker": {"city": satker.city, "name": satker.name}}) if satker else "",
        number=number, letter_date=letter_date, attachment=attachment, subject=subject,
        recipients=letters.split_recipients(recipients), report_name=report_name(report), version=doc.version,
        signed_date=local_date(doc.signed_at or utcnow()), verification_code=format_code(doc.verification_code),
        verification_url=verification_url(doc.verification_code), pdf_sha256=doc.pdf_sha256,
        signer_title=institution_title(spec.signer_label), signer_name=signer.name if signer else "",
        signer_nip=(signer.nip or "") if signer else "", head=satker)


def _issue(step: Step, kind: LkjFileKind, data: bytes, suffix: str, name: str, content_type: str) -> LkjFile:
    """Store an issued file and record it beside the report (one per kind)."""
    key, sha, size = store_bytes(data, suffix)
    row = LkjFile(report_id=step.report.id, document_id=step.doc.id if step.doc else None, kind=kind, key=key,
                  sha256=sha, size=size, name=name, content_type=content_type, created_by_id=step.actor.id)
    db.session.add(row)
    step.details[f"{kind.value}_sha256"] = sha
    return row


def _file_stem(report: LkjReport) -> str:
    return f"LKj-{report.year}-{report.report_code}" + (f"-S{report.semester}" if report.semester else "")


def _apply_send(step: Step) -> None:
    """Kirim records the sending and issues the cover letter (DOCX and PDF) with the signed version."""
    report = step.report
    report.sent_date = date.fromisoformat(step.details["sent_date"])
    report.letter_number = step.details["letter_number"]
    report.sent_to = step.details["sent_to"]
    report.letter_subject = step.details["letter_subject"]
    signed = signed_document(report)
    assert signed is not None
    step.doc = signed
    letter = cover_letter(report, signed, number=report.letter_number, letter_date=report.sent_date,
                          recipients=report.sent_to, subject=report.letter_subject,
                          attachment=step.details["attachment"])
    stem = f"Surat-pengantar-{_file_stem(report)}"
    _issue(step, LkjFileKind.SURAT_PENGANTAR_DOCX, letters.render_docx(letter), ".docx", f"{stem}.docx", DOCX)
    _issue(step, LkjFileKind.SURAT_PENGANTAR_PDF, letters.render_pdf(letter), ".pdf", f"{stem}.pdf",
           "application/pdf")


HARDCOPY_MAX = 300


def _check_archive(step: Step, errors: dict[str, str]) -> None:
    location = " ".join((step.data.hardcopy_location or "").split())
    if not location:
        errors["hardcopy_location"] = ("Tempat penyimpanan hardcopy wajib diisi, mis. \"Lemari arsip Subbag "
                                       "Rendatin, rak 2\".")
    elif len(location) > HARDCOPY_MAX:
        errors["hardcopy_location"] = f"Tempat penyimpanan maksimal {HARDCOPY_MAX} karakter."
    else:
        step.details["hardcopy_location"] = location


def archive_files(report: LkjReport, doc: LkjDocument) -> list[archive.ArchiveFile]:
    """What goes into the soft-copy archive, read back from storage."""
    stem = f"{_file_stem(report)}-v{doc.version}"

    def read(key: str) -> bytes:
        with open_blob(key) as fh:
            return fh.read()

    files = [archive.ArchiveFile(f"{stem}-final.pdf", read(doc.pdf_key), "LKj final terbitan SILABU (PDF)"),
             archive.ArchiveFile(f"{stem}-final.docx", read(doc.docx_key), "LKj final terbitan SILABU (DOCX)")]
    if doc.final_key:
        ext = (doc.final_name or "").rsplit(".", 1)[-1].lower() if "." in (doc.final_name or "") else "pdf"
        files.append(archive.ArchiveFile(f"{stem}-bertanda-tangan.{ext}", read(doc.final_key),
                                         "Salinan bertanda tangan yang diunggah (pindaian atau tanda tangan "
                                         f"elektronik): {doc.final_name}"))
    for row in report_files(report):
        if row.kind in (LkjFileKind.SURAT_PENGANTAR_DOCX, LkjFileKind.SURAT_PENGANTAR_PDF):
            files.append(archive.ArchiveFile(f"lampiran/{row.name}", read(row.key),
                                             f"Surat pengantar nomor {report.letter_number}"))
    manual = db.session.scalars(select(ManualRealisasi).join(Indicator).where(
        Indicator.year == report.year, Indicator.report_code == report.report_code,
        ManualRealisasi.evidence_key.is_not(None)).order_by(Indicator.code, ManualRealisasi.period))
    for row in manual:
        name = sanitize_filename(row.evidence_name or "bukti")
        files.append(archive.ArchiveFile(f"lampiran/bukti-realisasi/{row.indicator.code}-{row.period}-{name}",
                                         read(row.evidence_key),
                                         f"Bukti realisasi manual {row.indicator.code} {row.period}"))
    return files


def archive_about(report: LkjReport, doc: LkjDocument, location: str, archived_on: date) -> dict[str, Any]:
    signer = doc.signed_by
    return {"laporan": report_name(report), "year": report.year, "report_code": report.report_code,
            "period": report.period,
            "version": doc.version, "verification_code": format_code(doc.verification_code),
            "verification_url": verification_url(doc.verification_code),
            "signed_date": local_date(doc.signed_at).isoformat() if doc.signed_at else None,
            "signed_by": {"name": signer.name, "nip": signer.nip or ""} if signer else None,
            "pdf_sha256": doc.pdf_sha256, "docx_sha256": doc.docx_sha256, "signed_copy_sha256": doc.final_sha256,
            "sent": {"date": report.sent_date.isoformat() if report.sent_date else None,
                     "letter_number": report.letter_number, "recipient": report.sent_to,
                     "subject": report.letter_subject},
            "hardcopy_location": location, "archived_date": archived_on.isoformat()}


def build_archive(report: LkjReport, doc: LkjDocument, location: str, archived_on: date) -> bytes:
    """The soft-copy archive as one ZIP (same inputs, same bytes)."""
    return archive.build_zip(archive_files(report, doc), archive_about(report, doc, location, archived_on),
                             archived_on)


def _apply_archive(step: Step) -> None:
    """Arsipkan records where the hard copy is kept and stores the soft-copy archive as one download."""
    report = step.report
    report.archived_at = utcnow()
    report.hardcopy_location = step.details["hardcopy_location"]
    signed = signed_document(report)
    assert signed is not None
    step.doc = signed
    data = build_archive(report, signed, report.hardcopy_location, step.today)
    _issue(step, LkjFileKind.ARSIP, data, ".zip", f"Arsip-{_file_stem(report)}-v{signed.version}.zip",
           "application/zip")


def report_files(report: LkjReport) -> list[LkjFile]:
    """The files the review issued (cover letter, archive), in the order they were made."""
    if report.id is None:
        return []
    return list(db.session.scalars(select(LkjFile).where(LkjFile.report_id == report.id).order_by(LkjFile.id)))


def get_file(report: LkjReport, kind: str) -> LkjFile:
    from silabu.core.errors import NotFound

    row = next((f for f in report_files(report) if f.kind.value == kind), None)
    if row is None:
        raise NotFound("Berkas ini belum diterbitkan.")
    return row


FILE_LABELS = {LkjFileKind.SURAT_PENGANTAR_DOCX: "Surat pengantar (DOCX)",
               LkjFileKind.SURAT_PENGANTAR_PDF: "Surat pengantar (PDF)",
               LkjFileKind.ARSIP: "Arsip softcopy (ZIP)"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SIGNED_COPY_STATUSES = (LkjStatus.DITANDATANGANI, LkjStatus.DIKIRIM)


def may_upload_signed_copy(report: LkjReport, user: User) -> bool:
    spec = report_spec(report.report_code)
    return report.status in SIGNED_COPY_STATUSES and user.has_role(Role.RENDATIN, spec.signer_role)


def upload_signed_copy(report: LkjReport, actor: User, filename: str | None, data: bytes | None) -> LkjReviewStep:
    """The copy signed outside SILABU (a scan of the wet signature, or the PDF signed electronically) becomes the
    archived copy of the signed version, with its own sha256. PDF only, checked like every evidence PDF."""
    spec = report_spec(report.report_code)
    if not actor.has_role(Role.RENDATIN, spec.signer_role):
        raise Forbidden(f"Salinan bertanda tangan diunggah oleh Rendatin atau {spec.signer_label}.")
    if report.status == LkjStatus.ARSIP:
        raise Conflict("LKj sudah diarsipkan; arsipnya tidak diubah lagi.", code="lkj_archived")
    if report.status not in SIGNED_COPY_STATUSES:
        raise Conflict("Salinan bertanda tangan diunggah setelah LKj ditandatangani di SILABU.",
                       code="lkj_wrong_step")
    if not data:
        raise ValidationFailed({"file": "Pilih berkas PDF salinan bertanda tangan."})
    processed = process_with_limits(data, filename or "salinan.pdf")
    if processed.content_type != "application/pdf":
        raise FileRejected("Salinan bertanda tangan diunggah sebagai PDF (hasil pindai atau PDF yang "
                           "ditandatangani secara elektronik).")
    doc = signed_document(report)
    assert doc is not None
    key, sha, size = store_bytes(processed.data, ".pdf")
    before = doc.final_sha256
    doc.final_key, doc.final_sha256, doc.final_size = key, sha, size
    doc.final_name = sanitize_filename(filename, ".pdf")
    doc.final_content_type = "application/pdf"
    report.updated_at = utcnow()
    details = {"version": doc.version, "final_sha256": sha, "final_name": doc.final_name, "size": size,
               "replaced_sha256": before}
    row = LkjReviewStep(report_id=report.id, document_id=doc.id, step=report.status.value, action="unggah_salinan",
                        to_status=report.status.value, actor_id=actor.id, details=details)
    db.session.add(row)
    _flush_or_conflict()
    audit.record("lkj.unggah_salinan", report, actor=actor, before={"final_sha256": before}, after=details)
    return row


@contextmanager
def _conflict_on_race() -> Iterator[None]:
    """Another request changed the report since it was read (its version moved on): 409, nothing kept."""
    try:
        yield
    except (StaleDataError, IntegrityError):
        raise Conflict("LKj baru saja diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
                       code="lkj_changed") from None


def _flush_or_conflict() -> None:
    with _conflict_on_race():
        db.session.flush()


# What each action checks beyond the common rules, and what it changes beyond the status.
CHECKS: dict[str, Callable[[Step, dict[str, str]], None]] = {
    "catat_pleno": _check_pleno, "paraf": _check_paraf, "tandatangani": _check_sign, "kirim": _check_send,
    "arsipkan": _check_archive}
APPLY: dict[str, Callable[[Step], None]] = {
    "catat_pleno": _apply_pleno, "tandatangani": _apply_sign, "kirim": _apply_send, "arsipkan": _apply_archive}
NOTE_REQUIRED = {"kembalikan": "Catatan wajib diisi: apa yang perlu diperbaiki.",
                 "catat_pleno": "Catatan hasil pleno wajib diisi (masukan dan koreksi)."}


def _target_and_who(report: LkjReport, action: Action) -> tuple[LkjStatus, str]:
    if action.key == "kembalikan":
        target = RETURN_TO.get(report.status)
        if target is None:
            raise Conflict(f"LKj berstatus {report.status_label.lower()} tidak dapat dikembalikan.")
        return target, RETURN_WHO[report.status]
    if report.status != action.from_status:
        raise Conflict(f"Langkah '{action.label}' tidak dapat dilakukan: LKj berstatus "
                       f"{report.status_label.lower()}.", code="lkj_wrong_step")
    assert action.to_status is not None
    return action.to_status, action.who


def perform(report: LkjReport, action_key: str, actor: User, *, today: date, note: str | None = None,
            pleno_date: Any = None, sent_date: Any = None, letter_number: str | None = None,
            sent_to: str | None = None, final_file: tuple[str, bytes] | None = None,
            letter_subject: str | None = None, attachment: str | None = None,
            hardcopy_location: str | None = None) -> LkjReviewStep:
    """Take one review step; records who, when, on which version and what was said."""
    action = ACTIONS.get(action_key)
    if action is None:
        raise ValidationFailed({"action": "Langkah tidak dikenal."})
    before_status = report.status
    target, who = _target_and_who(report, action)
    allowed, on_behalf_of = _may(report, who, actor, today)
    if not allowed:
        raise Forbidden(_forbidden_message(report, action))
    step = Step(report, action, actor, today, current_document(report),
                StepInput((note or "").strip(), pleno_date, sent_date, letter_number, sent_to, final_file,
                          letter_subject, attachment, hardcopy_location))
    errors: dict[str, str] = {}
    if len(step.data.note) > NOTE_MAX:
        errors["note"] = f"Catatan maksimal {NOTE_MAX} karakter."
    elif action.key in NOTE_REQUIRED and not step.data.note:
        errors["note"] = NOTE_REQUIRED[action.key]
    if step.doc is None and action.key != "kembalikan":
        errors["version"] = "Belum ada versi dokumen. Kompilasi draf terlebih dahulu."
    if action.key in CHECKS:
        CHECKS[action.key](step, errors)
    if errors:
        raise ValidationFailed(errors)
    with _conflict_on_race():
        # The status is claimed first: a second request on the same step loses at its first flush, before it
        # renders or stores anything.
        report.status = target
        report.updated_at = utcnow()
        db.session.flush()
        if action.key in APPLY:
            APPLY[action.key](step)
        row = LkjReviewStep(report_id=report.id, document_id=step.doc.id if step.doc else None,
                            step=before_status.value, action=action.key, to_status=target.value, actor_id=actor.id,
                            on_behalf_of=on_behalf_of, note=step.data.note or None, pleno_round=step.pleno_round,
                            details=step.details)
        db.session.add(row)
        db.session.flush()
    audit.record(f"lkj.{action.key}", report, actor=actor, on_behalf_of=on_behalf_of, note=step.data.note or None,
                 before={"status": before_status.value},
                 after={"status": target.value, "version": step.doc.version if step.doc else None, **step.details})
    _notify_next(report, row)
    return row


def local_date(moment: datetime) -> date:
    """The day of a stored moment in the satker's timezone."""
    return as_utc(moment).astimezone(zone(satker_timezone())).date()


def _forbidden_message(report: LkjReport, action: Action) -> str:
    spec = report_spec(report.report_code)
    who = RETURN_WHO.get(report.status) if action.key == "kembalikan" else action.who
    return {
        "rendatin": "Langkah ini dilakukan oleh Sub Bagian Rendatin.",
        "corrector": f"Langkah ini dilakukan oleh {spec.corrector_label}.",
        "signer": f"{spec.title} ditandatangani oleh {spec.signer_label}.",
        "pleno": "Hasil pleno dicatat oleh Rendatin, Sekretaris atau Ketua.",
        "pleno_reviewer": "Pengembalian dari rapat pleno dilakukan oleh Sekretaris atau Ketua.",
    }.get(who or "", "Anda tidak berwenang melakukan langkah ini.")


def users_for(report: LkjReport, who: str, on_date: date) -> list[User]:
    """People who can take the next step (to notify them)."""
    users = db.session.scalars(select(User).where(User.is_active_account.is_(True)).options(
        selectinload(User.role_rows)))
    return [u for u in users if _may(report, who, u, on_date)[0]]


def _notify_next(report: LkjReport, step: LkjReviewStep) -> None:
    from silabu.notifications.services import notify

    who = {LkjStatus.DRAFT: "rendatin", LkjStatus.KOREKSI: "corrector", LkjStatus.PLENO: "pleno",
           LkjStatus.REVISI: "rendatin", LkjStatus.PARAF: "corrector", LkjStatus.TANDA_TANGAN: "signer",
           LkjStatus.DITANDATANGANI: "rendatin"}.get(report.status)
    if who is None:
        return
    spec = report_spec(report.report_code)
    today = today_for()
    title = f"{spec.title} {report.period_label}: {report.status_label}"
    body = f"Langkah berikutnya menunggu Anda. {('Catatan: ' + step.note) if step.note else ''}".strip()
    for user in users_for(report, who, today):
        if user.id == step.actor_id:
            continue
        notify(user, "lkj", title, body, link=path_for("lkj.report", year=report.year, report_code=report.report_code,
                                                       semester=report.semester),
               key=f"lkj-step-{step.id}")


def history(report: LkjReport) -> list[LkjReviewStep]:
    return list(db.session.scalars(select(LkjReviewStep).where(LkjReviewStep.report_id == report.id)
                                   .options(selectinload(LkjReviewStep.actor), selectinload(LkjReviewStep.document))
                                   .order_by(LkjReviewStep.id)))


def step_label(step: LkjReviewStep) -> str:
    if step.action == "kompilasi":
        return f"Kompilasi versi {step.details.get('version', '')}".strip()
    if step.action == "catat_pleno":
        return f"Hasil rapat pleno ke-{step.pleno_round}"
    if step.action == "unggah_salinan":
        return "Salinan bertanda tangan diunggah"
    action = ACTIONS.get(step.action)
    if step.action == "kembalikan":
        return f"Dikembalikan ke tahap {LKJ_STATUS_LABELS[LkjStatus(step.to_status)].lower()}"
    return action.label if action else step.action
