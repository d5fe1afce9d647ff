"""The audit log: every state change, who, when, what, before and after. Append-only for the app."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.clock import zone
from silabu.core.models import created_at_column
from silabu.core.parsing import int_or_none, parse_date
from silabu.extensions import db

if TYPE_CHECKING:
    from silabu.accounts.models import User



class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = created_at_column()
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The satker whose trail holds the event (accounts.tenancy): its Inspektorat and Sekretaris read it.
    satker_id: Mapped[int | None] = mapped_column(ForeignKey("satker.id"), index=True)
    # "a.n. Sub Bagian Keuangan" when an acting verifier (Plh/Plt) acted for a unit.
    on_behalf_of: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly("Log audit tidak dapat diubah atau dihapus.")


def record(action: str, obj: Any = None, *, actor: Any = None, before: dict | None = None,
           after: dict | None = None, note: str | None = None, on_behalf_of: str | None = None,
           object_type: str | None = None, object_id: int | None = None) -> AuditEvent:
    """Add one audit event to the session; the caller's transaction commits it with the change."""
    if obj is not None:
        if obj.id is None:
            db.session.flush()
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else obj.id
    ev = AuditEvent(action=action, object_type=object_type or "", object_id=object_id,
                    actor_id=getattr(actor, "id", None), satker_id=_scope_satker_id(actor), before=_jsonable(before), after=_jsonable(after),
                    note=note, on_behalf_of=on_behalf_of)
    db.session.add(ev)
    return ev


def record_refusal(action: str, *, actor: Any, object_type: str, object_id: int | None = None,
                   after: dict | None = None, note: str | None = None) -> None:
    """Keep a refused attempt in the log even though the request that made it rolls back: written at once, on a
    connection of its own (separation-of-duties refusals must be visible to the Inspektorat)."""
    from silabu.core.clock import utcnow

    with db.engine.begin() as conn:
        conn.execute(AuditEvent.__table__.insert().values(
            at=utcnow(), actor_id=getattr(actor, "id", None), satker_id=_scope_satker_id(actor), action=action, object_type=object_type,
            object_id=object_id, before=None, after=_jsonable(after), note=note, on_behalf_of=None))


def _scope_satker_id(actor: Any) -> int | None:
    """The trail an event belongs to: the work's satker (the scope), else the actor's, else the installation's first."""
    from silabu.accounts.tenancy import current_satker_id, scope_ids

    ids = scope_ids()
    unit = getattr(actor, "unit", None)
    if not (ids and len(ids) == 1) and unit is not None:
        return unit.satker_id
    with db.session.no_autoflush:
        return current_satker_id()


def history(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.object_type == object_type,
                                                               AuditEvent.object_id == object_id)
                                   .order_by(AuditEvent.at, AuditEvent.id)))


def _jsonable(data: dict | None) -> dict | None:
    if data is None:
        return None
    out = {}
    for k, v in data.items():
        if hasattr(v, "value") and not isinstance(v, (int, float, str)):
            v = v.value
        elif hasattr(v, "isoformat"):
            v = v.isoformat()
        elif v is not None and not isinstance(v, (int, float, str, bool, list, dict)):
            v = str(v)
        out[k] = v
    return out


# The admin reads the log to see who changed what and when. The content of a person's work (what an entry says, a
# return note, an evidence file's name) is for its owner, their verifiers and the Sekretaris (DOMAIN.md), who read it
# on the entry itself: in the log only the fields below are shown with their values; any other field of these objects
# shows that it changed, not what it says.
WORK_FIELDS_SHOWN: dict[str, frozenset[str]] = {
    "entries": frozenset({"entry_date", "output_code_id", "quantity", "unit", "status", "return_count"}),
    "evidence": frozenset({"entry_id", "kind", "content_type", "size", "sha256", "original_sha256", "taken_at"}),
}
HIDDEN = "(isi pekerjaan, tidak ditampilkan)"


@dataclass(frozen=True)
class EventView:
    """One event as the audit page shows it."""

    event: AuditEvent
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None


def event_view(ev: AuditEvent) -> EventView:
    shown = WORK_FIELDS_SHOWN.get(ev.object_type)
    if shown is None:
        return EventView(ev, ev.before, ev.after, ev.note)

    def mask(values: dict[str, Any] | None) -> dict[str, Any] | None:
        if values is None:
            return None
        return {k: (v if k in shown or v is None else HIDDEN) for k, v in values.items()}

    return EventView(ev, mask(ev.before), mask(ev.after), HIDDEN if ev.note else None)


@dataclass
class AuditFilter:
    action: str = ""
    actor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def parse_audit_filter(args: dict[str, str]) -> tuple[AuditFilter, dict[str, str]]:
    """Filter values from the query string, with a message per field that could not be read."""
    f, errors = AuditFilter(), {}
    f.action = (args.get("action") or "").strip()[:40]
    actor = (args.get("actor") or "").strip()
    if actor:
        f.actor_id = int_or_none(actor, minimum=1)
        if f.actor_id is None:
            errors["actor"] = "Pengguna tidak valid."
    f.date_from = parse_date(args.get("date_from"), "date_from", "Tanggal awal", errors, required=False)
    f.date_to = parse_date(args.get("date_to"), "date_to", "Tanggal akhir", errors, required=False)
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors["date_to"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
    return f, errors


def audit_events(f: AuditFilter, tz_name: str, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """The latest audit events matching ``f`` (dates in the satker's timezone), newest first, and the total."""
    query = select(AuditEvent)
    if f.action:
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    if f.actor_id:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    tz = zone(tz_name)
    # Bounds go in as UTC: SQLite keeps the stored UTC wall time and would compare a local one as-is.
    if f.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(f.date_from, time(), tz).astimezone(UTC))
    if f.date_to:
        query = query.where(AuditEvent.at < datetime.combine(f.date_to + timedelta(days=1), time(), tz)
                            .astimezone(UTC))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def audit_action_names() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
