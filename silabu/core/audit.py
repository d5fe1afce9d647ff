"""The audit log: every state change, who, when, what, before and after. Append-only for the app."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from silabu.core.models import created_at_column
from silabu.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = created_at_column()
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # "a.n. Sub Bagian Keuangan" when an acting verifier (Plh/Plt) acted for a unit.
    on_behalf_of: Mapped[Optional[str]] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[Optional[int]] = mapped_column(Integer)
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[Optional[str]] = mapped_column(Text)

    actor = relationship("User")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.object_type}:{self.object_id}>"


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_change(mapper, connection, target) -> None:  # noqa: ANN001
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
                    actor_id=getattr(actor, "id", None), before=_jsonable(before), after=_jsonable(after),
                    note=note, on_behalf_of=on_behalf_of)
    db.session.add(ev)
    return ev


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
