"""The rules of a daily entry. Pages, the API and uploads all come through here.

- A new entry is dated today or earlier (satker time), in a month its unit has not closed.
- It may change or be deleted only while it is a draft or returned, and its month is open.
- A verified entry never changes; a closed unit-month locks all its entries.
"""
from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from silabu.accounts.access import assert_can_view_entry
from silabu.accounts.models import User
from silabu.accounts.org import today_for
from silabu.catalog.calendar import MonthCalendar
from silabu.catalog.models import OutputCode
from silabu.catalog.services import check_usable
from silabu.core import audit
from silabu.core.clock import parse_period, period_of, utcnow
from silabu.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from silabu.core.parsing import date_or_none, decimal_or_none, visible_text
from silabu.entries.compliance import DayTally, tally
from silabu.entries.models import ACTIVITY_MAX, OUTPUT_MAX, STATUS_LABELS, UNIT_MAX, Entry, EntryStatus, UnitMonth
from silabu.entries.months import assert_unlocked, month_is_closed, read_unit_month
from silabu.extensions import db

QUANTITY_MAX = Decimal("1000000")
OLDEST_DAYS = 400  # no entries for days more than about a year back


@dataclass
class EntryInput:
    entry_date: date
    output_code_id: int
    activity: str
    output: str
    quantity: Decimal
    unit_of_measure: str
    start_time: time | None = None
    end_time: time | None = None
    warnings: list[str] = field(default_factory=list)
    output_code: OutputCode | None = None  # the row looked up, so showing the new entry need not read it again


def _parse_time(value: Any) -> time | None | str:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    text = str(value).strip()
    try:
        hh, mm = text.split(":")[:2]
        return time(int(hh), int(mm))
    except (TypeError, ValueError):
        return "invalid"


def validate_input(user: User, raw: Mapping[str, Any], *, current: Entry | None = None) -> EntryInput:
    """Turn raw form/API data into a valid EntryInput, or raise ValidationFailed with a message per field."""
    errors: dict[str, str] = {}

    def value(key: str, *alts: str) -> Any:
        for k in (key, *alts):
            if k in raw:
                return raw[k]
        if current is not None:
            return _current_value(current, key)
        return None

    today = today_for(user)
    entry_date = date_or_none(value("entry_date"))
    if entry_date is None:
        errors["entry_date"] = "Tanggal wajib diisi dengan format TTTT-BB-HH."
    elif entry_date > today:
        errors["entry_date"] = "Tanggal tidak boleh di masa depan."
    elif entry_date < today - timedelta(days=OLDEST_DAYS):
        errors["entry_date"] = "Tanggal terlalu jauh ke belakang."
    lock_unit = user.unit_id if current is None else current.unit_id
    period = period_of(entry_date) if entry_date is not None and "entry_date" not in errors else None

    output_code_id = None
    oc = None
    month: tuple[UnitMonth | None] | None = None  # the unit-month row, when the code's statement read it
    code_value = value("output_code")
    if isinstance(code_value, str) or code_value is None:
        found, month = _code_and_month(code_value or "", lock_unit, period, user.unit.satker_id)
        try:
            oc = check_usable(found)
            output_code_id = oc.id
        except ValidationFailed as exc:
            errors.update(exc.fields if code_value else {"output_code": "Kode output wajib dipilih."})
            oc = None
    else:
        errors["output_code"] = "Kode output tidak dikenal."

    if period is not None:
        closed = bool(month[0] and month[0].is_closed) if month is not None else month_is_closed(lock_unit, period)
        if closed:
            if current is not None and current.period == period:
                # The entry's own month closed while this edit was on its way: the lock's 409, not a field error.
                assert_unlocked(current)
            errors["entry_date"] = "Bulan pada tanggal ini sudah ditutup oleh verifikator."

    activity = visible_text(value("activity"))
    if not activity:
        errors["activity"] = "Uraian kegiatan wajib diisi."
    elif len(activity) > ACTIVITY_MAX:
        errors["activity"] = f"Uraian kegiatan maksimal {ACTIVITY_MAX} karakter (sekarang {len(activity)})."
    output = visible_text(value("output"))
    if not output:
        errors["output"] = "Hasil/output kegiatan wajib diisi."
    elif len(output) > OUTPUT_MAX:
        errors["output"] = f"Output maksimal {OUTPUT_MAX} karakter (sekarang {len(output)})."

    quantity = decimal_or_none(value("quantity"))
    if quantity is None:
        errors["quantity"] = "Jumlah wajib diisi dengan angka."
    elif quantity <= 0:
        errors["quantity"] = "Jumlah harus lebih dari 0."
    elif quantity > QUANTITY_MAX:
        errors["quantity"] = "Jumlah terlalu besar."
    elif quantity != quantity.quantize(Decimal("0.01")):
        errors["quantity"] = "Jumlah paling banyak dua angka di belakang koma."

    unit = visible_text(value("unit", "unit_of_measure")) or (oc.default_unit if oc else "")
    if not unit:
        errors["unit"] = "Satuan wajib diisi (mis. Dokumen, Kegiatan, Laporan)."
    elif len(unit) > UNIT_MAX:
        errors["unit"] = f"Satuan maksimal {UNIT_MAX} karakter."

    start = _parse_time(value("start_time"))
    end = _parse_time(value("end_time"))
    if start == "invalid":
        errors["start_time"] = "Jam mulai harus berformat JJ:MM."
    if end == "invalid":
        errors["end_time"] = "Jam selesai harus berformat JJ:MM."
    if isinstance(start, time) and isinstance(end, time) and end <= start:
        errors["end_time"] = "Jam selesai harus setelah jam mulai."

    if errors:
        raise ValidationFailed(errors)
    result = EntryInput(entry_date=entry_date, output_code_id=output_code_id, activity=activity, output=output,
                        quantity=quantity, unit_of_measure=unit, start_time=start, end_time=end, output_code=oc)
    if not MonthCalendar(entry_date.year, entry_date.month).is_working_day(entry_date):
        result.warnings.append("Tanggal ini bukan hari kerja; kegiatan tetap dicatat.")
    return result


def _code_and_month(code: str, unit_id: int, period: str | None, satker_id: int) -> tuple[OutputCode | None,
                                                                       tuple[UnitMonth | None] | None]:
    """The output code and the unit-month row the new date falls in, read in one statement (a create's hot path)
    and from the database now, as ``month_is_closed`` reads it. The month comes back as a 1-tuple, or None when
    it was not read (no period yet, or no such code: the caller asks ``month_is_closed``). The code is one of the
    ASN's own satker's catalogue."""
    code = (code or "").strip()
    if period is None:
        return db.session.scalar(select(OutputCode).where(OutputCode.code == code,
                                                          OutputCode.satker_id == satker_id)), None
    row = db.session.execute(
        select(OutputCode, UnitMonth).select_from(OutputCode)
        .outerjoin(UnitMonth, and_(UnitMonth.unit_id == unit_id, UnitMonth.period == period))
        .where(OutputCode.code == code, OutputCode.satker_id == satker_id)
        .execution_options(populate_existing=True)).first()
    if row is None:
        return None, None
    return row[0], (row[1],)


def _current_value(entry: Entry, key: str) -> Any:
    return {"entry_date": entry.entry_date, "output_code": entry.output_code.code, "activity": entry.activity,
            "output": entry.output, "quantity": entry.quantity, "unit": entry.unit_of_measure,
            "start_time": entry.start_time, "end_time": entry.end_time}.get(key)


def _snapshot(entry: Entry) -> dict[str, Any]:
    return {"entry_date": entry.entry_date, "output_code_id": entry.output_code_id, "activity": entry.activity,
            "output": entry.output, "quantity": str(entry.quantity), "unit": entry.unit_of_measure,
            "start_time": entry.start_time, "end_time": entry.end_time, "status": entry.status}


class PossibleDuplicate(Conflict):
    """The same date, output code and activity as an entry the user already has: saved only when confirmed."""

    code = "possible_duplicate"

    def __init__(self, existing: Entry) -> None:
        super().__init__(f"Sudah ada entri tanggal {existing.entry_date:%d/%m/%Y} dengan kode output dan uraian "
                         f"kegiatan yang sama (status '{STATUS_LABELS[existing.status]}'). Simpan juga entri ini?")
        self.existing = existing


def create_entry(user: User, raw: Mapping[str, Any], *, client_uuid: str | None = None,
                 confirm_duplicate: bool = False) -> tuple[Entry, bool]:
    """Create a draft entry for ``user``; returns (entry, created). A repeated ``client_uuid`` returns the first;
    the same date, output code and activity as an existing entry raises PossibleDuplicate unless confirmed."""
    if client_uuid is not None:
        client_uuid = _normalise_uuid(client_uuid)
    resent, duplicate = _prior_entry(user, raw, client_uuid, with_duplicates=not confirm_duplicate)
    if resent is not None:
        return resent, False
    data = validate_input(user, raw)
    if duplicate is not None:
        raise PossibleDuplicate(duplicate)
    entry = Entry(user_id=user.id, unit_id=user.unit_id, entry_date=data.entry_date, period=period_of(data.entry_date),
                  output_code_id=data.output_code_id, activity=data.activity, output=data.output,
                  quantity=data.quantity, unit_of_measure=data.unit_of_measure, start_time=data.start_time,
                  end_time=data.end_time, status=EntryStatus.DRAFT, client_uuid=client_uuid)
    try:
        # Only an offline entry (client_uuid) can lose a race to its own copy; a savepoint costs two statements.
        with db.session.begin_nested() if client_uuid else nullcontext():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        # Two copies of the same offline entry arrived at once: the other one won.
        existing = _by_client_uuid(user, client_uuid) if client_uuid else None
        if existing is None:
            raise
        return existing, False
    # A new entry has no evidence yet, and its month is the row just checked: nothing to load when it is shown.
    set_committed_value(entry, "evidence", [])
    set_committed_value(entry, "output_code", data.output_code)
    set_committed_value(entry, "unit_month", read_unit_month(entry.unit_id, entry.period))
    entry.warnings = data.warnings  # type: ignore[attr-defined]
    audit.record("entry.create", entry, actor=user, after=_snapshot(entry))
    return entry, True


def _normalise_uuid(value: str) -> str:
    try:
        return str(uuidlib.UUID(str(value)))
    except (TypeError, ValueError):
        raise ValidationFailed({"client_uuid": "client_uuid harus UUID yang sah."}) from None


def _prior_entry(user: User, raw: Mapping[str, Any], client_uuid: str | None, *,
                 with_duplicates: bool) -> tuple[Entry | None, Entry | None]:
    """One query for both earlier entries that matter to a new one: the one this ``client_uuid`` already created
    (a resend) and one with the same date, output code and activity (a possible duplicate)."""
    conditions = []
    if client_uuid is not None:
        conditions.append(Entry.client_uuid == client_uuid)
    day = date_or_none(raw.get("entry_date"))
    code = raw.get("output_code")
    activity = visible_text(raw.get("activity"))
    if with_duplicates and day is not None and isinstance(code, str) and code.strip() and activity:
        conditions.append(and_(Entry.period == period_of(day), Entry.entry_date == day,
                               OutputCode.code == code.strip(),
                               func.lower(Entry.activity) == activity.lower()))
    if not conditions:
        return None, None
    order = [case((Entry.client_uuid == client_uuid, 0), else_=1)] if client_uuid is not None else []
    rows = list(db.session.scalars(
        select(Entry).join(OutputCode, Entry.output_code_id == OutputCode.id)
        .where(Entry.user_id == user.id, or_(*conditions)).order_by(*order, Entry.id).limit(2)))
    resent = next((e for e in rows if client_uuid is not None and e.client_uuid == client_uuid), None)
    duplicate = next((e for e in rows if e is not resent), None) if with_duplicates else None
    return resent, duplicate


def _by_client_uuid(user: User, client_uuid: str) -> Entry | None:
    return db.session.scalar(select(Entry).where(Entry.user_id == user.id, Entry.client_uuid == client_uuid))


def version_conflict(entry: Entry, message: str | None = None) -> Conflict:
    """The 409 of a lost race: what the entry is now, so the client can show it without another request."""
    return Conflict(message or (f"Entri ini baru saja diubah oleh pengguna lain; statusnya sekarang "
                                f"'{STATUS_LABELS[entry.status]}'. Muat ulang lalu periksa kembali."),
                    code="version_conflict",
                    details={"current": {"id": entry.id, "status": entry.status.value, "version": entry.version,
                                         "locked": entry.is_locked}})


def write(entry: Entry, **changes: Any) -> None:
    """Change an entry under its version: when someone else changed it first (another tab, a verifier, the month
    being closed), nothing is written and a version conflict says what the entry is now.

    Every write bumps the version, even one that changes no column (``touch``); the attributes are set inside a
    savepoint, so a lost race leaves the request's transaction usable.
    """
    try:
        with db.session.begin_nested():
            for key, value in changes.items():
                setattr(entry, key, value)
            entry.updated_at = utcnow()
            flag_modified(entry, "updated_at")  # written even when the clock shows the same instant
            db.session.flush()
    except StaleDataError:
        db.session.refresh(entry)
        raise version_conflict(entry) from None


def touch(entry: Entry) -> None:
    """Bump the entry's version (its evidence changed): a close of its month meanwhile makes this a conflict."""
    write(entry)


def assert_editable(entry: Entry) -> None:
    """The one place that says whether an entry (or its evidence) may change."""
    assert_unlocked(entry)
    if entry.status == EntryStatus.VERIFIED:
        raise Conflict("Entri sudah diverifikasi dan tidak dapat diubah.", code="entry_verified")
    if entry.status == EntryStatus.SUBMITTED:
        raise Conflict("Entri sedang menunggu verifikasi dan tidak dapat diubah.", code="entry_submitted")


def assert_logs_entries(user: User) -> None:
    """The daily-log form is for those who log: an account without the ASN role is told so (403), not shown it."""
    from silabu.accounts.models import Role

    if not user.has_role(Role.ASN):
        raise Forbidden("Akun ini tidak mencatat kegiatan harian (tidak memiliki peran ASN), jadi tidak dapat "
                        "membuat entri. Buka Beranda untuk tugas Anda.")


def assert_owner(entry: Entry, actor: User) -> None:
    if entry.user_id != actor.id:
        raise NotFound("Entri tidak ditemukan.")


def update_entry(entry: Entry, actor: User, raw: Mapping[str, Any]) -> Entry:
    assert_owner(entry, actor)
    assert_editable(entry)
    before = _snapshot(entry)
    data = validate_input(actor, raw, current=entry)
    write(entry, entry_date=data.entry_date, period=period_of(data.entry_date), output_code_id=data.output_code_id,
          activity=data.activity, output=data.output, quantity=data.quantity, unit_of_measure=data.unit_of_measure,
          start_time=data.start_time, end_time=data.end_time)
    entry.warnings = data.warnings  # type: ignore[attr-defined]
    audit.record("entry.update", entry, actor=actor, before=before, after=_snapshot(entry))
    return entry


def delete_entry(entry: Entry, actor: User) -> None:
    assert_owner(entry, actor)
    assert_editable(entry)
    from silabu.entries.evidence import delete_all_evidence

    delete_all_evidence(entry, actor)  # their files go once the deletion is committed
    audit.record("entry.delete", entry, actor=actor, before=_snapshot(entry))
    try:
        with db.session.begin_nested():
            db.session.delete(entry)
            db.session.flush()
    except StaleDataError:
        db.session.refresh(entry)
        raise version_conflict(entry) from None


def submit_entry(entry: Entry, actor: User) -> Entry:
    """Hand a draft or returned entry to the verifier."""
    assert_owner(entry, actor)
    assert_editable(entry)
    if entry.unit.requires_evidence and not entry.evidence:
        raise ValidationFailed({"evidence": "Unit Anda mewajibkan bukti dukung: lampirkan minimal satu berkas."})
    before = entry.status
    write(entry, status=EntryStatus.SUBMITTED, submitted_at=utcnow())
    audit.record("entry.resubmit" if before == EntryStatus.RETURNED else "entry.submit", entry, actor=actor,
                 before={"status": before}, after={"status": entry.status})
    return entry


def withdraw_entry(entry: Entry, actor: User) -> Entry:
    """The owner takes a submitted entry, not yet verified or returned, back to draft."""
    assert_owner(entry, actor)
    assert_unlocked(entry)
    if entry.status != EntryStatus.SUBMITTED:
        raise Conflict(f"Hanya entri yang sedang menunggu verifikasi yang dapat ditarik kembali; entri ini berstatus "
                       f"'{STATUS_LABELS[entry.status]}'.", code="not_submitted")
    write(entry, status=EntryStatus.DRAFT, submitted_at=None)
    audit.record("entry.withdraw", entry, actor=actor, before={"status": EntryStatus.SUBMITTED},
                 after={"status": entry.status})
    return entry


def submit_many(entries: list[Entry], actor: User) -> tuple[int, list[str]]:
    done, problems = 0, []
    for entry in entries:
        try:
            with db.session.begin_nested():
                submit_entry(entry, actor)
            done += 1
        except (Conflict, ValidationFailed, NotFound) as exc:
            problems.append(f"{entry.entry_date:%d/%m}: {exc.message}")
    return done, problems


def get_entry_for(user: User, entry_id: int) -> Entry:
    """The entry if ``user`` may see it; 404 otherwise (never reveal that it exists), except the 403 of
    ``assert_can_view_entry`` for an entry they read in another form."""
    entry = db.session.get(Entry, entry_id)
    if entry is None:
        raise NotFound("Entri tidak ditemukan.")
    assert_can_view_entry(user, entry, today_for(user))
    return entry


def entries_of(user_id: int, period: str | None = None, *, status: EntryStatus | None = None,
               output_code_id: int | None = None, q: str | None = None) -> list[Entry]:
    query = select(Entry).where(Entry.user_id == user_id).options(selectinload(Entry.evidence),
                                                                    selectinload(Entry.output_code),
                                                                    selectinload(Entry.unit_month))
    if period:
        query = query.where(Entry.period == period)
    if status:
        query = query.where(Entry.status == status)
    if output_code_id:
        query = query.where(Entry.output_code_id == output_code_id)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(func.lower(Entry.activity).like(like) | func.lower(Entry.output).like(like))
    return list(db.session.scalars(query.order_by(Entry.entry_date.desc(), Entry.id.desc())))


@dataclass
class Owed:
    """What the ASN still owes: the home page's answer."""

    today: date
    today_entries: list[Entry]
    returned: list[Entry]
    drafts: list[Entry]
    days: DayTally

    @property
    def empty_days(self) -> list[date]:
        return self.days.empty_days


def month_tally(entries: list[Entry], period: str, today: date) -> DayTally:
    """Filled and empty working days of one person's month, as of ``today`` (``entries.compliance``)."""
    year, month = parse_period(period)
    return tally(MonthCalendar(year, month), today, ((e.entry_date, e.status) for e in entries))


def owed_for(user: User) -> Owed:
    today = today_for(user)
    period = period_of(today)
    month_entries = entries_of(user.id, period)
    returned = list(db.session.scalars(select(Entry).where(Entry.user_id == user.id,
                                                           Entry.status == EntryStatus.RETURNED)
                                       .options(selectinload(Entry.output_code)).order_by(Entry.entry_date)))
    drafts = [e for e in month_entries if e.status == EntryStatus.DRAFT]
    return Owed(today=today, today_entries=[e for e in month_entries if e.entry_date == today], returned=returned,
                drafts=drafts, days=month_tally(month_entries, period, today))


def prefill_from(entry: Entry, today: date) -> dict[str, Any]:
    """Form values to log the same kind of work again ("use again", "copy yesterday")."""
    return {"entry_date": today, "output_code": entry.output_code.code, "activity": entry.activity,
            "output": entry.output, "quantity": entry.quantity, "unit": entry.unit_of_measure,
            "start_time": entry.start_time, "end_time": entry.end_time}


def latest_before(user: User, day: date) -> Entry | None:
    return db.session.scalar(select(Entry).where(Entry.user_id == user.id, Entry.entry_date < day)
                             .order_by(Entry.entry_date.desc(), Entry.id.desc()).limit(1))


def latest_day_before(user: User, day: date) -> list[Entry]:
    """Every entry of the user's latest day with entries before ``day`` ("copy yesterday" offers a choice)."""
    latest = select(func.max(Entry.entry_date)).where(Entry.user_id == user.id, Entry.entry_date < day)
    return list(db.session.scalars(select(Entry).where(Entry.user_id == user.id,
                                                       Entry.entry_date == latest.scalar_subquery())
                                   .options(selectinload(Entry.output_code)).order_by(Entry.id)))


def month_bounds(period: str) -> tuple[date, date]:
    year, month = parse_period(period)
    cal = MonthCalendar(year, month)
    return cal.first, cal.last


HISTORY_LABELS = {
    "entry.create": "Dibuat", "entry.update": "Diubah", "entry.submit": "Diajukan",
    "entry.resubmit": "Diajukan ulang", "entry.withdraw": "Ditarik kembali", "entry.verify": "Diverifikasi",
    "entry.return": "Dikembalikan", "entry.delete": "Dihapus", "unit_month.close": "Bulan ditutup",
    "unit_month.reopen": "Bulan dibuka kembali", "unit_month.verify_all": "Verifikasi sekaligus",
}


def action_label(action: str) -> str:
    """How the entry's history names an audit action."""
    return HISTORY_LABELS.get(action, action)
