"""Column helpers shared by every domain's models."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.orm import Mapped, mapped_column

from silabu.core.clock import utcnow


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    """Enums stored as plain strings (values, not names) so both databases agree without native types."""
    return Enum(enum_cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e],
                validate_strings=True)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
