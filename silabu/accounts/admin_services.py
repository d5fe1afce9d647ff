"""Rules behind the admin pages that the accounts and catalog services do not cover themselves:
admin-only guards (no self-demotion, no self-reset), unit and output-code edits, the RKA/DIPA paste,
the working-calendar additions, and the read-side queries of the admin pages."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import and_, func, or_, select

from silabu.accounts import services as accounts
from silabu.accounts.models import ApiToken, Employment, Role, Unit, User, UserRole
from silabu.catalog.calendar import national_holidays, suggested_cuti_bersama
from silabu.catalog.models import CODE_LEVELS, ClosureKind, Indicator, OfficeDay, OutputCode
from silabu.catalog.services import CatalogImportReport, import_output_codes, set_office_day
from silabu.core import audit
from silabu.core.clock import as_utc, utcnow, zone
from silabu.core.errors import Conflict, NotFound, ValidationFailed
from silabu.extensions import db

KIND_LABELS = {
    ClosureKind.CUTI_BERSAMA: "Cuti bersama",
    ClosureKind.CLOSURE: "Kantor tutup",
    ClosureKind.WORKDAY: "Hari kerja tambahan",
}
LEVEL_LABELS = {"program": "Program", "kegiatan": "Kegiatan", "kro": "KRO", "ro": "RO"}

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PNS_GOLONGAN_RE = re.compile(r"^(I|II|III)/[a-d]$|^IV/[a-e]$")
PPPK_GOLONGAN = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
                 "XVI", "XVII"}
PASTE_MAX_LINES = 5000
YEAR_MIN, YEAR_MAX = 2000, 2100


# ---------------------------------------------------------------- users

def _normalise_golongan(value: str) -> str:
    """'iii.a', 'III a', 'III / a' -> 'III/a'; PPPK 'ix' -> 'IX'."""
    value = (value or "").strip()
    m = re.fullmatch(r"([IVXivx]+)\s*[/.\s-]?\s*([a-eA-E])?", value)
    if not m:
        return value
    return m.group(1).upper() + (f"/{m.group(2).lower()}" if m.group(2) else "")


def _admin_field_problems(data: accounts.UserData) -> dict[str, str]:
    """Checks the admin form makes on top of the account rules: lengths, e-mail shape, golongan."""
    errors: dict[str, str] = {}
    if len(data.jabatan or "") > 150:
        errors["jabatan"] = "Jabatan maksimal 150 karakter."
    email = (data.email or "").strip()
    if len(email) > 200:
        errors["email"] = "Alamat e-mail maksimal 200 karakter."
    elif email and not EMAIL_RE.match(email):
        errors["email"] = "Alamat e-mail tidak valid."
    golongan = _normalise_golongan(data.golongan)
    data.golongan = golongan
    employment = (data.employment or "").strip().upper()
    if golongan:
        if employment == Employment.PNS.value and not PNS_GOLONGAN_RE.match(golongan):
            errors["golongan"] = "Golongan PNS ditulis seperti III/a (I/a–IV/e)."
        elif employment == Employment.PPPK.value and golongan not in PPPK_GOLONGAN:
            errors["golongan"] = "Golongan PPPK ditulis dengan angka Romawi I–XVII, mis. IX."
        elif not employment and len(golongan) > 10:
            errors["golongan"] = "Golongan maksimal 10 karakter."
    return errors


def create_user_by_admin(data: accounts.UserData, *, actor: User) -> tuple[User, str]:
    """Create an account from the admin form: a generated initial password that must be changed at first login."""
    data.password = None
    extra = _admin_field_problems(data)
    try:
        with db.session.begin_nested():
            user, password = accounts.create_user(data, actor=actor, must_change_password=True)
            if extra:
                raise ValidationFailed(extra)
    except ValidationFailed as exc:
        raise ValidationFailed({**exc.fields, **extra}) from None
    return user, password


def update_user_by_admin(user: User, data: accounts.UserData, *, actor: User) -> User:
    """Edit an account; an admin cannot take the admin role away from their own account."""
    extra = _admin_field_problems(data)
    if actor.id == user.id:
        try:
            roles = accounts.parse_roles(data.roles)
        except ValidationFailed:
            roles = set()
        if roles and Role.ADMIN not in roles:
            extra["roles"] = "Anda tidak dapat mencabut peran Admin dari akun Anda sendiri."
    try:
        with db.session.begin_nested():
            accounts.update_user(user, data, actor=actor)
            if extra:
                raise ValidationFailed(extra)
    except ValidationFailed as exc:
        raise ValidationFailed({**exc.fields, **extra}) from None
    return user


def reset_password_by_admin(user: User, *, actor: User) -> str:
    """A temporary password for someone else; the admin changes their own through the normal form."""
    if actor.id == user.id:
        raise Conflict("Gunakan menu Ganti kata sandi untuk akun Anda sendiri.")
    return accounts.reset_password(user, actor=actor)


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_user_token(user: User, token_id: int, *, actor: User) -> ApiToken:
    """Revoke one of ``user``'s tokens (404 when the token belongs to someone else)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("Token tidak ditemukan.")
    if row.revoked_at is not None:
        raise Conflict("Token ini sudah dicabut.")
    accounts.revoke_token(row, actor=actor)
    return row


def revoke_all_user_tokens(user: User, *, actor: User) -> int:
    """Revoke every live token of ``user``; returns how many were live."""
    live = [t for t in user_tokens(user) if t.revoked_at is None]
    accounts.revoke_tokens(user)
    if live:
        audit.record("token.revoke_all", user, actor=actor, after={"revoked": len(live)})
    return len(live)


@dataclass
class UserFilter:
    q: str = ""
    unit_id: int | None = None
    role: str = ""
    active: str = ""  # "1" active only, "0" inactive only, "" all


def search_users(f: UserFilter, *, page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    """Users matching the list filters (name/NIP/username search, unit, role, active), and the total."""
    query = select(User)
    if f.q:
        like = f"%{f.q.strip().lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.nip.like(like),
                                func.lower(User.username).like(like)))
    if f.unit_id:
        query = query.where(User.unit_id == f.unit_id)
    if f.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == Role(f.role))))
    if f.active == "1":
        query = query.where(User.is_active_account.is_(True))
    elif f.active == "0":
        query = query.where(User.is_active_account.is_(False))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(User.name, User.id).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def users_for_logins(logins: Iterable[str]) -> dict[str, User]:
    out = {}
    for login in logins:
        user = accounts.find_login(login)
        if user is not None:
            out[login] = user
    return out


def passwords_csv(rows: list[tuple[str, str, str, str]]) -> str:
    """The one-time password sheet (login, nama, unit, kata sandi awal) as CSV text for the admin to download."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["login", "nama", "unit", "kata_sandi_awal"])
    writer.writerows(rows)
    return buf.getvalue()


# ---------------------------------------------------------------- table uploads

@dataclass
class Table:
    """The data rows of an uploaded table and, for each, its line (CSV) or row (XLSX) in the file."""
    rows: list[dict[str, str]]
    lines: list[int]

    def relabel(self, errors: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Import services number rows as if no blank line existed (first data row = 2); give the file's own."""
        if len(self.lines) != len(self.rows):
            return errors
        return [(self.lines[n - 2] if 2 <= n < len(self.lines) + 2 else n, msg) for n, msg in errors]


def require_columns(table: Table, required: list[tuple[str, ...]], field: str = "file") -> None:
    """Refuse a table that is empty or lacks a column (each tuple lists accepted spellings of one column)."""
    rows = table.rows
    if not rows:
        raise ValidationFailed({field: "Berkas tidak berisi baris data (baris pertama harus judul kolom)."})
    present = set().union(*(r.keys() for r in rows))
    missing = [names[0] for names in required if not present & set(names)]
    if missing:
        raise ValidationFailed({field: "Kolom wajib tidak ditemukan: " + ", ".join(missing)
                                       + ". Periksa baris judul kolom."})


def read_upload(filename: str, content: bytes, field: str = "file") -> Table:
    """Rows of an uploaded CSV/XLSX; refuses other kinds and unreadable files with a message for ``field``."""
    name = (filename or "").strip().lower()
    if not name:
        raise ValidationFailed({field: "Pilih berkas CSV atau XLSX untuk diunggah."})
    if not name.endswith((".csv", ".xlsx", ".xlsm", ".txt")):
        raise ValidationFailed({field: "Unggah berkas CSV atau XLSX."})
    if not content:
        raise ValidationFailed({field: "Berkas kosong."})
    is_xlsx = name.endswith((".xlsx", ".xlsm")) or content[:2] == b"PK"
    if name.endswith(".csv") and content[:2] == b"PK":
        raise ValidationFailed({field: "Berkas ini bukan CSV. Simpan sebagai CSV atau unggah sebagai XLSX."})
    try:
        lines = _xlsx_lines(content, field) if is_xlsx else _csv_lines(content, field)
        rows = accounts.read_table(filename, content)
    except ValidationFailed as exc:
        raise ValidationFailed({field: "; ".join(exc.fields.values()) or exc.message}) from None
    except Exception as exc:  # noqa: BLE001 - a damaged upload is the user's file, not a server error
        raise ValidationFailed({field: "Berkas tidak dapat dibaca sebagai tabel CSV/XLSX."}) from exc
    return Table(rows, lines)


def _csv_text(content: bytes) -> tuple[str, str]:
    """The text and delimiter exactly as ``read_table`` decides them."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    sample = text[:2000]
    return text, (";" if sample.count(";") > sample.count(",") else ",")


def _csv_lines(content: bytes, field: str) -> list[int]:
    """The starting line of each non-blank record; refuses records with more cells than the header."""
    text, delimiter = _csv_text(content)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader, [])
    lines, too_wide = [], []
    previous = reader.line_num
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
            too_wide.append(start)
        if any(v.strip() for v in record):
            lines.append(start)
    if too_wide:
        shown = ", ".join(str(n) for n in too_wide[:10]) + (" …" if len(too_wide) > 10 else "")
        raise ValidationFailed({field: f"Baris {shown} berisi lebih banyak kolom daripada baris judul. Periksa pemisah "
                                       "(koma/titik koma) dan beri tanda kutip pada isian yang mengandung pemisah."})
    return lines


def _xlsx_lines(content: bytes, field: str) -> list[int]:
    """The sheet row of each non-blank data row; refuses NIPs typed as numbers."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001
        raise ValidationFailed({field: "Berkas XLSX tidak dapat dibaca."}) from None
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    if not rows:
        return []
    header = [str(h or "").strip().lower() for h in rows[0]]
    _refuse_numeric_nips(header, rows[1:], field)
    return [number for number, row in enumerate(rows[1:], start=2)
            if row is not None and not all(v in (None, "") for v in row)]


def _refuse_numeric_nips(header: list[str], rows: list[tuple], field: str) -> None:
    """An 18-digit NIP typed as a number is rounded by the spreadsheet (a float keeps ~15 digits), which turns it
    into another, possibly valid, NIP. Refuse the file instead of importing the wrong person."""
    if "nip" not in header:
        return
    col = header.index("nip")
    bad = [number for number, row in enumerate(rows, start=2)
           if row is not None and col < len(row) and isinstance(row[col], (int, float))
           and not isinstance(row[col], bool) and abs(row[col]) >= 10 ** 15]
    if bad:
        lines = ", ".join(str(n) for n in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise ValidationFailed({field: f"Kolom NIP berisi angka, bukan teks (baris {lines}). Spreadsheet membulatkan "
                                       "angka 18 digit sehingga NIP berubah. Format kolom NIP sebagai Teks, ketik "
                                       "ulang NIP-nya, lalu unggah lagi."})


USER_COLUMNS = [("name",), ("unit_code", "unit"), ("nip", "username", "email")]
CODE_COLUMNS = [("code", "kode"), ("name", "nama", "uraian")]
INDICATOR_COLUMNS = [("report",), ("indicator_code",), ("indicator",), ("target_year",)]


# ---------------------------------------------------------------- units

def _unit_descendant_ids(unit_id: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for uid, parent in db.session.execute(select(Unit.id, Unit.parent_id)):
        children.setdefault(parent, []).append(uid)
    out, stack = set(), [unit_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out


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
    elif db.session.scalar(select(Unit).where(Unit.code == code)) is not None:
        errors["code"] = "Kode unit sudah dipakai."
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


# ---------------------------------------------------------------- output codes

def get_output_code(code_id: int) -> OutputCode:
    oc = db.session.get(OutputCode, code_id)
    if oc is None:
        raise NotFound("Kode output tidak ditemukan.")
    return oc


def list_output_codes(q: str = "", active: str = "") -> list[OutputCode]:
    """The catalogue in code order (so parents precede their children), optionally searched and filtered."""
    query = select(OutputCode)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(OutputCode.code).like(like), func.lower(OutputCode.name).like(like)))
    if active == "1":
        query = query.where(OutputCode.is_active.is_(True))
    elif active == "0":
        query = query.where(OutputCode.is_active.is_(False))
    return list(db.session.scalars(query.order_by(OutputCode.code)))


def update_output_code(oc: OutputCode, *, name: str, default_unit: str, actor: User) -> OutputCode:
    """Rename a code or change its usual unit of measure (entries keep their own recorded unit)."""
    name, default_unit = (name or "").strip(), (default_unit or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Nama kode output wajib diisi."
    elif len(name) > 300:
        errors["name"] = "Nama maksimal 300 karakter."
    if len(default_unit) > 50:
        errors["default_unit"] = "Satuan maksimal 50 karakter."
    if errors:
        raise ValidationFailed(errors)
    before = {"name": oc.name, "default_unit": oc.default_unit}
    oc.name, oc.default_unit = name, default_unit
    db.session.flush()
    audit.record("output_code.update", oc, actor=actor, before=before, after={"name": name, "default_unit": default_unit})
    return oc


def set_output_code_active(oc: OutputCode, active: bool, *, actor: User) -> int:
    """(De)activate a code. Deactivating also deactivates the codes under it; existing entries keep theirs.
    Returns how many codes changed."""
    targets = [oc]
    if not active:
        targets += list(db.session.scalars(select(OutputCode).where(OutputCode.code.like(oc.code + ".%"),
                                                                    OutputCode.is_active.is_(True))))
    changed = [t for t in targets if t.is_active != active]
    for t in changed:
        t.is_active = active
    db.session.flush()
    audit.record("output_code.activate" if active else "output_code.deactivate", oc, actor=actor,
                 before={"is_active": not active}, after={"is_active": active, "codes": [t.code for t in changed]})
    return len(changed)


CODE_LIKE = re.compile(r"^\d[\w-]*(\.[\w-]+)+$")
HEADER_WORDS = {"code", "kode", "kode output", "kode_output", "kode kegiatan", "no", "kd"}


def _split_paste_line(line: str) -> list[str]:
    if "\t" in line:
        parts = line.split("\t")
    elif ";" in line:
        parts = next(csv.reader([line], delimiter=";"))
    elif "," in line:
        parts = next(csv.reader([line], delimiter=","))
    else:
        # No separator: "076.01.WA.4499.EBA.962 Layanan Umum" as copied from a PDF.
        parts = line.strip().split(None, 1)
        if not CODE_LIKE.match(parts[0]):
            return [line.strip()]
    parts = [p.strip().strip('"').strip() for p in parts]
    while parts and not parts[-1]:
        parts.pop()
    return parts


def parse_code_paste(text: str) -> tuple[list[dict[str, str]], list[int], list[tuple[int, str]]]:
    """Lines ``code<TAB|;|,>name[<sep>default_unit[<sep>level]]`` -> rows for ``import_output_codes``,
    the text line of each row, and the lines that could not be read."""
    rows: list[dict[str, str]] = []
    line_numbers: list[int] = []
    errors: list[tuple[int, str]] = []
    first = True
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = _split_paste_line(raw)
        if first:
            first = False
            if parts and parts[0].strip().lower() in HEADER_WORDS:
                continue
        if len(parts) < 2:
            errors.append((number, "tidak ada pemisah antara kode dan nama (gunakan TAB, titik koma atau koma)"))
            continue
        level = ""
        if len(parts) == 4 and parts[3].lower() in CODE_LEVELS.values():
            level = parts.pop().lower()
        if len(parts) > 3:
            errors.append((number, "terlalu banyak kolom; format: kode, nama, satuan (beri tanda kutip pada nama "
                                   "yang mengandung koma, atau pisahkan dengan TAB)"))
            continue
        code = re.sub(r"\s*\.\s*", ".", parts[0]).upper()
        rows.append({"code": code, "name": parts[1], "default_unit": parts[2] if len(parts) > 2 else "",
                     "level": level})
        line_numbers.append(number)
    return rows, line_numbers, errors


def import_output_code_text(text: str, *, actor: User) -> CatalogImportReport:
    """Import a pasted RKA/DIPA list; errors carry the pasted text's line numbers."""
    if not (text or "").strip():
        raise ValidationFailed({"text": "Tempelkan daftar kode output terlebih dahulu."})
    if len(text.splitlines()) > PASTE_MAX_LINES:
        raise ValidationFailed({"text": f"Paling banyak {PASTE_MAX_LINES} baris sekali tempel."})
    rows, line_numbers, errors = parse_code_paste(text)
    if not rows:
        first = errors[0] if errors else (1, "tidak ada baris kode")
        raise ValidationFailed({"text": f"Tidak ada baris yang dapat dibaca (baris {first[0]}: {first[1]})."})
    report = import_output_codes(rows, actor=actor)
    # import_output_codes numbers rows as file lines (first data row = 2); map them back to the pasted lines.
    report.errors = sorted(errors + [(line_numbers[n - 2], msg) for n, msg in report.errors])
    return report


# ---------------------------------------------------------------- working calendar

def parse_year(value: str | int | None, default: int) -> int:
    try:
        year = int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise ValidationFailed({"year": "Tahun tidak valid."}) from None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationFailed({"year": f"Tahun harus antara {YEAR_MIN} dan {YEAR_MAX}."})
    return year


def office_days(year: int) -> list[OfficeDay]:
    return list(db.session.scalars(select(OfficeDay).where(OfficeDay.day >= date(year, 1, 1),
                                                           OfficeDay.day <= date(year, 12, 31))
                                   .order_by(OfficeDay.day)))


def add_office_day(day_text: str, kind_text: str, name: str, *, actor: User) -> OfficeDay:
    """Set a cuti bersama, an office closure or an extra working day, refusing ones that change nothing."""
    errors: dict[str, str] = {}
    day = None
    try:
        day = date.fromisoformat((day_text or "").strip())
    except ValueError:
        errors["day"] = "Tanggal tidak valid."
    if day is not None and not YEAR_MIN <= day.year <= YEAR_MAX:
        errors["day"] = f"Tanggal harus antara tahun {YEAR_MIN} dan {YEAR_MAX}."
        day = None
    try:
        kind = ClosureKind((kind_text or "").strip())
    except ValueError:
        kind = None
        errors["kind"] = "Pilih jenis: cuti bersama, kantor tutup, atau hari kerja tambahan."
    name = (name or "").strip()
    if not name:
        errors["name"] = "Keterangan wajib diisi."
    elif len(name) > 200:
        errors["name"] = "Keterangan maksimal 200 karakter."
    if day is not None and kind is not None:
        holiday = national_holidays(day.year).get(day)
        off_anyway = day.weekday() >= 5 or holiday is not None
        if kind == ClosureKind.WORKDAY and not off_anyway:
            errors["kind"] = "Tanggal ini sudah hari kerja biasa; hari kerja tambahan hanya untuk akhir pekan atau libur."
        elif kind != ClosureKind.WORKDAY and holiday is not None:
            errors["day"] = f"Tanggal ini sudah libur nasional ({holiday})."
        elif kind != ClosureKind.WORKDAY and day.weekday() >= 5:
            errors["day"] = "Tanggal ini jatuh pada akhir pekan dan sudah bukan hari kerja."
    if errors:
        raise ValidationFailed(errors)
    return set_office_day(day, kind, name, actor=actor)


@dataclass
class SuggestedDay:
    day: date
    name: str
    set_as: OfficeDay | None


def suggested_days(year: int) -> list[SuggestedDay]:
    """The government's cuti bersama for ``year`` and whether each is already set."""
    existing = {o.day: o for o in office_days(year)}
    return [SuggestedDay(d, n, existing.get(d)) for d, n in sorted(suggested_cuti_bersama(year).items())]


def adopt_cuti_bersama(year: int, *, actor: User) -> list[OfficeDay]:
    """Adopt the government's cuti bersama of ``year`` for the days the admin has not set yet."""
    added = []
    for s in suggested_days(year):
        if s.set_as is None:
            added.append(set_office_day(s.day, ClosureKind.CUTI_BERSAMA, s.name, actor=actor))
    return added


# ---------------------------------------------------------------- audit log

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
        if actor.isdigit():
            f.actor_id = int(actor)
        else:
            errors["actor"] = "Pengguna tidak valid."
    for key in ("date_from", "date_to"):
        value = (args.get(key) or "").strip()
        if value:
            try:
                setattr(f, key, date.fromisoformat(value))
            except ValueError:
                errors[key] = "Tanggal tidak valid."
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors["date_to"] = "Tanggal akhir tidak boleh sebelum tanggal awal."
    return f, errors


def audit_events(f: AuditFilter, tz_name: str, *, page: int = 1, per_page: int = 50) -> tuple[list[audit.AuditEvent], int]:
    """The latest audit events matching ``f`` (dates in the satker's timezone), newest first, and the total."""
    query = select(audit.AuditEvent)
    if f.action:
        query = query.where(audit.AuditEvent.action.startswith(f.action, autoescape=True))
    if f.actor_id:
        query = query.where(audit.AuditEvent.actor_id == f.actor_id)
    tz = zone(tz_name)
    # Bounds go in as UTC: SQLite keeps the stored UTC wall time and would compare a local one as-is.
    if f.date_from:
        query = query.where(audit.AuditEvent.at >= datetime.combine(f.date_from, time(), tz).astimezone(timezone.utc))
    if f.date_to:
        query = query.where(audit.AuditEvent.at < datetime.combine(f.date_to + timedelta(days=1), time(), tz)
                            .astimezone(timezone.utc))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.order_by(audit.AuditEvent.at.desc(), audit.AuditEvent.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def audit_action_names() -> list[str]:
    return list(db.session.scalars(select(audit.AuditEvent.action).distinct().order_by(audit.AuditEvent.action)))


# ---------------------------------------------------------------- dashboard

@dataclass
class Dashboard:
    units: list[Unit]
    users_per_unit: dict[int, dict[str, int]]
    users_active: int
    users_inactive: int
    codes_active: int
    codes_usable: int
    codes_total: int
    office_days_year: int
    cuti_bersama_pending: int
    indicators_year: int
    year: int


def dashboard(year: int) -> Dashboard:
    """The numbers on the admin home page."""
    per_unit = user_counts_per_unit()
    codes_active = db.session.scalar(select(func.count()).select_from(OutputCode)
                                     .where(OutputCode.is_active.is_(True))) or 0
    codes_usable = db.session.scalar(select(func.count()).select_from(OutputCode).where(
        and_(OutputCode.is_active.is_(True), OutputCode.level == "ro"))) or 0
    codes_total = db.session.scalar(select(func.count()).select_from(OutputCode)) or 0
    indicators = db.session.scalar(select(func.count()).select_from(Indicator).where(Indicator.year == year)) or 0
    return Dashboard(
        units=list(db.session.scalars(select(Unit).order_by(Unit.code))), users_per_unit=per_unit,
        users_active=sum(v["active"] for v in per_unit.values()),
        users_inactive=sum(v["inactive"] for v in per_unit.values()),
        codes_active=codes_active, codes_usable=codes_usable, codes_total=codes_total,
        office_days_year=len(office_days(year)),
        cuti_bersama_pending=sum(1 for s in suggested_days(year) if s.set_as is None),
        indicators_year=indicators, year=year)


def token_state(row: ApiToken) -> str:
    """'dicabut', 'kedaluwarsa' or 'aktif'."""
    if row.revoked_at is not None:
        return "dicabut"
    if as_utc(row.expires_at) <= utcnow():
        return "kedaluwarsa"
    return "aktif"
