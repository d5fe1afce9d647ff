"""The organisation: satker (with its timezone, which decides "today") and its units, and their edits."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from silabu.accounts.models import Role, Satker, Unit, User
from silabu.core import audit
from silabu.core.clock import local_today
from silabu.core.errors import NotFound, ValidationFailed
from silabu.extensions import db


def default_satker() -> Satker | None:
    return db.session.scalar(select(Satker).order_by(Satker.id).limit(1))


def satker_timezone(unit: Unit | None = None) -> str:
    """The timezone that decides "today" and "month end" for a unit (its satker's), else the configured one."""
    if unit is not None and unit.satker is not None:
        return unit.satker.timezone
    from silabu.accounts.tenancy import current_satker

    satker = current_satker()
    return satker.timezone if satker else current_app.config["SATKER_TIMEZONE"]


def today_for(user: User | None = None) -> date:
    return local_today(satker_timezone(user.unit if user is not None else None))


def units(active_only: bool = True) -> list[Unit]:
    q = select(Unit).order_by(Unit.code)
    if active_only:
        q = q.where(Unit.is_active.is_(True))
    return list(db.session.scalars(q))


def ensure_satker(code: str, name: str, timezone: str = "Asia/Jakarta", **extra: str | None) -> Satker:
    """The satker ``code`` created or refreshed (the demo, tests). ``parent_code`` links it to that satker when
    the installation has it; ``flask create-satker`` / ``import-satker`` check the tree (accounts.satkers)."""
    parent_code = extra.pop("parent_code", None)
    if parent_code:
        parent = db.session.scalar(select(Satker).where(Satker.code == parent_code))
        extra["parent_id"] = parent.id if parent is not None else None  # type: ignore[assignment]
    if extra.get("level") in ("kabupaten", "kota"):
        extra["level"] = "kabkota"
    satker = db.session.scalar(select(Satker).where(Satker.code == code))
    if satker is None:
        satker = Satker(code=code, name=name, timezone=timezone, **extra)
        db.session.add(satker)
    else:
        satker.name, satker.timezone = name, timezone
        for k, v in extra.items():
            setattr(satker, k, v)
    db.session.flush()
    return satker


def ensure_unit(satker: Satker, code: str, name: str, parent_code: str | None = None) -> Unit:
    in_satker = select(Unit).where(Unit.satker_id == satker.id)
    unit = db.session.scalar(in_satker.where(Unit.code == code))
    parent = db.session.scalar(in_satker.where(Unit.code == parent_code)) if parent_code else None
    if unit is None:
        unit = Unit(satker_id=satker.id, code=code, name=name, parent_id=parent.id if parent else None)
        db.session.add(unit)
    else:
        unit.name, unit.parent_id = name, parent.id if parent else None
    db.session.flush()
    return unit


def import_units(rows: list[dict[str, str]], satker: Satker) -> tuple[list[str], list[str], list[tuple[int, str]]]:
    """Units of ``satker`` from rows shaped like the demo's units.csv (code, name, parent_code): created or renamed.
    Every row is checked first; with any error nothing changes. Parents may come later in the file."""
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    existing = set(db.session.scalars(select(Unit.code).where(Unit.satker_id == satker.id)))
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip().upper()
        name = " ".join((row.get("name") or "").split())
        if not re.fullmatch(r"[A-Z0-9_-]{2,20}", code):
            errors.append((line, f"Kode unit '{code}' tidak valid (2–20 huruf besar/angka, mis. KUL)."))
        elif code in seen:
            errors.append((line, f"Kode unit {code} muncul dua kali (baris {seen[code]})."))
        if not name:
            errors.append((line, "Nama unit wajib diisi."))
        elif len(name) > 200:
            errors.append((line, "Nama unit maksimal 200 karakter."))
        seen.setdefault(code, line)
    for line, row in enumerate(rows, start=2):
        parent = (row.get("parent_code") or "").strip().upper()
        if parent and parent not in seen and parent not in existing:
            errors.append((line, f"Unit induk {parent} tidak ada di berkas maupun di satker {satker.code}."))
        if parent and parent == (row.get("code") or "").strip().upper():
            errors.append((line, "Unit induk tidak boleh unit itu sendiri."))
    if errors:
        return [], [], sorted(errors)
    created, updated = [], []
    pending = list(rows)
    while pending:  # parents first, whatever the file's order
        placed = [r for r in pending if not (r.get("parent_code") or "").strip()
                  or (r.get("parent_code") or "").strip().upper() in existing]
        if not placed:  # a cycle inside the file
            return [], [], [(0, "Unit induk dalam berkas membentuk lingkaran.")]
        for row in placed:
            code = row["code"].strip().upper()
            (updated if code in existing else created).append(code)
            ensure_unit(satker, code, " ".join(row["name"].split()),
                        (row.get("parent_code") or "").strip().upper() or None)
            existing.add(code)
        pending = [r for r in pending if r not in placed]
    return created, updated, []


def _unit_descendant_ids(unit_id: int) -> set[int]:
    from silabu.core.trees import descendants

    return descendants(db.session.execute(select(Unit.id, Unit.parent_id)), unit_id)


def _unit_snapshot(unit: Unit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "parent_id": unit.parent_id,
            "requires_evidence": unit.requires_evidence, "head_verifier_id": unit.head_verifier_id,
            "is_active": unit.is_active}


def _check_unit_values(unit: Unit | None, name: str, parent_id: int | None,
                       head_verifier_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = "Nama unit wajib diisi."
    elif len(name) > 200:
        errors["name"] = "Nama unit maksimal 200 karakter."
    if parent_id is not None:
        parent = db.session.get(Unit, parent_id)
        if parent is None:
            errors["parent_id"] = "Unit induk tidak ditemukan."
        elif unit is not None and (parent.id == unit.id or parent.id in _unit_descendant_ids(unit.id)):
            errors["parent_id"] = "Unit induk tidak boleh unit ini sendiri atau unit di bawahnya."
    if head_verifier_id is not None:
        verifier = db.session.get(User, head_verifier_id)
        if verifier is None or not verifier.is_active_account:
            errors["head_verifier_id"] = "Pilih pengguna yang aktif."
        elif unit is not None and verifier.unit_id == unit.id and verifier.has_role(Role.KASUBAG):
            errors["head_verifier_id"] = ("Kepala Sub Bagian unit ini tidak dapat memverifikasi entrinya sendiri; "
                                          "pilih atasan lain atau kosongkan (Sekretaris).")
    return errors


def update_unit(unit: Unit, *, name: str, parent_id: int | None, requires_evidence: bool,
                head_verifier_id: int | None, actor: User) -> Unit:
    """Edit a unit: name, parent (no cycles), evidence requirement, who verifies its Kasubag's own entries."""
    errors = _check_unit_values(unit, name, parent_id, head_verifier_id)
    if errors:
        raise ValidationFailed(errors)
    before = _unit_snapshot(unit)
    unit.name = name.strip()
    unit.parent_id = parent_id
    unit.requires_evidence = bool(requires_evidence)
    unit.head_verifier_id = head_verifier_id
    db.session.flush()
    audit.record("unit.update", unit, actor=actor, before=before, after=_unit_snapshot(unit))
    return unit


def create_unit(*, code: str, name: str, parent_id: int | None, requires_evidence: bool,
                head_verifier_id: int | None, satker_id: int, actor: User) -> Unit:
    """Add a unit (Sub Bagian) to the satker."""
    code = (code or "").strip().upper()
    errors = _check_unit_values(None, name, parent_id, head_verifier_id)
    if not code:
        errors["code"] = "Kode unit wajib diisi."
    elif not re.fullmatch(r"[A-Z0-9_-]{2,20}", code):
        errors["code"] = "Kode unit 2–20 huruf besar/angka, mis. KUL."
    elif db.session.scalar(select(Unit).where(Unit.satker_id == satker_id, Unit.code == code)) is not None:
        errors["code"] = "Kode unit sudah dipakai di satker ini."
    if errors:
        raise ValidationFailed(errors)
    unit = Unit(satker_id=satker_id, code=code, name=name.strip(), parent_id=parent_id,
                requires_evidence=bool(requires_evidence), head_verifier_id=head_verifier_id, is_active=True)
    db.session.add(unit)
    db.session.flush()
    audit.record("unit.create", unit, actor=actor, after=_unit_snapshot(unit))
    return unit


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("Unit tidak ditemukan.")
    return unit


def user_counts_per_unit() -> dict[int, dict[str, int]]:
    """{unit_id: {"active": n, "inactive": m}}."""
    out: dict[int, dict[str, int]] = {}
    for unit_id, is_active, n in db.session.execute(
            select(User.unit_id, User.is_active_account, func.count()).group_by(User.unit_id, User.is_active_account)):
        out.setdefault(unit_id, {"active": 0, "inactive": 0})["active" if is_active else "inactive"] += n
    return out


LOGO_MAX_BYTES = 2 * 1024 * 1024
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _logo_png(data: bytes) -> bytes:
    """The uploaded logo as a PNG of at most 600 px: refused with a clear message when it is not an image."""
    import io

    from PIL import Image, UnidentifiedImageError

    if len(data) > LOGO_MAX_BYTES:
        raise ValidationFailed({"logo": "Logo paling besar 2 MB."})
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise ValidationFailed({"logo": "Logo harus berkas PNG atau JPEG."})
            img.load()
            img = img.convert("RGBA")
            img.thumbnail((600, 600))
            out = io.BytesIO()
            img.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationFailed({"logo": "Berkas logo tidak dapat dibaca sebagai gambar PNG atau JPEG."}) from None
    return out.getvalue()


def update_kop_surat(satker: Satker, *, address: str, city: str, phone: str, email: str, website: str,
                     logo: bytes | None = None, remove_logo: bool = False, actor: User | None = None) -> Satker:
    """The satker's kop surat (address, city, telephone, e-mail, website, logo): the letterhead of every PDF."""
    values = {"address": " ".join((address or "").split()), "city": " ".join((city or "").split()),
              "phone": " ".join((phone or "").split()), "email": (email or "").strip(),
              "website": (website or "").strip()}
    errors: dict[str, str] = {}
    for key, limit in (("address", 400), ("city", 100), ("phone", 60), ("email", 120), ("website", 200)):
        if len(values[key]) > limit:
            errors[key] = f"Paling panjang {limit} karakter."
    if values["email"] and not EMAIL_RE.match(values["email"]):
        errors["email"] = "Alamat email tidak valid."
    if values["website"] and (" " in values["website"] or "." not in values["website"]):
        errors["website"] = "Alamat laman tidak valid (mis. kudus.kpu.go.id)."
    png = None
    if logo:
        try:
            png = _logo_png(logo)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    before = {k: getattr(satker, k) for k in (*values, "logo_key")}
    for key, value in values.items():
        setattr(satker, key, value)
    if png is not None:
        import hashlib

        from silabu.evidence.storage import get_storage, key_for

        key = key_for(hashlib.sha256(png).hexdigest(), ".png")
        get_storage().store(key, png)
        satker.logo_key = key
    elif remove_logo:
        satker.logo_key = None
    db.session.flush()
    audit.record("satker.kop_surat", satker, actor=actor, before=before,
                 after={k: getattr(satker, k) for k in (*values, "logo_key")})
    return satker
