"""Reading the verification pages' forms: raw fields in, the services' arguments out."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from silabu.accounts.models import Unit, User
from silabu.core.parsing import date_or_none, int_or_none
from silabu.extensions import db


def version(form: Mapping[str, Any]) -> int | None:
    """The entry version the verifier saw (a stale page then gets a conflict instead of overwriting)."""
    return int_or_none(form.get("version"), minimum=0)


def appointment(form: Mapping[str, Any]) -> tuple[Unit | None, User | None, date | None, date | None]:
    """The Plh/Plt form: unit, person, first and last day; what is missing is refused by the service."""
    unit = db.session.get(Unit, int_or_none(form.get("unit_id"), minimum=1) or 0)
    person = db.session.get(User, int_or_none(form.get("delegate_id"), minimum=1) or 0)
    return unit, person, date_or_none(form.get("start_date")), date_or_none(form.get("end_date"))
