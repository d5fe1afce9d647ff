"""Compiling a version of the LKj (DOCX + PDF with its verification code), and finding it by that code."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import threading
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from silabu.accounts.models import Role, User
from silabu.accounts.org import today_for
from silabu.accounts.services import first_holder, users_with_role
from silabu.accounts.tenancy import current_satker
from silabu.catalog.models import Indicator
from silabu.core import audit
from silabu.core.clock import utcnow
from silabu.core.errors import Conflict, NotFound, ValidationFailed
from silabu.core.links import absolute_url, path_for
from silabu.evidence.blobs import store_bytes
from silabu.extensions import db
from silabu.lkj import capaian as calc
from silabu.lkj.models import LkjDocument, LkjReport, LkjReviewStep, ManualRealisasi
from silabu.lkj.services import budget as budget_service
from silabu.lkj.services.indicators import indicators_for
from silabu.lkj.services.periods import final_periods, latest_packets, period_spec
from silabu.lkj.services.realisasi import indicator_data, ro_closure
from silabu.lkj.services.reports import (
    corrector_title,
    ensure_report,
    get_report,
    institution_title,
    is_planning_komisioner,
    normalise_period,
    normalise_report_code,
    report_codes,
    report_spec,
    subject_name,
)
from silabu.lkj.services.tabel import (
    HISTORY_YEARS,
    CapaianRow,
    TabelCapaian,
    attach_previous,
    capaian_row,
    current_bands,
    renstra_capaian,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 8


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _row_snapshot(row: CapaianRow) -> dict[str, Any]:
    return {"target": _dec(row.target), "realisasi": _dec(row.realisasi), "capaian": _dec(row.capaian),
            "kategori": row.kategori, "reason": row.reason, "months_counted": row.months_counted,
            "months_in_period": row.months_in_period, "warnings": [w.as_json() for w in row.warnings]}


def _person(role: Role, unit_code: str | None = None) -> dict[str, str]:
    user = _holder(role) if role == Role.KOMISIONER else first_holder(role, unit_code=unit_code)
    return {"name": user.name if user else "", "nip": (user.nip or "") if user else ""}


def _pk_party(spec) -> dict[str, str]:
    """Pihak Kedua of the Perjanjian Kinerja: the Ketua for the Sekretariat's PK (in SILABU); for the KPU's own PK
    the Ketua of the level above, who is not a SILABU user (a dotted line to write on)."""
    from silabu.accounts.tenancy import current_satker

    if spec.sekretariat:
        return {"label": institution_title("Ketua"), **_person(Role.KETUA)}
    from silabu.accounts.models import Satker

    satker = current_satker()
    parent_code = getattr(satker, "parent_code", None) if satker else None
    parent = db.session.scalar(select(Satker).where(Satker.code == parent_code)) if parent_code else None
    label = f"Ketua {parent.name}" if parent is not None and parent.name else "Ketua KPU tingkat di atasnya"
    return {"label": label, "name": "", "nip": ""}


def _holder(role: Role) -> User | None:
    """The komisioner of the planning division, whose division the initialler's title names (else None)."""
    if role != Role.KOMISIONER:
        return None
    return next((u for u in users_with_role(role) if is_planning_komisioner(u)), None)


def _within(data: Any, months: tuple[int, ...]) -> Any:
    """The indicator's figures with the months outside ``months`` unknown: a semester report reads only its own."""
    return dataclasses.replace(data, months=[v if m in months else None for m, v in enumerate(data.months, start=1)],
                               mismatched=[v if m in months else 0 for m, v in enumerate(data.mismatched, start=1)])


def _period_snapshot(year: int, period: str) -> dict[str, Any]:
    spec = period_spec(year, period)
    label = LkjReport(year=year, period=period).period_label
    return {"key": period, "semester": int(period[1:]) if period != "tahun" else None, "label": label,
            "months": list(spec.months)}


def semester_citations(year: int, report_code: str) -> list[dict[str, Any]]:
    """The semester reports the annual one cites: per semester report that has a compiled version, the version
    cited (the signed one, else the latest), its status, signing date and each indicator's realisasi in it."""
    from silabu.lkj.services.review import local_date

    out = []
    for period in ("s1", "s2"):
        report = get_report(year, report_code, period)
        if report is None or not report.current_version:
            continue
        version = report.signed_version or report.current_version
        doc = db.session.scalar(select(LkjDocument).where(LkjDocument.report_id == report.id,
                                                          LkjDocument.version == version))
        if doc is None:
            continue
        out.append({"period": period, "label": report.period_label, "status": report.status.value,
                    "status_label": report.status_label, "version": doc.version, "signed": doc.is_signed,
                    "signed_date": local_date(doc.signed_at).isoformat() if doc.signed_at else None,
                    "verification_code": doc.verification_code,
                    "realisasi": {r["code"]: r["realisasi"] for r in (doc.data or {}).get("rows") or []}})
    return out


def build_snapshot(year: int, report_code: str, period: str | int | None = "tahun") -> dict[str, Any]:
    """Everything the document shows, as plain JSON: the figures are frozen with the version that uses them.

    ``period``: the annual report ("tahun") or a semester report ("s1", "s2"), which reads only the months of
    its semester (realisasi, final months, Rencana Aksi targets of the semester) and compares no earlier years."""

    report_code = normalise_report_code(report_code)
    period = normalise_period(period)
    spec = report_spec(report_code)
    satker = current_satker()
    bands = current_bands()
    indicators = indicators_for(year, report_code)
    data = indicator_data(indicators, year)
    report_period = period_spec(year, period)
    if period != "tahun":
        data = {k: _within(v, report_period.months) for k, v in data.items()}
    in_period = {f"{year:04d}-{m:02d}" for m in report_period.months}
    table = TabelCapaian(year, report_code, report_period, [], bands,
                         [p for p in final_periods(year) if p in in_period])
    table.rows = [capaian_row(data[i.id], table.period, bands) for i in indicators]
    attach_previous(table, bands, years=HISTORY_YEARS if period == "tahun" else 0)
    sub_periods = [period_spec(year, k) for k in ("tw1", "tw2", "tw3", "tw4", "s1", "s2")]
    packets = latest_packets(year)
    rows = []
    for ind, row in zip(indicators, table.rows):
        renstra = renstra_capaian(row, year, ind.target_renstra)
        rows.append({
            "indicator_id": ind.id, "sasaran_code": row.sasaran_code, "sasaran": row.sasaran, "code": row.code,
            "name": row.name, "unit": row.unit, "polarity": row.polarity, "consolidation": row.consolidation,
            "source": row.source, "measure": row.measure, "output_codes": row.output_codes,
            "target_year": _dec(ind.target_year),
            "target_renstra": _dec(ind.target_renstra),
            **_row_snapshot(row),
            "months": [_dec(v) for v in row.months],
            "periods": {p.key: {"label": p.label, **_row_snapshot(capaian_row(data[ind.id], p, bands))} for p in sub_periods},
            "rencana_aksi": {f"{k[0]}{k[1]}": str(v) for k, v in sorted(data[ind.id].targets.items())},
            "previous": None if row.previous is None else {
                "year": row.previous.year, "target": _dec(row.previous.target),
                "realisasi": _dec(row.previous.realisasi), "capaian": _dec(row.previous.capaian),
                "kategori": row.previous.kategori},
            "history": [{"year": h.year, "target": _dec(h.target), "realisasi": _dec(h.realisasi),
                         "capaian": _dec(h.capaian), "kategori": h.kategori} for h in row.history],
            "renstra": {"target": _dec(renstra.target), "realisasi": _dec(renstra.realisasi),
                        "capaian": _dec(renstra.capaian), "from_year": renstra.from_year,
                        "cumulative": renstra.cumulative},
        })
    manual = [{"indicator_code": r.indicator.code, "period": r.period, "value": str(r.value), "note": r.note,
               "evidence_name": r.evidence_name, "evidence_sha256": r.evidence_sha256}
              for r in db.session.scalars(select(ManualRealisasi).join(Indicator)
                                          .where(Indicator.year == year, Indicator.report_code == report_code)
                                          .order_by(Indicator.position, Indicator.code, ManualRealisasi.period))
              if r.period in in_period]
    measurable = [Decimal(r["capaian"]) for r in rows if r["capaian"] is not None]
    # The headline average says what it includes: every measurable row, and again without the flagged ones.
    unflagged = [Decimal(r["capaian"]) for r in rows if r["capaian"] is not None and not r["warnings"]]
    by_kategori = {b.label: sum(1 for r in rows if r["kategori"] == b.label) for b in bands}
    sasaran_codes: dict[tuple[str, str], set[int]] = {}
    for ind in indicators:
        sasaran_codes.setdefault((ind.sasaran_code, ind.sasaran), set()).update(data[ind.id].code_ids)
    budget = budget_service.budget_snapshot(year, [(c, n, ids) for (c, n), ids in sasaran_codes.items()],
                                            ro_closure())
    extra: dict[str, Any] = {}
    if period == "tahun":
        extra["semesters"] = semester_citations(year, report_code)
    return {
        "year": year, "report_code": report_code, "title": spec.title, "subject": subject_name(spec),
        "period": _period_snapshot(year, period), **extra,
        "satker": {"name": satker.name if satker else "", "city": (satker.city if satker else "") or "",
                   "address": (satker.address if satker else "") or "", "level": satker.level if satker else "",
                   "phone": (getattr(satker, "phone", "") or "") if satker else "",
                   "email": (getattr(satker, "email", "") or "") if satker else "",
                   "website": (getattr(satker, "website", "") or "") if satker else ""},
        "pk_party": _pk_party(spec),
        "history_years": table.history_years,
        "budget": budget,
        "signer": {"label": institution_title(spec.signer_label), **_person(spec.signer_role)},
        "corrector": {"label": corrector_title(spec.corrector_label, _holder(spec.corrector_role)),
                      **_person(spec.corrector_role, spec.corrector_unit)},
        "final_periods": table.final_periods,
        "bands": [{"min": _dec(b.minimum), "label": b.label, "range": calc.describe_band(b, bands)} for b in bands],
        "rows": rows,
        "previous_year": table.previous_year,
        "packets": [{"period": p, "version": packets[p].version, "berita_acara_number": packets[p].berita_acara_number,
                     "pleno_date": packets[p].pleno_date.isoformat() if packets[p].pleno_date else None,
                     "data_sha256": packets[p].data_sha256} for p in table.final_periods if p in packets],
        "manual": manual,
        "summary": {"indicators": len(rows), "sasaran": len({(r["sasaran_code"], r["sasaran"]) for r in rows}),
                    "measurable": len(measurable), "not_measurable": len(rows) - len(measurable),
                    "average_capaian": _dec(calc.round2(sum(measurable, Decimal(0)) / len(measurable)))
                    if measurable else None,
                    "by_kategori": by_kategori,
                    "flagged": [r["code"] for r in rows if r["warnings"]],
                    "flagged_measurable": [r["code"] for r in rows if r["warnings"] and r["capaian"] is not None],
                    "unflagged_measurable": len(unflagged),
                    "average_unflagged": _dec(calc.round2(sum(unflagged, Decimal(0)) / len(unflagged)))
                    if unflagged else None},
    }


def snapshot_sha256(snapshot: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def verification_url(code: str) -> str:
    return absolute_url(path_for("lkj.verify", code=code))


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) == CODE_LENGTH else code


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        # Unique across every satker of the installation: the public verification page finds it by the code alone.
        if db.session.scalar(select(LkjDocument.id).where(LkjDocument.verification_code == code)
                             .execution_options(all_satkers=True)) is None:
            return code


def render(snapshot: Mapping[str, Any], narrative: Mapping[str, str], *, version: int | None, code: str | None,
           status_label: str, compiled_at: datetime,
           signed: Mapping[str, Any] | None = None) -> tuple[bytes, bytes]:
    """The DOCX and the PDF of one version (or of a preview, without version and code); ``signed``: the final one."""
    from silabu.lkj.document import DocumentMeta, render_docx, render_pdf

    meta = DocumentMeta(version=version, code=format_code(code) if code else None,
                        url=verification_url(code) if code else None, status_label=status_label,
                        compiled_at=compiled_at, signed=signed)
    return render_docx(snapshot, narrative, meta), render_pdf(snapshot, narrative, meta)


def compile_report(year: int, report_code: str, actor: User | None = None,
                   period: str | int | None = "tahun", *,
                   progress: Callable[[int, str], None] | None = None) -> LkjDocument:
    """Compile a new version of the LKj from the current data and narrative: DOCX + PDF with a verification code.

    ``period``: "tahun" (the annual report) or a semester, "s1"/"s2" (or 1/2). ``progress(percent, message)``
    hears of the steps (a background task)."""
    progress = progress or (lambda percent, message: None)
    report = ensure_report(year, report_code, period)
    if report.is_signed:
        raise Conflict("LKj sudah ditandatangani; versi yang ditandatangani tidak dapat dikompilasi ulang.",
                       code="lkj_signed")
    if not indicators_for(year, report.report_code):
        raise ValidationFailed({"indicators": f"Belum ada indikator {report.report_code} untuk tahun {year}. "
                                              "Impor atau tambahkan Perjanjian Kinerja terlebih dahulu."})
    progress(10, "Menghitung capaian indikator dan anggaran.")
    snapshot = build_snapshot(year, report.report_code, report.period)
    narrative = dict(report.narrative or {})
    version = report.current_version + 1
    code = _new_code()
    compiled_at = utcnow()
    progress(40, "Menyusun dokumen DOCX dan PDF.")
    docx_bytes, pdf_bytes = render(snapshot, narrative, version=version, code=code,
                                   status_label=f"Draf versi {version}", compiled_at=compiled_at)
    progress(85, "Menyimpan versi dokumen.")
    docx_key, docx_sha, docx_size = store_bytes(docx_bytes, ".docx")
    pdf_key, pdf_sha, pdf_size = store_bytes(pdf_bytes, ".pdf")
    doc = LkjDocument(report_id=report.id, version=version, compiled_at=compiled_at,
                      compiled_by_id=getattr(actor, "id", None), narrative=narrative, data=snapshot,
                      data_sha256=snapshot_sha256(snapshot), verification_code=code, docx_key=docx_key,
                      docx_sha256=docx_sha, docx_size=docx_size, pdf_key=pdf_key, pdf_sha256=pdf_sha,
                      pdf_size=pdf_size)
    try:
        with db.session.begin_nested():
            db.session.add(doc)
            db.session.flush()
    except IntegrityError:
        raise Conflict("Versi ini baru saja dikompilasi oleh proses lain. Muat ulang halaman.") from None
    report.current_version = version
    report.updated_at = utcnow()
    db.session.add(LkjReviewStep(report_id=report.id, document_id=doc.id, step=report.status.value,
                                 action="kompilasi", to_status=report.status.value, actor_id=getattr(actor, "id", None),
                                 details={"version": version, "pdf_sha256": pdf_sha, "docx_sha256": docx_sha}))
    db.session.flush()
    audit.record("lkj.compile", report, actor=actor,
                 after={"period": report.period, "version": version, "verification_code": code, "pdf_sha256": pdf_sha, "docx_sha256": docx_sha,
                        "data_sha256": doc.data_sha256})
    return doc


def compile_first_draft(year: int, actor: User | None = None) -> list[LkjDocument]:
    """The year-end job: compile version 1 of every report of ``year`` that has indicators and no version yet.

    Idempotent: a report that already has a compiled version is left alone, so the job may run again.
    """
    created = []
    for code in report_codes(year):
        if not indicators_for(year, code):
            continue
        report = get_report(year, code)
        if report is not None and report.current_version > 0:
            continue
        try:
            created.append(compile_report(year, code, actor))
        except Conflict:  # another scheduler process compiled it at the same moment
            continue
    return created


def first_draft_due(today: date) -> int | None:
    """The year whose first draft the job compiles on ``today`` (config LKJ_FIRST_DRAFT_MONTH, default January)."""
    month = int(current_app.config.get("LKJ_FIRST_DRAFT_MONTH", 1) or 1)
    return today.year - 1 if today.month >= month else None


def render_preview(year: int, report_code: str, fmt: str, period: str | int | None = "tahun") -> bytes:
    """The document as it would be compiled now, without storing a version (for the API's document.docx)."""
    report_code = normalise_report_code(report_code)
    period = normalise_period(period)
    if not indicators_for(year, report_code):
        raise NotFound(f"Belum ada indikator {report_code} untuk tahun {year}.")
    report = get_report(year, report_code, period)
    snapshot = build_snapshot(year, report_code, period)
    narrative = dict(report.narrative or {}) if report else {}
    # The same figures and text give the same preview: kept for the next reader instead of rendered again.
    key = (fmt, snapshot_sha256({"snapshot": snapshot, "narrative": narrative, "day": today_for().isoformat()}))
    with _PREVIEW_LOCK:
        cached = _PREVIEWS.get(key)
    if cached is not None:
        return cached
    from silabu.lkj.document import DocumentMeta, render_docx, render_pdf

    meta = DocumentMeta(version=None, code=None, url=None, status_label="Pratinjau draf (data terkini)",
                        compiled_at=utcnow())
    data = render_docx(snapshot, narrative, meta) if fmt == "docx" else render_pdf(snapshot, narrative, meta)
    with _PREVIEW_LOCK:
        _PREVIEWS[key] = data
        while len(_PREVIEWS) > PREVIEWS_KEPT:
            _PREVIEWS.pop(next(iter(_PREVIEWS)))
    return data


PREVIEWS_KEPT = 8
_PREVIEWS: dict[tuple[str, str], bytes] = {}
_PREVIEW_LOCK = threading.Lock()


def get_document(report: LkjReport, version: int | str) -> LkjDocument:
    try:
        number_ = int(version)
    except (TypeError, ValueError):
        number_ = -1
    doc = db.session.scalar(select(LkjDocument).where(LkjDocument.report_id == report.id,
                                                      LkjDocument.version == number_))
    if doc is None:
        raise NotFound("Versi dokumen tidak ditemukan.")
    return doc


def current_document(report: LkjReport) -> LkjDocument | None:
    if not report.current_version:
        return None
    return get_document(report, report.current_version)


def signed_document(report: LkjReport) -> LkjDocument | None:
    if report.signed_version is None:
        return None
    return get_document(report, report.signed_version)


def document_by_code(code: str) -> LkjDocument:
    """The compiled version a verification code (as printed, with or without dash) belongs to."""
    clean = "".join(ch for ch in str(code or "").upper() if ch.isalnum())
    if len(clean) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in clean):
        raise NotFound("Kode verifikasi tidak dikenal.")
    doc = db.session.scalar(select(LkjDocument).where(LkjDocument.verification_code == clean)
                            .options(selectinload(LkjDocument.report)).execution_options(all_satkers=True))
    if doc is None:
        raise NotFound("Kode verifikasi tidak dikenal.")
    return doc


def match_file(doc: LkjDocument, data: bytes) -> str | None:
    """Which file of the version these bytes are ("pdf", "docx", "final"), by sha256; None when none."""
    sha = hashlib.sha256(data or b"").hexdigest()
    for name, value in (("pdf", doc.pdf_sha256), ("docx", doc.docx_sha256), ("final", doc.final_sha256)):
        if value and value == sha:
            return name
    return None
