"""Logging in by NIP or username, the first-login password change, logout, lockout and session ends."""
from __future__ import annotations

from tests.conftest import PASSWORD, login


def test_login_by_nip_lands_on_home(client, make_asn):
    asn = make_asn()
    r = login(client, asn)
    assert r.status_code == 302 and r.headers["Location"].endswith("/beranda")


def test_admin_logs_in_by_username(client, make_user):
    admin = make_user("SEK", "admin", nip=None, username="admin")
    r = client.post("/masuk", data={"login": "admin", "password": PASSWORD})
    assert r.status_code == 302
    del admin


def test_wrong_password_is_refused_in_bahasa_indonesia(client, make_asn):
    asn = make_asn()
    r = client.post("/masuk", data={"login": asn.nip, "password": "salah"})
    assert r.status_code == 401 and "kata sandi salah" in r.get_data(as_text=True)


def test_account_locks_after_repeated_failures(client, make_asn):
    asn = make_asn()
    for _ in range(5):
        client.post("/masuk", data={"login": asn.nip, "password": "salah"})
    r = client.post("/masuk", data={"login": asn.nip, "password": PASSWORD})
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.get_data(as_text=True)


def test_inactive_account_cannot_log_in(client, make_asn, db):
    asn = make_asn()
    asn.is_active_account = False
    db.session.commit()
    assert login(client, asn).status_code == 401


def test_first_login_must_change_password(client, db, org):
    from silabu.accounts.services import UserData, create_user
    from tests.conftest import make_nip

    user, initial = create_user(UserData(name="Baru", unit_code="KUL", roles="asn", nip=make_nip()))
    db.session.commit()
    r = client.post("/masuk", data={"login": user.nip, "password": initial})
    assert r.headers["Location"].endswith("/akun/kata-sandi")
    assert client.get("/api/v1/me").status_code in (200, 401)  # the API is not forced through the page
    r = client.get("/bulan")
    assert r.status_code == 302 and "/akun/kata-sandi" in r.headers["Location"]
    r = client.post("/akun/kata-sandi", data={"current_password": initial, "new_password": "12345678",
                                               "confirm_password": "12345678"})
    assert r.status_code == 422 and "tidak boleh hanya angka" in r.get_data(as_text=True)
    r = client.post("/akun/kata-sandi", data={"current_password": initial, "new_password": "Kudus-Baru-2026",
                                               "confirm_password": "Kudus-Baru-2026"})
    assert r.status_code == 302
    assert client.get("/bulan").status_code == 200


def test_password_change_ends_other_sessions(app, make_asn, db):
    asn = make_asn()
    phone, laptop = app.test_client(), app.test_client()
    login(phone, asn)
    login(laptop, asn)
    assert laptop.get("/beranda").status_code == 200
    r = phone.post("/akun/kata-sandi", data={"current_password": PASSWORD, "new_password": "Sandi-Baru-2026",
                                              "confirm_password": "Sandi-Baru-2026"})
    assert r.status_code == 302
    assert phone.get("/beranda").status_code == 200
    assert laptop.get("/beranda").status_code == 302  # sent back to the login page


def test_logout_needs_post_and_ends_the_session(client, make_asn):
    asn = make_asn()
    login(client, asn)
    assert client.get("/keluar").status_code == 405
    client.post("/keluar")
    assert client.get("/beranda").status_code == 302


def test_open_redirect_after_login_is_ignored(client, make_asn):
    asn = make_asn()
    r = client.post("/masuk?next=https://evil.example/x", data={"login": asn.nip, "password": PASSWORD})
    assert r.headers["Location"].endswith("/beranda")


def test_pages_carry_security_headers(client):
    r = client.get("/masuk")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert b"<script>" not in r.data and b" style=\"" not in r.data


def test_audit_log_is_append_only(db, make_asn):
    import pytest

    from silabu.core.audit import AuditEvent, AuditLogIsAppendOnly

    make_asn()
    ev = db.session.scalars(db.select(AuditEvent)).first()
    ev.note = "diubah"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(db.select(AuditEvent)).first())
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()


def test_import_file_with_numeric_nips_is_refused(db, org):
    import io

    import openpyxl
    import pytest

    from silabu.core.errors import ValidationFailed
    from silabu.core.tables import read_table

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["nip", "name", "unit_code", "roles"])
    ws.append([198603242014031003, "Agus", "KUL", "asn"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationFailed) as exc:
        read_table("users.xlsx", buf.getvalue())
    assert "Kolom NIP berisi angka" in exc.value.fields["file"]


def test_csv_row_wider_than_its_header_is_refused():
    import pytest

    from silabu.core.errors import ValidationFailed
    from silabu.core.tables import read_table

    with pytest.raises(ValidationFailed):
        read_table("u.csv", b"nip,name\n198603242014031003,Agus,extra\n")


def test_non_ascii_digits_are_not_a_nip():
    from silabu.accounts.nip import nip_problem

    assert nip_problem("１９８６０３２４２０１４０３１００３") == "NIP harus terdiri dari 18 digit angka."
