"""Reading the admin pages' forms: raw form fields in, the domains' inputs out; the rules stay in the services."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from silabu.accounts.models import User
from silabu.accounts.services import UserData
from silabu.core.parsing import int_or_none

USER_FIELDS = ("nip", "username", "name", "jabatan", "golongan", "employment", "unit", "email", "division")


def user_data(form: Any) -> UserData:
    """The account form as the accounts service takes it."""
    return UserData(name=form.get("name", ""), unit_code=form.get("unit", ""), roles=form.getlist("roles"),
                    nip=form.get("nip") or None, username=form.get("username") or None,
                    jabatan=form.get("jabatan", ""), golongan=form.get("golongan", ""),
                    employment=form.get("employment") or None, email=form.get("email", ""),
                    division=form.get("division", "") if "division" in form else None)


def values_of(user: User) -> dict:
    """An account as the form shows it."""
    return {"nip": user.nip or "", "username": user.username or "", "name": user.name, "jabatan": user.jabatan,
            "golongan": user.golongan, "employment": user.employment.value if user.employment else "",
            "unit": user.unit.code, "roles": sorted(user.roles), "email": user.email,
            "division": user.division_of("komisioner") or ""}


def values_from_form(form: Any) -> dict:
    """The account form as typed, to show it again next to its errors."""
    values = {k: form.get(k, "") for k in USER_FIELDS}
    values["roles"] = form.getlist("roles")
    return values


def unit_values(form: Mapping[str, Any]) -> dict:
    """The unit form as the organisation service takes it."""
    return {"code": form.get("code", ""), "name": form.get("name", ""),
            "parent_id": int_or_none(form.get("parent_id"), minimum=1),
            "requires_evidence": form.get("requires_evidence") == "1",
            "head_verifier_id": int_or_none(form.get("head_verifier_id"), minimum=1)}
