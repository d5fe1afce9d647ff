"""The LKj review: draft -> koreksi -> pleno (rounds) -> revisi -> paraf -> tanda tangan -> dikirim -> arsip."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts.delegation import delegations_on
from silabu.accounts.models import Role, User
from silabu.accounts.org import satker_timezone, today_for
from silabu.core import audit
from silabu.core.clock import as_utc, utcnow, zone
from silabu.core.errors import Conflict, Forbidden, ValidationFailed
from silabu.core.links import path_for
from silabu.core.parsing import parse_date
from silabu.evidence.blobs import store_bytes
from silabu.extensions import db
from silabu.lkj.models import (
    LKJ_STATUS_LABELS,
    SIGNED_STATUSES,
    LkjDocument,
    LkjReport,
    LkjReviewStep,
    LkjStatus,
)
from silabu.lkj.services.compile import current_document, render, signed_document
from silabu.lkj.services.narrative import paraf_blockers
from silabu.lkj.services.realisasi import store_upload
from silabu.lkj.services.reports import NOTE_MAX, default_recipient, institution_title, report_spec


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
    """The actions ``user`` may take on the report as it stands."""
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
    title = step_row.on_behalf_of or institution_title(spec.corrector_label)
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
    recipient = (step.data.sent_to or "").strip() or default_recipient()
    if len(recipient) > 200:
        errors["sent_to"] = "Tujuan maksimal 200 karakter."
    if sent is not None:
        step.details.update(sent_date=sent.isoformat(), letter_number=letter, sent_to=recipient)


def _apply_send(step: Step) -> None:
    step.report.sent_date = date.fromisoformat(step.details["sent_date"])
    step.report.letter_number = step.details["letter_number"]
    step.report.sent_to = step.details["sent_to"]


def _apply_archive(step: Step) -> None:
    step.report.archived_at = utcnow()


# What each action checks beyond the common rules, and what it changes beyond the status.
CHECKS: dict[str, Callable[[Step, dict[str, str]], None]] = {
    "catat_pleno": _check_pleno, "paraf": _check_paraf, "tandatangani": _check_sign, "kirim": _check_send}
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
            sent_to: str | None = None, final_file: tuple[str, bytes] | None = None) -> LkjReviewStep:
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
                StepInput((note or "").strip(), pleno_date, sent_date, letter_number, sent_to, final_file))
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
    if action.key in APPLY:
        APPLY[action.key](step)
    report.status = target
    report.updated_at = utcnow()
    row = LkjReviewStep(report_id=report.id, document_id=step.doc.id if step.doc else None, step=before_status.value,
                        action=action.key, to_status=target.value, actor_id=actor.id, on_behalf_of=on_behalf_of,
                        note=step.data.note or None, pleno_round=step.pleno_round, details=step.details)
    db.session.add(row)
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("LKj baru saja diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
                       code="lkj_changed") from None
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
    title = f"{spec.title} {report.year}: {report.status_label}"
    body = f"Langkah berikutnya menunggu Anda. {('Catatan: ' + step.note) if step.note else ''}".strip()
    for user in users_for(report, who, today):
        if user.id == step.actor_id:
            continue
        notify(user, "lkj", title, body, link=path_for("lkj.report", year=report.year, report_code=report.report_code),
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
    action = ACTIONS.get(step.action)
    if step.action == "kembalikan":
        return f"Dikembalikan ke tahap {LKJ_STATUS_LABELS[LkjStatus(step.to_status)].lower()}"
    return action.label if action else step.action
