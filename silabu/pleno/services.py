"""The rules of the monthly pleno packet (SOP Kudus steps 4-6).

- Only Rendatin and the Sekretaris build, present or finalize (``actor=None`` is the scheduler/CLI).
- Each build is a new version of the month's packet; earlier versions stay downloadable. Once the latest
  version is final the month is frozen: no rebuild, no change.
- A build writes its files to storage first (content-addressed, invisible until referenced), then adds the
  Packet row and its files in the caller's single commit: a build killed halfway leaves no packet behind.
- Two builders at once cannot both publish the same version: the unique (period, version) key decides, and
  the loser gets a clean Conflict.
- Finalizing needs the Berita Acara number and the pleno date (not before the build, not in the future), a
  presented packet, and only the latest version can be finalized. A month with open units or verified entries
  outside the packet is finalized only with an acknowledgement and a reason (``completeness``).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from silabu.accounts.models import Role, Unit, User
from silabu.accounts.org import satker_timezone, today_for
from silabu.accounts.services import first_holder
from silabu.accounts.tenancy import current_satker
from silabu.core import audit
from silabu.core.clock import as_utc, parse_period, utcnow
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.core.formatting import bulan, tanggal
from silabu.core.parsing import date_or_none, parse_month
from silabu.core.pdf import letterhead_of
from silabu.entries.models import UnitMonth
from silabu.evidence.storage import get_storage, key_for
from silabu.extensions import db
from silabu.pleno import files as packet_files
from silabu.pleno.completeness import Completeness, counted_unit_ids, month_completeness
from silabu.pleno.models import PACKET_STATUS_LABELS, Packet, PacketFile, PacketStatus
from silabu.pleno.rollup import Rollup
from silabu.pleno.rollup import rollup as _rollup

# The admin keeps the organisation's settings, not its work: packets hold the units' entries, so no admin role here.
MANAGE_ROLES = (Role.RENDATIN, Role.SEKRETARIS)
SATKER_PACKET, PROVINCE_PACKET = "satker", "provinsi"  # Packet.kind: the satker's own month, a province's roll-up
VIEW_ROLES = (Role.RENDATIN, Role.SEKRETARIS, Role.KETUA, Role.INSPEKTORAT)
BERITA_ACARA_MAX = 120
NOTES_MAX = 5000
REASON_MAX = 2000
SUFFIXES = {packet_files.XLSX_TYPE: ".xlsx", packet_files.PDF_TYPE: ".pdf", packet_files.CSV_TYPE: ".csv",
            packet_files.ZIP_TYPE: ".zip", packet_files.JSON_TYPE: ".json"}


def can_manage(user: User | None) -> bool:
    """Builds, presents and finalizes packets: Rendatin and the Sekretaris, of their own satker only (a province
    reading a child's packets changes nothing there)."""
    from silabu.accounts.tenancy import reading_other_satker

    return user is not None and user.has_role(*MANAGE_ROLES) and reading_other_satker(user) is None


def can_view(user: User | None) -> bool:
    return user is not None and user.has_role(*VIEW_ROLES)


def require_manager(actor: User | None) -> None:
    # None is the scheduler or the command line, run by whoever operates the server.
    if actor is not None and not can_manage(actor):
        raise Forbidden("Hanya Rendatin atau Sekretaris yang dapat mengelola paket pleno.")


def assert_may_view(user: User | None) -> None:
    """Packets do not exist for those who may not see them (404), whatever else the request says."""
    if not can_view(user):
        raise NotFound("Paket pleno tidak ditemukan.")


def assert_may_manage(user: User) -> None:
    """A request's user about to change a packet: 404 when they may not see packets, 403 when they only read them
    (the Ketua). Checked before the request's body or parameters are looked at."""
    assert_may_view(user)
    require_manager(user)


def rollup(period: str) -> Rollup:
    """The month's figures as DataFrames (see ``silabu.pleno.rollup``)."""
    return _rollup(parse_month(period))


def latest_packet(period: str, kind: str = SATKER_PACKET) -> Packet | None:
    return db.session.scalar(select(Packet).where(Packet.period == period, Packet.kind == kind)
                             .options(selectinload(Packet.files)).order_by(Packet.version.desc()).limit(1))


def packet_versions(period: str, kind: str = SATKER_PACKET) -> list[Packet]:
    """Every version of the month, newest first."""
    return list(db.session.scalars(select(Packet).where(Packet.period == period, Packet.kind == kind)
                                   .options(selectinload(Packet.files)).order_by(Packet.version.desc())))


def get_packet(period: str, version: int | None = None, kind: str = SATKER_PACKET) -> Packet:
    """One version (the latest when ``version`` is None); NotFound when there is none."""
    parse_month(period)
    if version is None:
        packet = latest_packet(period, kind)
    else:
        packet = db.session.scalar(select(Packet).where(Packet.period == period, Packet.version == version,
                                                        Packet.kind == kind)
                                   .options(selectinload(Packet.files)))
    if packet is None:
        raise NotFound("Paket pleno untuk bulan ini belum ada." if version is None
                       else f"Paket pleno versi {version} tidak ditemukan.")
    return packet


def get_packet_for(user: User, period: str, version: int | None = None) -> Packet:
    """As ``get_packet``, but 404 for those who may not see packets (before the month is looked at)."""
    assert_may_view(user)
    return get_packet(period, version)


def packet_file_for(user: User, period: str, version: int, name: str) -> PacketFile:
    packet = get_packet_for(user, period, version)
    for f in packet.files:
        if f.name == name:
            return f
    raise NotFound("Berkas paket tidak ditemukan.")


def final_periods(year: int) -> list[str]:
    """Months of ``year`` with a final packet: only these feed the LKj (a correction under way keeps its month)."""
    rows = db.session.scalars(select(Packet.period).where(Packet.period.like(f"{int(year):04d}-%"),
                                                          Packet.status == PacketStatus.FINAL,
                                                          Packet.kind == SATKER_PACKET)
                              .group_by(Packet.period).order_by(Packet.period))
    return list(rows)


def final_packet(period: str, kind: str = SATKER_PACKET) -> Packet | None:
    """The final packet of a month: its newest final version (a superseded one never), or None."""
    return db.session.scalar(select(Packet).where(Packet.period == period, Packet.status == PacketStatus.FINAL,
                                                  Packet.kind == kind)
                             .options(selectinload(Packet.files)).order_by(Packet.version.desc()).limit(1))


def packets_of_year(year: int) -> dict[str, Packet]:
    """Per month of ``year``: the final packet where there is one, else the latest version (the LKj's trace)."""
    out: dict[str, Packet] = {}
    for p in db.session.scalars(select(Packet).where(Packet.period.like(f"{int(year):04d}-%"),
                                                     Packet.kind == SATKER_PACKET)
                                .order_by(Packet.period, Packet.version)):
        if p.status == PacketStatus.FINAL or out.get(p.period) is None or out[p.period].status != PacketStatus.FINAL:
            out[p.period] = p
    return out


def year_overview(year: int) -> list[dict[str, Any]]:
    """The twelve months of ``year``: latest packet, its status, and how many unit-months are closed."""
    from silabu.core.formatting import bulan

    periods = [f"{int(year):04d}-{m:02d}" for m in range(1, 13)]
    latest: dict[str, Packet] = {}
    counts: dict[str, int] = {}
    for p in db.session.scalars(select(Packet).where(Packet.period.in_(periods), Packet.kind == SATKER_PACKET).order_by(Packet.version)):
        latest[p.period] = p
        counts[p.period] = counts.get(p.period, 0) + 1
    # The one rule of which units count (``completeness.counted_unit_ids``): never the Sekretariat without staff.
    counted = {period: counted_unit_ids(period) for period in periods}
    closed_rows = db.session.execute(select(UnitMonth.period, UnitMonth.unit_id)
                                     .where(UnitMonth.period.in_(periods), UnitMonth.is_closed.is_(True))).all()
    closed: dict[str, int] = {}
    for period, unit_id in closed_rows:
        if unit_id in counted[period]:
            closed[period] = closed.get(period, 0) + 1
    out = []
    for period in periods:
        p = latest.get(period)
        out.append({"month": period, "label": bulan(period), "packet": p, "versions": counts.get(period, 0),
                    "status": p.status.value if p else None, "status_label": status_label(p),
                    "units_closed": int(closed.get(period, 0)), "units_total": len(counted[period])})
    return out


def status_label(packet: Packet | None) -> str:
    if packet is None:
        return "Belum ada paket"
    if packet.supersedes_version is not None and packet.status in (PacketStatus.DRAFT, PacketStatus.PRESENTED):
        # A correction under way: the month is still final with the version it corrects.
        return (f"Koreksi v{packet.version}: {PACKET_STATUS_LABELS[packet.status].lower()} "
                f"(v{packet.supersedes_version} tetap final)")
    if packet.status == PacketStatus.DRAFT:
        return f"Draf v{packet.version}"
    return f"{PACKET_STATUS_LABELS[packet.status]} (v{packet.version})"


def month_started(period: str, now: datetime | None = None) -> bool:
    """Whether the month has begun in the satker's timezone: a month still ahead has no work to compile."""
    today = as_utc(now).astimezone(ZoneInfo(satker_timezone())).date() if now is not None else today_for()
    return period <= f"{today:%Y-%m}"


def assert_month_started(period: str, now: datetime | None = None) -> None:
    if not month_started(period, now):
        raise Conflict(f"Bulan {bulan(period)} belum dimulai: paketnya dapat disusun setelah bulan itu berjalan.",
                       code="month_not_started")


def build_packet(period: str, actor: User | None = None, *, now: datetime | None = None,
                 correction_reason: str | None = None,
                 progress: Callable[[int, str], None] | None = None) -> Packet:
    """Compile the month and publish it as version N+1 (flushed; the caller commits).

    A final month is rebuilt only for a correction pleno: by a person, with a reason; the new version, once
    finalized with its own Berita Acara, supersedes the final one (kept). Someone who may not build is refused
    (403) before the month is looked at. ``progress(percent, message)`` hears of the steps (a background task)."""
    progress = progress or (lambda percent, message: None)
    require_manager(actor)
    parse_month(period)
    assert_month_started(period, now)
    version, supersedes, why = next_version(period, SATKER_PACKET, actor, correction_reason)
    built_at = as_utc(now) if now is not None else utcnow()

    progress(10, "Merekap entri terverifikasi bulan ini.")
    r = _rollup(period)
    data_sha = r.data_sha256()
    meta = packet_meta(period, version, built_at, data_sha)
    storage = get_storage()

    def open_blob(key: str) -> bytes | None:
        try:
            with storage.open(key) as fh:
                return fh.read()
        except (FileNotFoundError, ValueError):
            return None

    progress(30, "Menyusun berkas paket (XLSX, PDF, softfile unit, indeks bukti).")
    built, evidence_info = packet_files.build_all(r, meta, open_blob, unit_softfiles(period, meta.stem))
    progress(80, "Menyimpan berkas paket.")
    summary = r.summary()
    summary["evidence_index"] = evidence_info
    return publish_packet(period, SATKER_PACKET, version, built, summary=summary, data_sha=data_sha,
                          built_at=built_at, actor=actor, supersedes=supersedes, why=why)


def next_version(period: str, kind: str, actor: User | None, correction_reason: str | None
                 ) -> tuple[int, int | None, str]:
    """(version, the final version it would supersede, the correction's reason) of a new build of the month.

    A final month is rebuilt only for a correction pleno: by a person, with a reason; the new version, once
    finalized with its own Berita Acara, supersedes the final one (kept)."""
    latest = latest_packet(period, kind)
    why = " ".join(str(correction_reason or "").split())
    supersedes = latest.supersedes_version if latest is not None and latest.status != PacketStatus.FINAL else None
    if latest is not None and latest.status == PacketStatus.FINAL:
        if not why or actor is None:
            raise Conflict("Paket bulan ini sudah final dan tidak dapat disusun ulang; kesalahan yang ditemukan "
                           "kemudian diperbaiki lewat pleno koreksi (dengan alasan).", code="packet_final")
        if len(why) > REASON_MAX:
            raise ValidationFailed({"correction_reason": f"Alasan koreksi paling panjang {REASON_MAX} karakter."})
        supersedes = latest.version
    elif supersedes is not None:
        why = why or (latest.correction_reason or "")  # a rebuild of a correction stays that correction
    else:
        why = ""
    version = (latest.version + 1) if latest is not None else 1
    return version, supersedes, why


def publish_packet(period: str, kind: str, version: int, built: list[packet_files.BuiltFile], *, summary: dict,
                   data_sha: str, built_at: datetime, actor: User | None, supersedes: int | None, why: str) -> Packet:
    """Store the built files and add the version (flushed, audited); a lost race is a clear 409."""
    storage = get_storage()
    # Aside first: content-addressed blobs nobody refers to yet (the orphan clean-up spares young files).
    rows = []
    for f in built:
        key = key_for(f.sha256, SUFFIXES.get(f.content_type, ""))
        storage.store(key, f.data)
        rows.append(PacketFile(name=f.name, content_type=f.content_type, size=f.size, sha256=f.sha256,
                               storage_key=key))
    packet = Packet(period=period, kind=kind, version=version, status=PacketStatus.DRAFT, built_at=built_at,
                    built_by_id=actor.id if actor is not None else None, summary=summary, data_sha256=data_sha,
                    supersedes_version=supersedes, correction_reason=why or None)
    packet.files = rows
    db.session.add(packet)
    try:
        db.session.flush()
    except IntegrityError:
        # A failed flush spoils the whole transaction (and a SAVEPOINT would not help on pysqlite, whose
        # RELEASE commits): roll back so the caller's session stays usable, then report the lost race.
        db.session.rollback()
        raise Conflict("Paket bulan ini sedang disusun oleh proses lain. Muat ulang halaman beberapa saat lagi.",
                       code="packet_build_in_progress") from None
    audit.record("packet.build", packet, actor=actor,
                 after={"period": period, "kind": kind, "version": version, "data_sha256": data_sha,
                        "files": len(rows), "is_empty": summary["is_empty"], "supersedes_version": supersedes,
                        "correction_reason": why or None})
    return packet


def unit_softfiles(period: str, stem: str) -> list[packet_files.BuiltFile]:
    """Each closed counted unit's softfile PDF as its Kasubag verified and signed it (Kudus step 4 compiles them)."""
    from silabu.verification import exports
    from silabu.verification.services import month_report

    ids = counted_unit_ids(period)
    closed = db.session.execute(select(Unit, UnitMonth.closed_at).join(UnitMonth, UnitMonth.unit_id == Unit.id)
                                .where(UnitMonth.period == period, UnitMonth.is_closed.is_(True),
                                       Unit.id.in_(ids)).order_by(Unit.code)).all()
    tz = ZoneInfo(satker_timezone())
    out = []
    for unit, closed_at in closed:
        viewer = first_holder(Role.KASUBAG, unit_id=unit.id) or first_holder(Role.SEKRETARIS)
        if viewer is None:
            continue
        on_date = as_utc(closed_at).astimezone(tz).date() if closed_at else today_for()
        report = month_report(unit, period, viewer, on_date=on_date)
        out.append(packet_files.BuiltFile(f"softfile-{unit.code}-{stem}.pdf", packet_files.PDF_TYPE,
                                          exports.month_pdf(report)))
    return out


def packet_meta(period: str, version: int, built_at: datetime, data_sha: str) -> packet_files.PacketMeta:
    satker = current_satker()
    config = current_app.config
    return packet_files.PacketMeta(
        period=period, version=version, built_at=built_at, timezone=satker_timezone(),
        satker_name=satker.name if satker else "Sekretariat KPU", satker_code=satker.code if satker else "",
        satker_address=satker.address if satker else "", satker_city=(satker.city if satker else "") or "",
        data_sha256=data_sha, signatories=signatories(), base_url=config.get("BASE_URL", ""),
        zip_max_bytes=int(config.get("PACKET_ZIP_MAX_MB", 200)) * 1024 * 1024, kop=letterhead_of(satker))


def signatories() -> list[packet_files.Signatory]:
    """Kasubag Rendatin (Kasubag of unit RDI, or of the unit named Perencanaan) and the Sekretaris."""
    unit = (db.session.scalar(select(Unit).where(Unit.code == "RDI"))
            or db.session.scalar(select(Unit).where(Unit.name.ilike("%Perencanaan%")).order_by(Unit.id).limit(1)))
    kasubag = first_holder(Role.KASUBAG, unit_id=unit.id) if unit else None
    sekretaris = first_holder(Role.SEKRETARIS)
    satker = current_satker()
    unit_title = unit.name if unit else "Sub Bagian Perencanaan, Data dan Informasi"
    return [
        packet_files.Signatory(f"Kepala {unit_title}", kasubag.name if kasubag else "(belum ditetapkan)",
                               (kasubag.nip or "") if kasubag else ""),
        packet_files.Signatory(f"Sekretaris {satker.name}" if satker else "Sekretaris",
                               sekretaris.name if sekretaris else "(belum ditetapkan)",
                               (sekretaris.nip or "") if sekretaris else ""),
    ]


def _assert_latest_and_open(packet: Packet) -> None:
    if packet.status in (PacketStatus.FINAL, PacketStatus.SUPERSEDED):
        raise Conflict("Paket ini sudah final dan tidak dapat diubah.", code="packet_final")
    newer = db.session.scalar(select(func.max(Packet.version)).where(Packet.period == packet.period,
                                                                     Packet.kind == packet.kind))
    if newer is not None and newer > packet.version:
        raise Conflict(f"Sudah ada versi yang lebih baru (v{newer}); gunakan versi terbaru.", code="packet_outdated")


def mark_presented(packet: Packet, actor: User | None) -> Packet:
    """Rendatin presented this version at the Rapat Pleno Laporan Bulanan."""
    require_manager(actor)
    _assert_latest_and_open(packet)
    if packet.status == PacketStatus.PRESENTED:
        return packet
    now = utcnow()
    _guarded_update(packet, status=PacketStatus.PRESENTED, presented_at=now,
                    presented_by_id=actor.id if actor is not None else None)
    audit.record("packet.present", packet, actor=actor, before={"status": PacketStatus.DRAFT},
                 after={"status": PacketStatus.PRESENTED, "version": packet.version})
    return packet


def finalize(packet: Packet, actor: User | None, berita_acara_number: str | None, pleno_date: date | str | None,
             notes: str | None = None, *, acknowledge_incomplete: bool = False, reason: str | None = None) -> Packet:
    """Record the pleno's outcome (Berita Acara number and date, notes) and freeze the packet.

    Only a presented packet is finalized. While a counted unit is open or verified entries of the month are not
    in the packet, it is refused (``incomplete_month``) unless the pleno acknowledges it with a reason, which
    the packet keeps with what was missing (the Berita Acara and the hasil-pleno PDF print both)."""
    require_manager(actor)
    errors: dict[str, str] = {}
    number = " ".join(str(berita_acara_number or "").split())
    if not number:
        errors["berita_acara_number"] = "Nomor Berita Acara wajib diisi."
    elif len(number) > BERITA_ACARA_MAX:
        errors["berita_acara_number"] = f"Nomor Berita Acara paling panjang {BERITA_ACARA_MAX} karakter."
    day = date_or_none(pleno_date)
    year, month = parse_period(packet.period)
    today = today_for()
    built_on = as_utc(packet.built_at).astimezone(ZoneInfo(satker_timezone())).date()
    if day is None:
        errors["pleno_date"] = "Tanggal pleno wajib diisi dengan format TTTT-BB-HH."
    elif day < date(year, month, 1):
        errors["pleno_date"] = "Tanggal pleno tidak boleh sebelum bulan yang dilaporkan."
    elif day < built_on:
        errors["pleno_date"] = (f"Tanggal pleno tidak boleh sebelum paket disusun ({tanggal(built_on)}): "
                                "pleno membahas paket yang sudah ada.")
    elif day > today:
        errors["pleno_date"] = "Tanggal pleno tidak boleh di masa depan."
    text = (notes or "").strip()
    if len(text) > NOTES_MAX:
        errors["notes"] = f"Catatan paling panjang {NOTES_MAX} karakter."
    why = " ".join(str(reason or "").split())
    if acknowledge_incomplete and len(why) > REASON_MAX:
        errors["reason"] = f"Alasan paling panjang {REASON_MAX} karakter."
    if errors:
        raise ValidationFailed(errors)
    _assert_latest_and_open(packet)
    replaced = None
    if packet.supersedes_version is not None:
        replaced = get_packet(packet.period, packet.supersedes_version, packet.kind)
        if replaced.berita_acara_number and replaced.berita_acara_number.casefold() == number.casefold():
            raise ValidationFailed({"berita_acara_number": "Pleno koreksi memerlukan nomor Berita Acara sendiri "
                                                           f"(bukan {replaced.berita_acara_number})."})
    if packet.status != PacketStatus.PRESENTED:
        raise Conflict("Paket harus ditandai sudah dipaparkan di rapat pleno sebelum difinalkan.",
                       code="packet_not_presented")
    gaps = _completeness_of(packet)
    if not gaps.is_complete:
        if not acknowledge_incomplete:
            raise Conflict("Bulan ini belum lengkap: " + gaps.message + " Finalkan hanya bila pleno menyetujuinya, "
                           "dengan menyatakannya dan menuliskan alasannya.", code="incomplete_month",
                           details=gaps.as_json())
        if not why:
            raise ValidationFailed({"reason": "Alasan wajib diisi bila paket difinalkan dengan data yang belum "
                                              "lengkap; alasan ini dicatat dalam Berita Acara."})
    before = packet.status
    now = utcnow()
    _guarded_update(packet, status=PacketStatus.FINAL, finalized_at=now,
                    finalized_by_id=actor.id if actor is not None else None, berita_acara_number=number,
                    pleno_date=day, notes=text or None,
                    incomplete_reason=why if not gaps.is_complete else None,
                    incomplete_detail=gaps.as_json() if not gaps.is_complete else None)
    if replaced is not None and replaced.status == PacketStatus.FINAL:
        replaced.status = PacketStatus.SUPERSEDED
        replaced.superseded_at = now
        db.session.flush()
        audit.record("packet.supersede", replaced, actor=actor, before={"status": PacketStatus.FINAL},
                     after={"status": PacketStatus.SUPERSEDED, "by_version": packet.version,
                            "reason": packet.correction_reason})
    _issue_final_files(packet, actor)
    audit.record("packet.finalize", packet, actor=actor, before={"status": before},
                 after={"status": PacketStatus.FINAL, "version": packet.version, "berita_acara_number": number,
                        "pleno_date": day, "incomplete": None if gaps.is_complete else
                        {"reason": why, "entries_missing": gaps.entries_missing,
                         "units": [g.code for g in gaps.gaps]}})
    return packet


def _correction_text(packet: Packet) -> str:
    if packet.supersedes_version is None:
        return ""
    old = get_packet(packet.period, packet.supersedes_version, packet.kind)
    return (f"Pleno koreksi: menggantikan paket versi {old.version} (Berita Acara {old.berita_acara_number}, "
            f"{tanggal(old.pleno_date) if old.pleno_date else '-'}), yang tetap disimpan dan ditandai diganti. "
            f"Alasan koreksi: {packet.correction_reason or '-'}")


def _issue_final_files(packet: Packet, actor: User | None) -> None:
    """The hasil-pleno PDF and the final manifest, stored and added to the version's files."""
    from silabu.core.pdf import Signer
    from silabu.pleno.files.final import Outcome, build_final

    meta = packet_meta(packet.period, packet.version, as_utc(packet.built_at), packet.data_sha256)
    ketua = first_holder(Role.KETUA)
    satker = current_satker()
    chair = Signer(f"Ketua {satker.name}" if satker else "Ketua", ketua.name if ketua else "", (ketua.nip or "")
                   if ketua else "", "Mengetahui,")
    outcome = Outcome(berita_acara_number=packet.berita_acara_number or "", pleno_date=packet.pleno_date,
                      notes=packet.notes or "", finalized_at=as_utc(packet.finalized_at),
                      finalized_by=actor.name if actor is not None else "SILABU (baris perintah)",
                      presented_at=as_utc(packet.presented_at) if packet.presented_at else None,
                      incomplete_reason=packet.incomplete_reason, incomplete=packet.incomplete_detail, chair=chair,
                      correction=_correction_text(packet))
    listed = [(f.name, f.content_type, f.size, f.sha256) for f in packet.files]
    storage = get_storage()
    for f in build_final(meta, packet.summary or {}, outcome, listed):
        key = key_for(f.sha256, SUFFIXES.get(f.content_type, ""))
        storage.store(key, f.data)
        packet.files.append(PacketFile(name=f.name, content_type=f.content_type, size=f.size, sha256=f.sha256,
                                       storage_key=key))
    db.session.flush()


def _completeness_of(packet: Packet):
    """What the pleno must acknowledge before finalizing: open units of the satker's month, or, for a province's
    roll-up, the children without a final packet (``pleno.province``)."""
    if packet.kind == PROVINCE_PACKET:
        from silabu.pleno.province import children_completeness

        return children_completeness(packet.period, packet)
    return month_completeness(packet.period, packet)


def completeness(period: str, packet: Packet | None = None) -> Completeness:
    """What a build now (or ``packet``) leaves out of the month; the build page shows it beforehand."""
    parse_month(period)
    return month_completeness(period, packet)


def _guarded_update(packet: Packet, **values: Any) -> None:
    """Change a packet only while it is not final and no newer version exists (one statement, so two
    requests racing cannot both win)."""
    newer = aliased(Packet)
    result = db.session.execute(
        update(Packet).where(Packet.id == packet.id,
                             Packet.status.not_in([PacketStatus.FINAL, PacketStatus.SUPERSEDED]),
                             ~exists().where(newer.period == Packet.period, newer.kind == Packet.kind,
                                             newer.satker_id == Packet.satker_id, newer.version > Packet.version))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("Paket telah berubah (sudah final atau ada versi baru). Muat ulang halaman.",
                       code="packet_changed")
    db.session.refresh(packet)
