"""The command line's fixed points (API.md) and the admin commands, run through Flask's CLI runner."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import SHARED, make_nip


def test_create_user_with_password_needs_no_change(app, db, org):
    from silabu.accounts.models import User

    nip = make_nip()
    r = app.test_cli_runner().invoke(args=["create-user", "--nip", nip, "--name", "Budi Uji", "--unit", "KUL",
                                           "--roles", "asn,kasubag", "--password", "Kudus-Uji-2026"])
    assert r.exit_code == 0, r.output
    user = db.session.scalar(select(User).where(User.nip == nip))
    assert user.roles == {"asn", "kasubag"} and user.must_change_password is False


def test_create_user_refuses_a_bad_nip_with_a_message(app, db, org):
    from silabu.accounts.models import User

    r = app.test_cli_runner().invoke(args=["create-user", "--nip", "123", "--name", "X", "--unit", "KUL",
                                           "--roles", "asn", "--password", "Kudus-Uji-2026"])
    assert r.exit_code == 1 and "18 digit" in r.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_import_commands_read_the_demo_files(app, db, org):
    from silabu.accounts.models import User
    from silabu.catalog.models import Indicator

    runner = app.test_cli_runner()
    r = runner.invoke(args=["import-users", str(SHARED / "data/demo/users.csv")])
    assert r.exit_code == 0, r.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 28
    r = runner.invoke(args=["import-output-codes", str(SHARED / "data/demo/output_codes.csv")])
    assert r.exit_code == 0 and "24 diperbarui" in r.output
    r = runner.invoke(args=["import-indicators", str(SHARED / "data/demo/indicators.csv"), "--year", "2026"])
    assert r.exit_code == 0, r.output
    assert db.session.scalar(select(func.count()).select_from(Indicator).where(Indicator.year == 2026)) == 10


def test_deactivate_and_reset_password_from_the_command_line(app, db, make_asn):
    asn = make_asn()
    runner = app.test_cli_runner()
    r = runner.invoke(args=["deactivate-user", asn.nip])
    assert r.exit_code == 0
    db.session.refresh(asn)
    assert asn.is_active_account is False
    r = runner.invoke(args=["reset-password", asn.nip])
    assert r.exit_code == 0 and "wajib diganti" in r.output
    db.session.refresh(asn)
    assert asn.must_change_password is True
    assert runner.invoke(args=["deactivate-user", "000"]).exit_code == 1
