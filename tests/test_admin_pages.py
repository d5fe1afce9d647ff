"""HTTP tests of the admin pages: users, units, output codes, the working calendar, indicators, the audit log."""
from __future__ import annotations

import base64
import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from silabu.accounts.models import ApiToken, Role, Unit, User
from silabu.catalog.calendar import suggested_cuti_bersama
from silabu.catalog.models import ClosureKind, Indicator, OfficeDay, OutputCode
from silabu.core.audit import AuditEvent
from tests.conftest import PASSWORD, SHARED, login, make_nip

DEMO = SHARED / "data" / "demo"
YEAR = 2026


@pytest.fixture()
def admin(make_user):
    return make_user("SEK", "admin", name="Admin Satker")


@pytest.fixture()
def as_admin(admin, login_as):
    return login_as(admin)


def _count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _events(db, action: str) -> list[AuditEvent]:
    """Events of ``action`` done by someone through the pages (the fixtures' own setup has no actor)."""
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                            AuditEvent.actor_id.is_not(None))))


def _password_on_page(html: str) -> str:
    m = re.search(r'<code class="secret"[^>]*>([^<]+)</code>', html)
    assert m, "no password shown"
    return m.group(1)


def _xlsx(rows: list[list]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _token(api_client, user) -> dict:
    """A bearer token through the API, on a client without a browser session (so the token alone decides)."""
    resp = api_client.post("/api/v1/auth/token", json={"username": user.nip, "password": PASSWORD})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def _upload(content: bytes, name: str) -> dict:
    return {"file": (io.BytesIO(content), name)}


# ---------------------------------------------------------------- access

def _all_admin_requests(db, admin, make_asn):
    other = make_asn()
    unit = db.session.scalar(select(Unit).where(Unit.code == "KUL"))
    code = db.session.scalar(select(OutputCode).where(OutputCode.code == "076.01.WA.4499.EBA.962"))
    return [
        ("get", "/admin/", None), ("get", "/admin/pengguna", None), ("get", "/admin/pengguna/baru", None),
        ("post", "/admin/pengguna/baru", {"name": "X", "unit": "KUL", "roles": "asn", "nip": make_nip()}),
        ("get", f"/admin/pengguna/{other.id}", None), ("get", f"/admin/pengguna/{other.id}/ubah", None),
        ("post", f"/admin/pengguna/{other.id}/ubah", {"name": "X", "unit": "KUL", "roles": "asn"}),
        ("post", f"/admin/pengguna/{other.id}/nonaktifkan", {}), ("post", f"/admin/pengguna/{other.id}/aktifkan", {}),
        ("post", f"/admin/pengguna/{other.id}/atur-ulang-sandi", {}),
        ("post", f"/admin/pengguna/{other.id}/token/1/cabut", {}),
        ("post", f"/admin/pengguna/{other.id}/token/cabut-semua", {}),
        ("get", "/admin/pengguna/impor", None), ("post", "/admin/pengguna/impor", {}),
        ("get", "/admin/unit", None), ("get", "/admin/unit/baru", None), ("post", "/admin/unit/baru", {}),
        ("get", f"/admin/unit/{unit.id}/ubah", None), ("post", f"/admin/unit/{unit.id}/ubah", {"name": "X"}),
        ("get", "/admin/kode-output", None), ("get", "/admin/kode-output/impor", None),
        ("post", "/admin/kode-output/impor", {}), ("post", "/admin/kode-output/tempel", {"text": "076.01.ZZ;X"}),
        ("get", f"/admin/kode-output/{code.id}/ubah", None),
        ("post", f"/admin/kode-output/{code.id}/ubah", {"name": "X"}),
        ("post", f"/admin/kode-output/{code.id}/nonaktifkan", {}),
        ("post", f"/admin/kode-output/{code.id}/aktifkan", {}),
        ("get", "/admin/kalender", None),
        ("post", "/admin/kalender/tambah", {"day": "2026-01-05", "kind": "closure", "name": "X"}),
        ("post", "/admin/kalender/2026-02-16/hapus", {}), ("post", "/admin/kalender/2026/cuti-bersama", {}),
        ("get", "/admin/audit", None), ("get", "/admin/indikator", None), ("post", "/admin/indikator", {}),
    ]


def test_every_admin_page_and_action_is_forbidden_to_non_admins(db, client, admin, make_asn, make_user):
    requests = _all_admin_requests(db, admin, make_asn)
    for roles in ("asn", "asn,kasubag", "sekretaris", "rendatin,asn", "ketua"):
        outsider = make_user("KUL", roles)
        login(client, outsider)
        audit_before = _count(db, AuditEvent)
        for method, url, data in requests:
            resp = getattr(client, method)(url, data=data)
            assert resp.status_code == 403, (roles, method, url, resp.status_code)
        assert _count(db, AuditEvent) == audit_before
        client.post("/keluar")
    assert _count(db, OfficeDay) == 0
    assert db.session.scalar(select(OutputCode).where(OutputCode.code == "076.01.WA.4499.EBA.962")).is_active


def test_every_admin_page_sends_a_stranger_to_the_login(db, client, admin, make_asn):
    for method, url, data in _all_admin_requests(db, admin, make_asn):
        resp = getattr(client, method)(url, data=data)
        assert resp.status_code == 302 and "/masuk" in resp.headers["Location"], (method, url)


def test_admin_menu_item_leads_to_the_dashboard(as_admin):
    resp = as_admin.get("/beranda")
    assert b'href="/admin/"' in resp.data


# ---------------------------------------------------------------- dashboard

def test_dashboard_counts_users_per_unit_codes_and_office_days(db, as_admin, admin, make_asn):
    from silabu.accounts.services import set_active
    from silabu.catalog.calendar import set_office_day

    make_asn("KUL")
    gone = make_asn("KUL")
    set_active(gone, False)
    from silabu.accounts.org import today_for

    set_office_day(today_for(admin).replace(month=12, day=24), ClosureKind.CUTI_BERSAMA, "Cuti Bersama Natal")
    db.session.commit()
    html = as_admin.get("/admin/").get_data(as_text=True)
    active_codes = _count(db, OutputCode, OutputCode.is_active.is_(True))
    assert re.search(rf'<span class="stat">{active_codes}</span><span class="muted">kode output aktif', html)
    assert re.search(r'<span class="stat">2</span><span class="muted">pengguna aktif', html)  # admin + one ASN
    assert "1 nonaktif" in html
    assert re.search(r'<span class="stat">1</span><span class="muted">hari khusus kalender', html)
    kul_row = re.search(r'>KUL</a>.*?</tr>', html, re.S).group(0)
    assert re.findall(r'class="right">(\d+)</td>', kul_row) == ["1", "1"]


# ---------------------------------------------------------------- users: list

def test_user_list_searches_name_and_nip_and_filters_unit_role_active(db, as_admin, make_asn, make_kasubag, org):
    from silabu.accounts.services import set_active

    make_asn("KUL", name="Siti Aminah")
    budi = make_kasubag("TPH", name="Budi Santoso")
    eko = make_asn("RDI", name="Eko Prasetyo")
    set_active(eko, False)
    db.session.commit()

    def names(**params) -> set[str]:
        html = as_admin.get("/admin/pengguna", query_string=params).get_data(as_text=True)
        return set(re.findall(r'/admin/pengguna/\d+">([^<]+)</a>', html))

    assert names(q="aminah") == {"Siti Aminah"}
    assert names(q=budi.nip[:12]) >= {"Budi Santoso"} and "Siti Aminah" not in names(q=budi.nip)
    assert names(unit=org["TPH"].id) == {"Budi Santoso"}
    assert names(role="kasubag") == {"Budi Santoso"}
    assert "Eko Prasetyo" not in names(active="1") and names(active="0") == {"Eko Prasetyo"}
    assert {"Siti Aminah", "Budi Santoso", "Eko Prasetyo", "Admin Satker"} <= names()
    assert as_admin.get("/admin/pengguna?role=raja").status_code == 422


def test_user_list_pages_through_many_users(db, as_admin, org):
    from silabu.accounts.models import UserRole

    for i in range(55):  # straight rows: 55 scrypt hashes would only slow the test down
        db.session.add(User(nip=make_nip(), name=f"Pegawai Urut {i:02d}", unit_id=org["KUL"].id, password_hash="x",
                            role_rows=[UserRole(role=Role.ASN)]))
    db.session.commit()
    first = as_admin.get("/admin/pengguna?q=urut").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first and "Pegawai Urut 49" in first and "Pegawai Urut 50" not in first
    second = as_admin.get("/admin/pengguna?q=urut&page=2").get_data(as_text=True)
    assert "Pegawai Urut 50" in second and "Pegawai Urut 54" in second


# ---------------------------------------------------------------- users: create

def test_created_user_gets_an_initial_password_shown_once_and_must_change_it(db, app, as_admin, admin):
    nip = make_nip()
    resp = as_admin.post("/admin/pengguna/baru", data={
        "nip": nip, "name": "Rina Wulandari", "jabatan": "Analis Perencanaan", "golongan": "iii/b",
        "employment": "PNS", "unit": "RDI", "roles": ["asn", "rendatin"], "email": "rina@example.go.id"})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    password = _password_on_page(html)
    user = db.session.scalar(select(User).where(User.nip == nip))
    assert user.must_change_password and user.roles == {"asn", "rendatin"} and user.golongan == "III/b"
    assert check_password_hash(user.password_hash, password)
    # Never again: not on the detail page, not in the audit log.
    assert password not in as_admin.get(f"/admin/pengguna/{user.id}").get_data(as_text=True)
    assert all(password not in str(e.after) for e in db.session.scalars(select(AuditEvent)))
    created = _events(db, "user.create")
    assert len(created) == 1 and created[0].actor_id == admin.id
    # The new user logs in with it and is sent to change it first.
    fresh = app.test_client()
    resp = fresh.post("/masuk", data={"login": nip, "password": password})
    assert resp.status_code == 302 and "/akun/kata-sandi" in resp.headers["Location"]


def test_nip_written_in_groups_is_accepted(db, as_admin):
    resp = as_admin.post("/admin/pengguna/baru", data={"nip": "19860324 201403 1 003", "name": "Agus",
                                                        "unit": "KUL", "roles": ["asn"]})
    assert resp.status_code == 200
    assert db.session.scalar(select(User).where(User.nip == "198603242014031003")) is not None


def test_account_without_nip_is_created_with_a_username(db, as_admin):
    resp = as_admin.post("/admin/pengguna/baru", data={"username": "Operator.Satker", "name": "Operator",
                                                        "unit": "SEK", "roles": ["admin"]})
    assert resp.status_code == 200
    assert db.session.scalar(select(User).where(User.username == "operator.satker")) is not None


@pytest.mark.parametrize("form, field, message", [
    ({"nip": "19800101200503100"}, "nip", "18 digit"),
    ({"nip": "198013012005031001"}, "nip", "tanggal lahir"),
    ({"nip": "198001012005131001"}, "nip", "01–12"),
    ({"nip": "198001012005033001"}, "nip", "jenis kelamin"),
    ({"nip": ""}, "nip", "wajib"),
    ({"roles": []}, "roles", "peran"),
    ({"unit": "XYZ"}, "unit", "tidak ditemukan"),
    ({"name": ""}, "name", "wajib"),
    ({"email": "bukan-email"}, "email", "tidak valid"),
    ({"golongan": "III/z"}, "golongan", "III/a"),
    ({"employment": "PPPK", "golongan": "XX"}, "golongan", "Romawi"),
    ({"jabatan": "x" * 10_000}, "jabatan", "150"),
])
def test_bad_user_form_shows_the_message_next_to_the_field_and_creates_nothing(db, as_admin, form, field, message):
    data = {"nip": make_nip(), "name": "Calon Pegawai", "unit": "KUL", "roles": ["asn"], "employment": "PNS",
            "golongan": "III/a"}
    data.update(form)
    before = _count(db, User)
    resp = as_admin.post("/admin/pengguna/baru", data=data)
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    error = re.search(rf'<small class="error" id="e-{field}">([^<]+)</small>', html)
    assert error and message.lower() in error.group(1).lower(), html[:3000]
    assert _count(db, User) == before
    assert _events(db, "user.create") == []
    assert 'class="secret"' not in html


def test_duplicate_nip_is_refused(db, as_admin, make_asn):
    existing = make_asn()
    resp = as_admin.post("/admin/pengguna/baru", data={"nip": existing.nip, "name": "Kembar", "unit": "KUL",
                                                        "roles": "asn"})
    assert resp.status_code == 422 and "NIP sudah terdaftar" in resp.get_data(as_text=True)


# ---------------------------------------------------------------- users: edit, deactivate, reset, tokens

def test_edit_user_changes_unit_roles_and_data_and_is_audited(db, as_admin, make_asn, org):
    user = make_asn("KUL", name="Dewi Lestari")
    form = as_admin.get(f"/admin/pengguna/{user.id}/ubah").get_data(as_text=True)
    assert 'value="Dewi Lestari"' in form and 'value="asn" checked' in form
    resp = as_admin.post(f"/admin/pengguna/{user.id}/ubah", data={
        "nip": user.nip, "name": "Dewi Lestari, S.Kom.", "jabatan": "Pranata Komputer", "golongan": "III/c",
        "employment": "PNS", "unit": "RDI", "roles": ["asn", "rendatin"], "email": "dewi@example.go.id"})
    assert resp.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.name, user.unit_id, user.roles) == ("Dewi Lestari, S.Kom.", org["RDI"].id, {"asn", "rendatin"})
    ev = _events(db, "user.update")[-1]
    assert ev.before["unit_id"] == org["KUL"].id and ev.after["unit_id"] == org["RDI"].id


def test_bad_edit_changes_nothing(db, as_admin, make_asn):
    user = make_asn("KUL", name="Tetap Sama")
    resp = as_admin.post(f"/admin/pengguna/{user.id}/ubah", data={"nip": user.nip, "name": "Nama Baru",
                                                                   "unit": "KUL", "roles": []})
    assert resp.status_code == 422 and 'id="e-roles"' in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Tetap Sama"


def test_admin_cannot_take_away_their_own_admin_role(db, as_admin, admin):
    resp = as_admin.post(f"/admin/pengguna/{admin.id}/ubah", data={
        "nip": admin.nip, "name": admin.name, "unit": "SEK", "roles": ["asn"]})
    assert resp.status_code == 422
    assert "peran Admin dari akun Anda sendiri" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).has_role(Role.ADMIN)


def test_admin_cannot_deactivate_self(db, as_admin, admin):
    resp = as_admin.post(f"/admin/pengguna/{admin.id}/nonaktifkan", follow_redirects=True)
    assert "tidak dapat menonaktifkan akun Anda sendiri" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_active_account
    assert _events(db, "user.deactivate") == []
    assert as_admin.get("/admin/").status_code == 200  # still logged in


def test_deactivated_user_is_logged_out_and_cannot_log_in_until_reactivated(db, app, as_admin, make_asn):
    user = make_asn()
    other = app.test_client()
    assert login(other, user).status_code == 302
    assert other.get("/beranda").status_code == 200
    api = app.test_client()
    headers = _token(api, user)
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    resp = as_admin.post(f"/admin/pengguna/{user.id}/nonaktifkan")
    assert resp.status_code == 302
    assert other.get("/beranda").status_code == 302  # the open session has ended
    assert login(app.test_client(), user).status_code == 401
    assert api.get("/api/v1/me", headers=headers).status_code == 401  # tokens revoked too
    assert len(_events(db, "user.deactivate")) == 1
    as_admin.post(f"/admin/pengguna/{user.id}/aktifkan")
    assert login(app.test_client(), user).status_code == 302
    assert len(_events(db, "user.activate")) == 1


def test_reset_password_shows_a_temporary_password_once(db, app, as_admin, make_asn):
    user = make_asn()
    resp = as_admin.post(f"/admin/pengguna/{user.id}/atur-ulang-sandi")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    temporary = _password_on_page(resp.get_data(as_text=True))
    assert login(app.test_client(), user).status_code == 401  # the old password no longer works
    resp = login(app.test_client(), user, temporary)
    assert resp.status_code == 302 and "/akun/kata-sandi" in resp.headers["Location"]
    assert temporary not in as_admin.get(f"/admin/pengguna/{user.id}").get_data(as_text=True)
    assert len(_events(db, "user.reset_password")) == 1


def test_admin_resets_own_password_only_through_the_normal_form(db, as_admin, admin):
    resp = as_admin.post(f"/admin/pengguna/{admin.id}/atur-ulang-sandi", follow_redirects=True)
    assert "Ganti kata sandi untuk akun Anda sendiri" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, admin.id).must_change_password


def test_admin_lists_and_revokes_a_users_api_tokens(db, app, as_admin, make_asn):
    user = make_asn()
    api = app.test_client()
    first, second = _token(api, user), _token(api, user)
    page = as_admin.get(f"/admin/pengguna/{user.id}").get_data(as_text=True)
    assert page.count("token/") >= 2 and "Aktif" in page
    token = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).first()
    resp = as_admin.post(f"/admin/pengguna/{user.id}/token/{token.id}/cabut")
    assert resp.status_code == 302
    assert api.get("/api/v1/me", headers=first).status_code == 401
    assert api.get("/api/v1/me", headers=second).status_code == 200
    assert len(_events(db, "token.revoke")) == 1
    # Revoking again is refused politely; another user's token id is not found.
    again = as_admin.post(f"/admin/pengguna/{user.id}/token/{token.id}/cabut", follow_redirects=True)
    assert "sudah dicabut" in again.get_data(as_text=True)
    stranger = make_asn()
    assert as_admin.post(f"/admin/pengguna/{stranger.id}/token/{token.id}/cabut").status_code == 404
    as_admin.post(f"/admin/pengguna/{user.id}/token/cabut-semua")
    assert api.get("/api/v1/me", headers=second).status_code == 401
    assert len(_events(db, "token.revoke_all")) == 1


def test_unknown_user_is_404(as_admin):
    assert as_admin.get("/admin/pengguna/99999").status_code == 404
    assert as_admin.post("/admin/pengguna/99999/nonaktifkan").status_code == 404


# ---------------------------------------------------------------- users: import

USERS_CSV = (
    "nip,name,jabatan,golongan,employment,unit_code,roles,email\n"
    "198603242014031003,Agus Handayani,Analis Perencanaan,III/b,PNS,KUL,asn,agus@example.go.id\n"
    "19860324201403100,NIP Pendek,Analis,III/b,PNS,KUL,asn,\n"
    "198102142011012017,Eko Maharani,Pengolah Data,VII,PPPK,RDI,asn;rendatin,eko@example.go.id\n"
    "198711182012031020,Unit Salah,Penata,II/c,PNS,XXX,asn,\n"
    "198911092018042021,Peran Salah,Penata,II/c,PNS,KUL,raja,\n"
)


def _sheet_from_data_uri(html: str) -> list[dict[str, str]]:
    m = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)" download="kata-sandi-awal-[\d-]+\.csv"', html)
    assert m, "no CSV download"
    text = base64.b64decode(m.group(1)).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_import_users_reports_bad_rows_with_line_numbers_and_shows_passwords_once(db, app, as_admin):
    resp = as_admin.post("/admin/pengguna/impor", data=_upload(USERS_CSV.encode(), "pegawai.csv"),
                         content_type="multipart/form-data")
    assert resp.status_code == 422  # some rows refused
    assert resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert "<strong>2</strong> akun dibuat" in html and "<strong>3</strong> baris ditolak" in html
    lines = dict(re.findall(r'<td data-label="Baris">(\d+)</td><td data-label="Masalah">([^<]+)</td>', html))
    assert set(lines) == {"3", "5", "6"}
    assert "18 digit" in lines["3"] and "XXX" in lines["5"] and "raja" in lines["6"]
    sheet = _sheet_from_data_uri(html)
    assert {r["login"] for r in sheet} == {"198603242014031003", "198102142011012017"}
    for row in sheet:
        user = db.session.scalar(select(User).where(User.nip == row["login"]))
        assert user.must_change_password and check_password_hash(user.password_hash, row["kata_sandi_awal"])
        assert row["kata_sandi_awal"] in html and row["nama"] == user.name
        assert login(app.test_client(), user, row["kata_sandi_awal"]).status_code == 302
    assert _count(db, User, User.nip.in_(["198711182012031020", "198911092018042021"])) == 0
    # Nothing stores the plaintext: not the audit log, not the session cookie.
    for ev in db.session.scalars(select(AuditEvent)):
        assert not any(r["kata_sandi_awal"] in str(ev.after) + str(ev.before) for r in sheet)
    cookie = as_admin.get_cookie("session")
    assert cookie is None or not any(r["kata_sandi_awal"] in cookie.value for r in sheet)


def test_reimporting_the_same_file_updates_and_shows_no_passwords(db, as_admin):
    as_admin.post("/admin/pengguna/impor", data=_upload(USERS_CSV.encode(), "pegawai.csv"))
    resp = as_admin.post("/admin/pengguna/impor", data=_upload(USERS_CSV.encode(), "pegawai.csv"))
    html = resp.get_data(as_text=True)
    assert "<strong>0</strong> akun dibuat, <strong>2</strong> diperbarui" in html
    assert "data:text/csv" not in html and 'class="secret"' not in html


def test_import_users_from_xlsx(db, as_admin):
    content = _xlsx([["nip", "name", "jabatan", "golongan", "employment", "unit_code", "roles", "email"],
                     ["198603242014031003", "Agus Handayani", "Analis", "III/b", "PNS", "KUL", "asn", ""],
                     [None, None, None, None, None, None, None, None],
                     ["1986", "NIP Pendek", "Analis", "III/b", "PNS", "KUL", "asn", ""]])
    resp = as_admin.post("/admin/pengguna/impor", data=_upload(content, "pegawai.xlsx"))
    html = resp.get_data(as_text=True)
    assert "<strong>1</strong> akun dibuat" in html and "<strong>1</strong> baris ditolak" in html
    assert '<td data-label="Baris">4</td>' in html  # the sheet's own row, the blank row 3 counted
    assert _count(db, User, User.nip == "198603242014031003") == 1


def test_error_line_numbers_are_the_files_own_lines_despite_blank_lines(db, as_admin):
    content = ("nip,name,unit_code,roles\n"
               "\n"
               "198603242014031003,Agus,KUL,asn\n"
               "\n"
               "\n"
               "1986,Pendek,KUL,asn\n"
               "198102142011012017,\"Eko, S.Kom.\",RDI,asn\n")
    html = as_admin.post("/admin/pengguna/impor", data=_upload(content.encode(), "pegawai.csv")).get_data(as_text=True)
    assert re.findall(r'<td data-label="Baris">(\d+)</td>', html) == ["6"]
    assert "<strong>2</strong> akun dibuat" in html


def test_csv_row_wider_than_its_header_is_refused_with_its_line(db, as_admin):
    content = b"nip,name,unit_code,roles\n198603242014031003,Agus,KUL,asn\n198102142011012017,Eko, S.Kom.,RDI,asn\n"
    resp = as_admin.post("/admin/pengguna/impor", data=_upload(content, "pegawai.csv"))
    assert resp.status_code == 422
    error = re.search(r'<small class="error" id="e-file">([^<]+)</small>', resp.get_data(as_text=True)).group(1)
    assert "Baris 3" in error
    assert _count(db, User, User.nip == "198603242014031003") == 0


def test_xlsx_with_nips_typed_as_numbers_is_refused_because_the_digits_are_already_rounded(db, as_admin):
    content = _xlsx([["nip", "name", "unit_code", "roles"],
                     ["198603242014031003", "Teks", "KUL", "asn"],
                     [198102142011012017, "Angka", "KUL", "asn"]])
    before = _count(db, User)
    resp = as_admin.post("/admin/pengguna/impor", data=_upload(content, "pegawai.xlsx"))
    assert resp.status_code == 422
    error = re.search(r'<small class="error" id="e-file">([^<]+)</small>', resp.get_data(as_text=True)).group(1)
    assert "baris 3" in error and "Teks" in error
    assert _count(db, User) == before


def test_import_the_demo_users_file(db, as_admin, monkeypatch):
    from werkzeug.security import generate_password_hash

    from silabu.accounts import services

    # The file's shape is under test here, not the hashing: a cheap hash keeps 28 accounts quick.
    monkeypatch.setattr(services, "hash_password", lambda p: generate_password_hash(p, "pbkdf2:sha256:1000"))
    resp = as_admin.post("/admin/pengguna/impor", data=_upload((DEMO / "users.csv").read_bytes(), "users.csv"))
    assert resp.status_code == 200
    sheet = _sheet_from_data_uri(resp.get_data(as_text=True))
    rows = (DEMO / "users.csv").read_text().strip().splitlines()[1:]
    assert len(sheet) == len(rows)


@pytest.mark.parametrize("content, name, message", [
    (b"nip,nama\n198603242014031003,Agus\n", "pegawai.csv", "Kolom wajib tidak ditemukan"),
    (b"nip,name,jabatan,golongan,employment,unit_code,roles,email\n", "pegawai.csv", "tidak berisi baris"),
    (b"%PDF-1.4 not a table", "pegawai.pdf", "CSV atau XLSX"),
    (b"PK\x03\x04 broken zip", "pegawai.xlsx", "tidak dapat dibaca"),
    (b"", "pegawai.csv", "kosong"),
])
def test_unusable_user_file_is_refused_next_to_the_file_field_and_changes_nothing(db, as_admin, content, name,
                                                                                   message):
    before = _count(db, User)
    resp = as_admin.post("/admin/pengguna/impor", data=_upload(content, name))
    assert resp.status_code == 422
    error = re.search(r'<small class="error" id="e-file">([^<]+)</small>', resp.get_data(as_text=True))
    assert error and message in error.group(1)
    assert _count(db, User) == before


def test_import_without_a_file_asks_for_one(as_admin):
    resp = as_admin.post("/admin/pengguna/impor", data={})
    assert resp.status_code == 422 and 'id="e-file"' in resp.get_data(as_text=True)


# ---------------------------------------------------------------- units

def test_units_list_and_edit_evidence_rule_and_head_verifier(db, as_admin, org, make_user):
    boss = make_user("SEK", "asn,sekretaris", name="Pak Sekretaris")
    page = as_admin.get("/admin/unit").get_data(as_text=True)
    assert "Sub Bagian Keuangan, Umum dan Logistik" in page
    resp = as_admin.post(f"/admin/unit/{org['KUL'].id}/ubah", data={
        "name": "Sub Bagian Keuangan, Umum, dan Logistik", "parent_id": org["SEK"].id, "requires_evidence": "1",
        "head_verifier_id": boss.id})
    assert resp.status_code == 302
    db.session.expire_all()
    kul = db.session.get(Unit, org["KUL"].id)
    assert kul.requires_evidence and kul.head_verifier_id == boss.id and kul.name.endswith("dan Logistik")
    assert _events(db, "unit.update")[-1].after["requires_evidence"] is True
    # Emptying the head verifier gives the job back to the Sekretaris; unchecking drops the evidence rule.
    as_admin.post(f"/admin/unit/{kul.id}/ubah", data={"name": kul.name, "parent_id": org["SEK"].id})
    db.session.expire_all()
    kul = db.session.get(Unit, org["KUL"].id)
    assert kul.head_verifier_id is None and not kul.requires_evidence
    assert "Sekretaris" in as_admin.get("/admin/unit").get_data(as_text=True)


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "name"),
    ({"parent_id": "self"}, "parent_id"),
    ({"parent_id": "child"}, "parent_id"),
    ({"head_verifier_id": "own_kasubag"}, "head_verifier_id"),
    ({"head_verifier_id": "inactive"}, "head_verifier_id"),
    ({"head_verifier_id": "99999"}, "head_verifier_id"),
])
def test_bad_unit_edit_is_refused_next_to_the_field(db, as_admin, org, make_kasubag, make_asn, change, field):
    from silabu.accounts.services import set_active

    own = make_kasubag("SEK")
    gone = make_asn("KUL")
    set_active(gone, False)
    db.session.commit()
    ids = {"self": org["SEK"].id, "child": org["KUL"].id, "own_kasubag": own.id, "inactive": gone.id}
    data = {"name": "Sekretariat", "parent_id": "", "head_verifier_id": ""}
    data.update({k: ids.get(v, v) for k, v in change.items()})
    resp = as_admin.post(f"/admin/unit/{org['SEK'].id}/ubah", data=data)
    assert resp.status_code == 422
    assert f'id="e-{field}"' in resp.get_data(as_text=True)
    db.session.expire_all()
    sek = db.session.get(Unit, org["SEK"].id)
    assert sek.parent_id is None and sek.head_verifier_id is None and sek.name == "Sekretariat"


def test_admin_adds_a_unit(db, as_admin, org):
    resp = as_admin.post("/admin/unit/baru", data={"code": "ppk", "name": "Pejabat Pembuat Komitmen",
                                                    "parent_id": org["SEK"].id})
    assert resp.status_code == 302
    assert db.session.scalar(select(Unit).where(Unit.code == "PPK")).parent_id == org["SEK"].id
    dup = as_admin.post("/admin/unit/baru", data={"code": "KUL", "name": "Lagi"})
    assert dup.status_code == 422 and "sudah dipakai" in dup.get_data(as_text=True)


# ---------------------------------------------------------------- output codes

def test_output_code_list_is_ordered_like_a_tree_and_searchable(db, as_admin):
    html = as_admin.get("/admin/kode-output").get_data(as_text=True)
    codes = re.findall(r'<span class="mono code">([^<]+)</span>', html)
    assert codes == sorted(codes) and "076.01.WA" in codes and "076.01.WA.4499.EBA.962" in codes
    assert 'class="lvl-program' in html and 'class="lvl-ro' in html
    found = re.findall(r'<span class="mono code">([^<]+)</span>',
                       as_admin.get("/admin/kode-output?q=pemantauan").get_data(as_text=True))
    assert found == ["076.01.WA.4499.EBD.953"]


def test_deactivated_code_cannot_be_used_for_new_entries_but_old_entries_keep_it(db, as_admin, make_asn, make_entry):
    from silabu.catalog.services import get_usable_code
    from silabu.core.errors import ValidationFailed

    asn = make_asn()
    entry = make_entry(asn, output_code="076.01.WA.4499.EBA.962")
    kro = db.session.scalar(select(OutputCode).where(OutputCode.code == "076.01.WA.4499.EBA"))
    resp = as_admin.post(f"/admin/kode-output/{kro.id}/nonaktifkan")
    assert resp.status_code == 302
    db.session.expire_all()
    children = list(db.session.scalars(select(OutputCode).where(OutputCode.code.like("076.01.WA.4499.EBA.%"))))
    assert children and not any(c.is_active for c in children)  # the codes under it go too
    with pytest.raises(ValidationFailed):
        get_usable_code("076.01.WA.4499.EBA.962")
    with pytest.raises(ValidationFailed) as refused:
        make_entry(asn, output_code="076.01.WA.4499.EBA.962")
    assert "tidak aktif" in refused.value.fields["output_code"]
    db.session.rollback()
    assert entry.output_code.code == "076.01.WA.4499.EBA.962"
    assert as_admin.get("/admin/kode-output?active=0").get_data(as_text=True).count("Nonaktif</span>") == len(children) + 1
    ro = db.session.scalar(select(OutputCode).where(OutputCode.code == "076.01.WA.4499.EBA.962"))
    as_admin.post(f"/admin/kode-output/{ro.id}/aktifkan")
    db.session.expire_all()
    assert get_usable_code("076.01.WA.4499.EBA.962").is_active
    assert len(_events(db, "output_code.deactivate")) == 1 and len(_events(db, "output_code.activate")) == 1


def test_edit_output_code_name_and_default_unit(db, as_admin):
    oc = db.session.scalar(select(OutputCode).where(OutputCode.code == "076.01.WA.4499.EBA.962"))
    resp = as_admin.post(f"/admin/kode-output/{oc.id}/ubah", data={"name": "Layanan Umum Kantor", "default_unit": "Kegiatan"})
    assert resp.status_code == 302
    db.session.expire_all()
    oc = db.session.get(OutputCode, oc.id)
    assert (oc.name, oc.default_unit) == ("Layanan Umum Kantor", "Kegiatan")
    bad = as_admin.post(f"/admin/kode-output/{oc.id}/ubah", data={"name": "", "default_unit": "x" * 60})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="e-name"' in html and 'id="e-default_unit"' in html
    db.session.expire_all()
    assert db.session.get(OutputCode, oc.id).name == "Layanan Umum Kantor"


PASTE = (
    "Kode\tUraian\tSatuan\n"
    "076.01.XY\tProgram Uji\n"
    "076.01.XY.5001;Kegiatan Uji;\n"
    "076.01.XY.5001.ABC,\"Layanan Uji, Umum\",Layanan\n"
    "\n"
    "076.01.XY.5001.ABC.001\tLayanan Pengujian\tDokumen\n"
    "baris tanpa pemisah\n"
    "076.01.XY.5001.ABC.002 Layanan Tanpa Tab\n"
    "07 6;Kode Rusak\n"
)


def test_pasted_rka_list_is_imported_line_by_line(db, as_admin):
    resp = as_admin.post("/admin/kode-output/tempel", data={"text": PASTE})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422  # two lines refused, the rest imported
    assert "<strong>5</strong> kode baru" in html
    lines = dict(re.findall(r'<td data-label="Baris">(\d+)</td><td data-label="Masalah">([^<]+)</td>', html))
    assert set(lines) == {"7", "9"}
    got = {c.code: c for c in db.session.scalars(select(OutputCode).where(OutputCode.code.like("076.01.XY%")))}
    assert set(got) == {"076.01.XY", "076.01.XY.5001", "076.01.XY.5001.ABC", "076.01.XY.5001.ABC.001",
                        "076.01.XY.5001.ABC.002"}
    ro = got["076.01.XY.5001.ABC.001"]
    assert ro.level == "ro" and ro.default_unit == "Dokumen" and ro.parent_id == got["076.01.XY.5001.ABC"].id
    assert got["076.01.XY.5001.ABC"].name == "Layanan Uji, Umum" and got["076.01.XY"].level == "program"
    assert _events(db, "output_codes.import")[-1].actor_id is not None
    # The pasted text stays in the box so the two lines can be fixed.
    assert "baris tanpa pemisah" in html


def test_empty_or_unreadable_paste_changes_nothing(db, as_admin):
    before = _count(db, OutputCode)
    for text in ("", "   \n", "tanpa pemisah sama sekali"):
        resp = as_admin.post("/admin/kode-output/tempel", data={"text": text})
        assert resp.status_code == 422 and 'id="e-text"' in resp.get_data(as_text=True)
    assert _count(db, OutputCode) == before
    assert _events(db, "output_codes.import") == []


def test_output_codes_import_from_csv_and_xlsx(db, as_admin):
    content = b"code;name;default_unit\n076.01.QQ;Program Q;\n076.01.QQ.1000.AAA.001;Layanan Q;Dokumen\nX;;\n"
    html = as_admin.post("/admin/kode-output/impor", data=_upload(content, "dipa.csv")).get_data(as_text=True)
    assert "<strong>2</strong> kode baru" in html and '<td data-label="Baris">4</td>' in html
    xlsx = _xlsx([["kode", "uraian", "satuan"], ["076.01.QQ.1000.AAA.002", "Layanan Q2", "Laporan"]])
    resp = as_admin.post("/admin/kode-output/impor", data=_upload(xlsx, "dipa.xlsx"))
    assert resp.status_code == 200
    assert db.session.scalar(select(OutputCode).where(OutputCode.code == "076.01.QQ.1000.AAA.002")).default_unit == "Laporan"
    bad = as_admin.post("/admin/kode-output/impor", data=_upload(b"a,b\n1,2\n", "dipa.csv"))
    assert bad.status_code == 422 and "Kolom wajib tidak ditemukan: code" in bad.get_data(as_text=True)


# ---------------------------------------------------------------- working calendar

def test_calendar_shows_national_holidays_read_only(as_admin):
    html = as_admin.get(f"/admin/kalender?tahun={YEAR}").get_data(as_text=True)
    assert "Hari Kemerdekaan Republik Indonesia" in html and "17 Agustus 2026" in html
    assert "Terapkan cuti bersama pemerintah" in html


def test_admin_adds_and_removes_office_days(db, as_admin):
    resp = as_admin.post("/admin/kalender/tambah", data={"tahun": YEAR, "day": "2026-07-06", "kind": "closure",
                                                          "name": "Kantor tutup (banjir)"})
    assert resp.status_code == 302
    as_admin.post("/admin/kalender/tambah", data={"day": "2026-07-11", "kind": "workday", "name": "Hari kerja pengganti"})
    rows = {o.day: o.kind for o in db.session.scalars(select(OfficeDay))}
    assert rows == {date(2026, 7, 6): ClosureKind.CLOSURE, date(2026, 7, 11): ClosureKind.WORKDAY}
    html = as_admin.get(f"/admin/kalender?tahun={YEAR}").get_data(as_text=True)
    assert "Kantor tutup (banjir)" in html and "Senin, 6 Juli 2026" in html
    from silabu.catalog.calendar import month_calendar

    july = month_calendar(2026, 7)
    assert not july.is_working_day(date(2026, 7, 6)) and july.is_working_day(date(2026, 7, 11))
    assert as_admin.post("/admin/kalender/2026-07-06/hapus").status_code == 302
    assert {o.day for o in db.session.scalars(select(OfficeDay))} == {date(2026, 7, 11)}
    assert len(_events(db, "office_day.set")) == 2 and len(_events(db, "office_day.remove")) == 1
    assert as_admin.post("/admin/kalender/2026-07-06/hapus").status_code == 404
    assert as_admin.post("/admin/kalender/bukan-tanggal/hapus").status_code == 404


@pytest.mark.parametrize("form, field, message", [
    ({"day": "2026-02-30"}, "day", "tidak valid"),
    ({"day": ""}, "day", "wajib"),
    ({"kind": "libur"}, "kind", "Pilih jenis"),
    ({"name": ""}, "name", "wajib"),
    ({"name": "x" * 10_000}, "name", "200"),
    ({"day": "2026-07-07", "kind": "workday"}, "kind", "sudah hari kerja"),
    ({"day": "2026-07-11"}, "day", "akhir pekan"),
    ({"day": "2026-08-17"}, "day", "libur nasional"),
])
def test_bad_office_day_is_refused_next_to_the_field(db, as_admin, form, field, message):
    data = {"tahun": YEAR, "day": "2026-07-06", "kind": "cuti_bersama", "name": "Cuti"}
    data.update(form)
    resp = as_admin.post("/admin/kalender/tambah", data=data)
    assert resp.status_code == 422
    error = re.search(rf'<small class="error" id="e-{field}">([^<]+)</small>', resp.get_data(as_text=True))
    assert error and message in error.group(1)
    assert _count(db, OfficeDay) == 0


def test_adopting_government_cuti_bersama_adds_only_the_days_not_yet_set(db, as_admin):
    suggested = suggested_cuti_bersama(YEAR)
    assert suggested, "the holidays package knows the 2026 cuti bersama"
    first_day = min(suggested)
    as_admin.post("/admin/kalender/tambah", data={"day": first_day.isoformat(), "kind": "closure",
                                                  "name": "Ditetapkan sendiri"})
    resp = as_admin.post(f"/admin/kalender/{YEAR}/cuti-bersama", follow_redirects=True)
    assert f"{len(suggested) - 1} hari cuti bersama pemerintah {YEAR} diterapkan" in resp.get_data(as_text=True)
    rows = {o.day: o for o in db.session.scalars(select(OfficeDay))}
    assert set(rows) == set(suggested)
    assert rows[first_day].kind == ClosureKind.CLOSURE and rows[first_day].name == "Ditetapkan sendiri"
    assert all(rows[d].kind == ClosureKind.CUTI_BERSAMA for d in suggested if d != first_day)
    again = as_admin.post(f"/admin/kalender/{YEAR}/cuti-bersama", follow_redirects=True)
    assert "sudah ada di kalender" in again.get_data(as_text=True)
    assert _count(db, OfficeDay) == len(suggested)
    assert len(_events(db, "office_day.set")) == len(suggested)


def test_calendar_year_out_of_range_falls_back_to_this_year(as_admin):
    resp = as_admin.get("/admin/kalender?tahun=abc")
    assert resp.status_code == 302
    assert as_admin.post("/admin/kalender/1800/cuti-bersama").status_code == 404


# ---------------------------------------------------------------- audit log

def test_audit_log_filters_by_action_user_and_date_and_pages(db, as_admin, admin, make_asn):
    import time_machine

    from silabu.core import audit

    someone = make_asn(name="Pelaku Lain")
    with time_machine.travel("2026-03-02 09:00 +07:00", tick=False):
        for i in range(60):
            audit.record("test.bulk", object_type="test", object_id=i, actor=admin)
        audit.record("entry.verify", object_type="entries", object_id=1, actor=someone,
                     before={"status": "submitted"}, after={"status": "verified"})
        db.session.flush()  # the timestamp is taken at flush
    with time_machine.travel("2026-04-10 09:00 +07:00", tick=False):
        audit.record("test.late", object_type="test", object_id=99, actor=admin)
        db.session.flush()
    db.session.commit()

    def listed(url: str) -> list[str]:
        return re.findall(r'<div class="audit-head"><span class="mono">([^<]+)</span>', as_admin.get(url).get_data(as_text=True))

    page1_html = as_admin.get("/admin/audit?action=test.").get_data(as_text=True)
    assert "61 kejadian" in page1_html and "Halaman 1 dari 2" in page1_html
    page1 = listed("/admin/audit?action=test.")
    assert len(page1) == 50 and page1[0] == "test.late" and set(page1[1:]) == {"test.bulk"}  # newest first
    assert listed("/admin/audit?action=test.&page=2") == ["test.bulk"] * 11
    by_user = listed(f"/admin/audit?actor={someone.id}")
    assert by_user == ["entry.verify"]
    assert "verified" in as_admin.get(f"/admin/audit?actor={someone.id}").get_data(as_text=True)
    march = listed("/admin/audit?action=test.&date_from=2026-03-01&date_to=2026-03-31")
    assert len(march) == 50 and "test.late" not in march
    assert "60 kejadian" in as_admin.get("/admin/audit?action=test.&date_from=2026-03-01&date_to=2026-03-31").get_data(as_text=True)
    assert listed("/admin/audit?date_from=2026-04-10&date_to=2026-04-10") == ["test.late"]
    # The day boundary is the satker's (WIB): 2026-03-02 09:00 WIB is not on 1 March.
    assert listed("/admin/audit?action=test.&date_to=2026-03-01") == []
    bad = as_admin.get("/admin/audit?date_from=2026-04-31&date_to=2026-01-01")
    assert bad.status_code == 422 and 'id="e-date_from"' in bad.get_data(as_text=True)


def test_audit_log_shows_that_work_changed_not_what_it_says(db, as_admin, make_asn, make_kasubag, make_entry):
    """The admin keeps settings, not the work: an entry's text, its return note and evidence names stay with
    the owner, their verifiers and the Sekretaris. The log still shows who changed which field, and when."""
    from silabu.entries import services as entries
    from silabu.verification import services as verification
    from tests.conftest import CODE

    asn, kasubag = make_asn(name="Pemilik Entri"), make_kasubag()
    entry = make_entry(asn, activity="Rapat anggaran rahasia Q7", output="Notula Q7")
    entries.update_entry(entry, asn, {"entry_date": entry.entry_date.isoformat(), "output_code": CODE,
                                      "activity": "Rapat anggaran rahasia Q8", "output": "Notula Q7",
                                      "quantity": 2, "unit": "Dokumen"})
    entries.submit_entry(entry, asn)
    verification.return_entry(entry, kasubag, "Catatan pengembalian Q9")
    db.session.commit()

    html = as_admin.get("/admin/audit?action=entry.").get_data(as_text=True)
    for secret in ("rahasia Q7", "rahasia Q8", "Notula Q7", "pengembalian Q9"):
        assert secret not in html
    assert "activity" in html and "(isi pekerjaan, tidak ditampilkan)" in html  # that it changed is visible
    for action in ("entry.create", "entry.update", "entry.submit", "entry.return"):
        assert f'<span class="mono">{action}</span>' in html
    assert "returned" in html and "Pemilik Entri" in html  # status values and who acted stay readable


def test_audit_log_is_read_only(as_admin):
    assert as_admin.post("/admin/audit").status_code == 405


# ---------------------------------------------------------------- indicators

def test_indicators_import_for_a_year(db, as_admin):
    resp = as_admin.post("/admin/indikator", data={"year": "2026", **_upload((DEMO / "indicators.csv").read_bytes(),
                                                                           "indicators.csv")})
    assert resp.status_code == 200
    rows = (DEMO / "indicators.csv").read_text().strip().splitlines()[1:]
    assert _count(db, Indicator, Indicator.year == 2026) == len(rows)
    assert f"<strong>{len(rows)}</strong> indikator baru" in resp.get_data(as_text=True)
    again = as_admin.post("/admin/indikator", data={"year": "2026", **_upload((DEMO / "indicators.csv").read_bytes(),
                                                                            "indicators.csv")})
    assert f"<strong>{len(rows)}</strong> diperbarui" in again.get_data(as_text=True)
    assert _count(db, Indicator) == len(rows)


def test_indicators_import_reports_bad_rows_and_bad_year(db, as_admin):
    content = (b"report,sasaran_code,sasaran,indicator_code,indicator,unit,target_year,polarity,consolidation,output_code\n"
               b"LKJ-SEK,S1,Sasaran,IK1,Indikator satu,Dokumen,12,+,sum,\n"
               b"LKJ-SEK,S1,Sasaran,IK2,Indikator dua,Dokumen,dua belas,+,sum,\n"
               b"LKJ-SEK,S1,Sasaran,IK3,Indikator tiga,Dokumen,5,+,sum,999.99.ZZ\n")
    resp = as_admin.post("/admin/indikator", data={"year": "2027", **_upload(content, "pk.csv")})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and '<td data-label="Baris">3</td>' in html and '<td data-label="Baris">4</td>' in html
    assert _count(db, Indicator, Indicator.year == 2027) == 1
    bad_year = as_admin.post("/admin/indikator", data={"year": "20x6", **_upload(content, "pk.csv")})
    assert bad_year.status_code == 422 and 'id="e-year"' in bad_year.get_data(as_text=True)
    assert _count(db, Indicator) == 1
