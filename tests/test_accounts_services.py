"""Unit tests of the account rules: NIP, passwords, login lockout, API tokens, user import, deactivation."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from silabu.accounts import login as signin
from silabu.accounts import services, sessions, tokens
from silabu.accounts.models import ApiToken, LoginAttempt, User
from silabu.accounts.nip import is_valid_nip, nip_problem
from silabu.core.audit import AuditEvent
from silabu.core.errors import Conflict, ValidationFailed
from silabu.core.tables import read_table
from tests.conftest import PASSWORD

TODAY = date(2026, 11, 21)
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


# ---------------------------------------------------------------- NIP

@pytest.mark.parametrize("nip", [
    "198603242014031003",   # PNS, man, TMT March 2014
    "199411232021012001",   # PNS, woman
    "199003032015032006",   # PPPK staff of the demo file
    "196807301998022004",
    "200801012025081001",   # TMT at exactly 17
    "198603242026111003",   # TMT this very month
])
def test_valid_nips_pass(nip):
    assert nip_problem(nip, TODAY) is None
    assert is_valid_nip(nip, TODAY)


def test_full_width_digits_are_not_a_nip():
    assert not is_valid_nip("１９８６０３２４２０１４０３１００３", TODAY)


@pytest.mark.parametrize("nip, fragment", [
    ("19860324201403100", "18 digit"),           # 17 digits
    ("1986032420140310031", "18 digit"),         # 19 digits
    ("", "wajib"),
    ("19860324201403100A", "18 digit"),          # a letter
    ("19860324 201403 1 003", "18 digit"),       # spaces inside
    ("198602302014031003", "tanggal lahir"),     # 30 February
    ("198613242014031003", "tanggal lahir"),     # birth month 13
    ("193012012014031003", "tidak masuk akal"),  # born before 1940
    ("201501012014031003", "tidak masuk akal"),  # younger than 17 today
    ("198603242014131003", "01–12"),             # TMT month 13
    ("198603242014001003", "01–12"),             # TMT month 00
    ("198603242000031003", "tidak cocok"),       # TMT at 14 years old
    ("195003242014031003", "tidak cocok"),       # TMT at 64 years old
    ("198603242027011003", "masa depan"),        # TMT next year
    ("198603242026121003", "masa depan"),        # TMT next month
    ("198603242014033003", "jenis kelamin"),     # gender digit 3
    ("198603242014030003", "jenis kelamin"),     # gender digit 0
    ("198603242014031000", "000"),               # sequence 000
])
def test_invalid_nips_say_why(nip, fragment):
    problem = nip_problem(nip, TODAY)
    assert problem is not None and fragment in problem
    assert not is_valid_nip(nip, TODAY)


# ---------------------------------------------------------------- passwords

@pytest.mark.parametrize("password, fragment", [
    ("", "minimal 8"), ("Ab3$xyz", "minimal 8"), ("x" * 201, "terlalu panjang"), ("12345678901", "hanya angka"),
])
def test_password_rules(password, fragment):
    assert fragment in services.password_problem(password)


def test_password_may_not_be_the_nip_or_username(make_asn):
    user = make_asn(nip="198603242014031003")
    assert "NIP" in services.password_problem("198603242014031003", user)
    assert services.password_problem("Kudus-Sehat-2026", user) is None


def test_change_password_checks_current_confirmation_and_novelty(db, make_asn):
    user = make_asn()
    with pytest.raises(ValidationFailed) as exc:
        services.change_password(user, "salah-sekali", "Baru-Sekali-1", "Baru-Sekali-1")
    assert "current_password" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.change_password(user, PASSWORD, "Baru-Sekali-1", "Baru-Sekali-2")
    assert "confirm_password" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.change_password(user, PASSWORD, PASSWORD, PASSWORD)
    assert "berbeda" in exc.value.fields["new_password"]
    version = user.session_version
    services.change_password(user, PASSWORD, "Baru-Sekali-1", "Baru-Sekali-1")
    assert check_password_hash(user.password_hash, "Baru-Sekali-1")
    assert not user.must_change_password and user.session_version == version + 1


def test_generated_passwords_are_long_random_and_acceptable():
    seen = {services.generate_initial_password() for _ in range(50)}
    assert len(seen) == 50
    assert all(len(p) == 12 and services.password_problem(p) is None for p in seen)


def test_passwords_are_stored_as_scrypt_hashes(app, make_asn):
    """Production default (no PASSWORD_HASH_METHOD set): scrypt. The test app uses a cheap hash for speed."""
    cheap = app.config.pop("PASSWORD_HASH_METHOD")
    try:
        user = make_asn()
    finally:
        app.config["PASSWORD_HASH_METHOD"] = cheap
    assert user.password_hash.startswith("scrypt:") and PASSWORD not in user.password_hash


# ---------------------------------------------------------------- login lockout

def _fail(login: str, address: str, times: int, **kw) -> None:
    for _ in range(times):
        assert signin.authenticate(login, "salah-salah", address, **kw) is None


def test_login_locks_an_account_after_n_failures_even_with_the_right_password(db, make_asn):
    user = make_asn()
    with time_machine.travel(T0, tick=False):
        _fail(user.nip, "10.0.0.1", 4, max_attempts=5)
        assert signin.authenticate(user.nip, PASSWORD, "10.0.0.1", max_attempts=5) is user  # 4 < 5
        _fail(user.nip, "10.0.0.1", 5, max_attempts=5)
        with pytest.raises(signin.LoginLocked) as exc:
            signin.authenticate(user.nip, PASSWORD, "10.0.0.1", max_attempts=5, lock_minutes=15)
        assert "15 menit" in str(exc.value)
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        assert signin.authenticate(user.nip, PASSWORD, "10.0.0.1", max_attempts=5, lock_minutes=15) is user


def test_an_account_guessed_from_many_addresses_locks_after_four_times_the_limit(db, make_asn):
    user = make_asn()
    with time_machine.travel(T0, tick=False):
        for i in range(4):  # 4 addresses × 5 failures: each pair is at its limit, the account at 4 × 5
            _fail(user.nip, f"198.51.100.{i}", 5, max_attempts=5)
        with pytest.raises(signin.LoginLocked):
            signin.authenticate(user.nip, PASSWORD, "192.0.2.77", max_attempts=5)


def test_failures_on_other_accounts_from_one_address_do_not_lock_an_untouched_account(db, make_asn):
    """Behind the office's proxy every ASN shares one address: 20 failures over 7 accounts lock nobody else."""
    victim = make_asn()
    with time_machine.travel(T0, tick=False):
        for i in range(20):
            _fail(f"19860324201403{i % 7:04d}", "203.0.113.7", 1, max_attempts=5)
        assert signin.authenticate(victim.nip, PASSWORD, "203.0.113.7", max_attempts=5) is victim


def test_a_successful_login_clears_the_accounts_failures(db, make_asn):
    user = make_asn()
    with time_machine.travel(T0, tick=False):
        _fail(user.nip, "10.0.0.1", 4)
        assert signin.authenticate(user.nip, PASSWORD, "10.0.0.1") is user
        db.session.commit()
        _fail(user.nip, "10.0.0.1", 4)
        assert signin.authenticate(user.nip, PASSWORD, "10.0.0.1") is user


def test_unknown_login_and_inactive_account_count_as_failures(db, make_asn):
    user = make_asn()
    services.set_active(user, False)
    db.session.commit()
    assert signin.authenticate(user.nip, PASSWORD, "10.0.0.1") is None
    assert signin.authenticate("tidak.ada", "apa-saja-1", "10.0.0.1") is None
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 2


# ---------------------------------------------------------------- tokens

def test_token_is_valid_until_it_expires(db, make_asn):
    user = make_asn()
    with time_machine.travel(T0, tick=False):
        token, row = tokens.issue_token(user, hours=2, name="ponsel")
        db.session.commit()
        assert token.startswith("slb_") and row.token_hash == tokens.token_hash(token) and token not in row.token_hash
        assert tokens.user_for_token(token) is user
    with time_machine.travel(T0 + timedelta(hours=1, minutes=59), tick=False):
        assert tokens.user_for_token(token) is user
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        assert tokens.user_for_token(token) is None


def test_revoked_token_stops_working_and_the_revocation_is_audited(db, make_asn):
    user = make_asn()
    token, row = tokens.issue_token(user, hours=24)
    other, _ = tokens.issue_token(user, hours=24)
    tokens.revoke_token(row, actor=user)
    db.session.commit()
    assert tokens.user_for_token(token) is None
    assert tokens.user_for_token(other) is user
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke")).object_id == row.id


def test_unknown_or_empty_token_is_nobody(db, make_asn):
    make_asn()
    assert tokens.user_for_token("") is None
    assert tokens.user_for_token("slb_tebakan") is None


# ---------------------------------------------------------------- creating users

def test_create_user_without_password_generates_one_that_must_be_changed(db, org):
    user, password = services.create_user(services.UserData(name="Rina", unit_code="kul", roles="asn;rendatin",
                                                            nip="198603242014031003"))
    assert user.must_change_password and check_password_hash(user.password_hash, password)
    assert user.roles == {"asn", "rendatin"} and user.unit.code == "KUL"
    given, _ = services.create_user(services.UserData(name="Admin", unit_code="SEK", roles="admin", username="Admin",
                                                      password="Kuat-Sekali-1"))
    assert not given.must_change_password and given.username == "admin"


@pytest.mark.parametrize("data, field", [
    (dict(nip="198603242014031003"), "nip"),          # taken
    (dict(nip="123"), "nip"),
    (dict(nip=None, username=None), "nip"),
    (dict(nip=None, username="nama pakai spasi"), "username"),
    (dict(roles="asn,raja"), "roles"),
    (dict(roles=""), "roles"),
    (dict(unit_code="XXX"), "unit"),
    (dict(employment="Honorer"), "employment"),
    (dict(name=" "), "name"),
    (dict(password="pendek"), "password"),
])
def test_create_user_refuses_bad_data(db, make_asn, data, field):
    make_asn(nip="198603242014031003")
    values = dict(name="Calon", unit_code="KUL", roles="asn", nip="199411232021012001")
    values.update(data)
    before = db.session.scalar(select(func.count()).select_from(User))
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(services.UserData(**values))
    assert field in exc.value.fields
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == before


# ---------------------------------------------------------------- import

CSV_ROWS = (
    "nip,name,jabatan,golongan,employment,unit_code,roles,email\n"
    "198603242014031003,Agus Handayani,Analis Perencanaan,III/b,PNS,KUL,asn,agus@example.go.id\n"
    "19860324201403100,NIP Pendek,Analis,III/b,PNS,KUL,asn,\n"
    "198102142011012017,Eko Maharani,Pengolah Data,VII,PPPK,RDI,asn;rendatin,eko@example.go.id\n"
    "198711182012031020,Unit Salah,Penata,II/c,PNS,XXX,asn,\n"
    ",Administrator Sistem,Administrator,,,SEK,admin,operator@example.go.id\n"
)


def test_import_users_from_csv_takes_good_rows_and_reports_bad_ones_by_line(db, org):
    report = services.import_users(read_table("users.csv", CSV_ROWS.encode()).rows)
    assert sorted(report.created) == ["198102142011012017", "198603242014031003", "operator"]
    assert [line for line, _ in report.errors] == [3, 5]
    assert "18 digit" in report.errors[0][1] and "XXX" in report.errors[1][1]
    assert not report.ok
    for login, password in report.passwords.items():
        user = services.find_login(login)
        assert user.must_change_password and check_password_hash(user.password_hash, password)
    assert services.find_login("198102142011012017").roles == {"asn", "rendatin"}
    # A second run updates instead of duplicating and hands out no new passwords.
    again = services.import_users(read_table("users.csv", CSV_ROWS.encode()).rows)
    assert again.created == [] and sorted(again.updated) == sorted(report.created) and again.passwords == {}


def test_import_users_reads_semicolon_csv_with_bom(db, org):
    content = "\ufeffnip;name;unit_code;roles\n198603242014031003;Agus;KUL;asn\n".encode("utf-8")
    report = services.import_users(read_table("users.csv", content).rows)
    assert report.created == ["198603242014031003"] and report.ok


def test_import_users_from_xlsx(db, org):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NIP", "Name", "Jabatan", "Golongan", "Employment", "Unit_Code", "Roles", "Email"])
    ws.append(["198603242014031003", "Agus Handayani", "Analis", "III/b", "PNS", "KUL", "asn", None])
    ws.append([None] * 8)  # a blank row in the middle is skipped
    ws.append(["198102142011012017", "Eko Maharani", "Pengolah Data", "VII", "PPPK", "RDI", "asn;rendatin", None])
    ws.append(["19810214201101201", "NIP Pendek", "", "", "PNS", "RDI", "asn", None])
    ws.append(["198711182012031020", "Peran Salah", "", "", "PNS", "RDI", "raja", None])
    buf = io.BytesIO()
    wb.save(buf)
    rows = read_table("pegawai.xlsx", buf.getvalue()).rows
    assert rows[0]["nip"] == "198603242014031003" and rows[0]["unit_code"] == "KUL"  # headers are case-folded
    report = services.import_users(rows)
    assert sorted(report.created) == ["198102142011012017", "198603242014031003"]
    assert len(report.errors) == 2 and "raja" in report.errors[1][1]


def test_unreadable_xlsx_is_a_validation_error(db, org):
    with pytest.raises(ValidationFailed) as exc:
        read_table("pegawai.xlsx", b"PK\x03\x04 not really a workbook")
    assert "file" in exc.value.fields


# ---------------------------------------------------------------- deactivation and sessions

def test_deactivated_user_cannot_log_in_and_their_sessions_and_tokens_end(db, app, make_asn, make_user):
    admin = make_user("SEK", "admin")
    user = make_asn()
    with app.test_request_context():
        secret = sessions.start(user)
    token, _ = tokens.issue_token(user, hours=24)
    db.session.commit()
    assert sessions.user_for(user.id, secret) is user

    services.set_active(user, False, actor=admin)
    db.session.commit()
    assert sessions.user_for(user.id, secret) is None
    assert signin.authenticate(user.nip, PASSWORD, "10.0.0.1") is None
    assert tokens.user_for_token(token) is None
    ev = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivate"))
    assert ev.actor_id == admin.id and ev.before == {"is_active": True} and ev.after == {"is_active": False}

    services.set_active(user, True, actor=admin)
    db.session.commit()
    assert sessions.user_for(user.id, secret) is None  # reactivation does not revive the old session
    assert signin.authenticate(user.nip, PASSWORD, "10.0.0.1") is user


def test_nobody_deactivates_themselves(db, make_user):
    admin = make_user("SEK", "admin")
    with pytest.raises(Conflict):
        services.set_active(admin, False, actor=admin)
    assert admin.is_active_account


def test_reset_password_ends_sessions_tokens_and_lockout(db, app, make_asn, make_user):
    admin = make_user("SEK", "admin")
    user = make_asn()
    with app.test_request_context():
        secret = sessions.start(user)
    token, _ = tokens.issue_token(user, hours=24)
    _fail(user.nip, "10.0.0.1", 5)
    temporary = services.reset_password(user, actor=admin)
    db.session.commit()
    assert user.must_change_password and sessions.user_for(user.id, secret) is None
    assert tokens.user_for_token(token) is None
    assert signin.authenticate(user.nip, temporary, "10.0.0.1") is user  # the lockout was lifted
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)).revoked_at is not None
