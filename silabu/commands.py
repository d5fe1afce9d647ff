"""Command line under ``flask --app wsgi``: the fixed points of API.md and the domains' own groups."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

import click
from flask import Flask, current_app

from silabu.core.errors import ServiceError, ValidationFailed
from silabu.extensions import db


def register(app: Flask) -> None:
    for command in (create_user_cmd, deactivate_user_cmd, activate_user_cmd, reset_password_cmd, import_users_cmd,
                    import_output_codes_cmd, import_indicators_cmd, demo_data_cmd, create_satker_cmd,
                    import_satker_cmd, import_units_cmd):
        app.cli.add_command(command)
    from jobs.cli import jobs_cli
    from silabu.lkj.commands import lkj_cli
    from silabu.ops.commands import register_ops
    from silabu.pleno.commands import pleno_cli

    app.cli.add_command(pleno_cli)
    app.cli.add_command(lkj_cli)
    app.cli.add_command(jobs_cli)
    register_ops(app)


def _fail(message: str) -> None:
    click.echo(f"Gagal: {message}", err=True)
    sys.exit(1)


def satker_option(command):
    """``--satker CODE``: the command acts inside that satker (accounts.tenancy); without it, inside the
    installation's first (said on stderr when there are several)."""

    @click.option("--satker", "satker_code", default=None,
                  help="Kode satker (wajib bila instalasi memiliki lebih dari satu satker)")
    @functools.wraps(command)
    def wrapped(*args, satker_code=None, **kwargs):
        from silabu.accounts.tenancy import satker_for_command, satker_scope, several_satkers

        try:
            satker = satker_for_command(satker_code)
        except ServiceError as exc:
            _fail("; ".join(exc.fields.values()) or exc.message)
        if not satker_code and several_satkers():  # on stderr: stdout stays what scripts read
            click.echo(f"Satker: {satker.code} {satker.name} (bawaan; --satker KODE untuk satker lain)", err=True)
        with satker_scope(satker):
            return command(*args, **kwargs)

    return wrapped


@click.command("create-user")
@satker_option
@click.option("--nip", default=None, help="NIP 18 digit")
@click.option("--username", default=None, help="Nama pengguna untuk akun tanpa NIP (mis. admin)")
@click.option("--name", required=True)
@click.option("--unit", "unit_code", required=True, help="Kode unit, mis. KUL")
@click.option("--roles", required=True, help="asn,kasubag,rendatin,sekretaris,ketua,admin")
@click.option("--password", default=None, help="Tanpa opsi ini kata sandi awal dibuat dan wajib diganti")
@click.option("--jabatan", default="")
@click.option("--golongan", default="")
@click.option("--employment", default=None, type=click.Choice(["PNS", "PPPK"], case_sensitive=False))
@click.option("--email", default="")
@click.option("--division", default=None, help="Divisi komisioner, mis. \"Divisi Perencanaan, Data dan Informasi\"")
def create_user_cmd(nip, username, name, unit_code, roles, password, jabatan, golongan, employment, email, division):
    """Buat satu pengguna."""
    from silabu.accounts.services import UserData, create_user

    if not nip and not username:
        _fail("isi --nip atau --username.")
    try:
        user, initial = create_user(UserData(name=name, unit_code=unit_code, roles=roles, nip=nip, username=username,
                                             jabatan=jabatan, golongan=golongan, employment=employment, email=email,
                                             password=password, division=division),
                            must_change_password=password is None)
    except ValidationFailed as exc:
        db.session.rollback()
        _fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()))
    db.session.commit()
    click.echo(f"Pengguna dibuat: {user.login_name} ({user.name}), id {user.id}")
    if password is None:
        click.echo(f"Kata sandi awal (wajib diganti saat masuk pertama): {initial}")


def _user_by_login(login: str):
    from silabu.accounts.services import find_login

    user = find_login(login)
    if user is None:
        _fail(f"pengguna '{login}' tidak ditemukan (isi NIP atau nama pengguna).")
    return user


@click.command("deactivate-user")
@click.argument("login")
def deactivate_user_cmd(login):
    """Nonaktifkan akun (NIP atau nama pengguna): sesi dan tokennya berakhir, datanya tetap."""
    from silabu.accounts.services import set_active

    user = _user_by_login(login)
    set_active(user, False)
    db.session.commit()
    click.echo(f"Akun {user.login_name} ({user.name}) dinonaktifkan.")


@click.command("activate-user")
@click.argument("login")
def activate_user_cmd(login):
    """Aktifkan kembali akun yang dinonaktifkan."""
    from silabu.accounts.services import set_active

    user = _user_by_login(login)
    set_active(user, True)
    db.session.commit()
    click.echo(f"Akun {user.login_name} ({user.name}) aktif kembali.")


@click.command("reset-password")
@click.argument("login")
def reset_password_cmd(login):
    """Atur ulang kata sandi: kata sandi sementara dicetak sekali dan wajib diganti saat masuk."""
    from silabu.accounts.services import reset_password

    user = _user_by_login(login)
    password = reset_password(user)
    db.session.commit()
    click.echo(f"Kata sandi sementara {user.login_name} (wajib diganti saat masuk): {password}")


def _read(path: str) -> list[dict[str, str]]:
    from silabu.core.tables import read_table

    p = Path(path)
    if not p.is_file():
        _fail(f"berkas {path} tidak ditemukan.")
    try:
        return read_table(p.name, p.read_bytes()).rows
    except ValidationFailed as exc:
        _fail("; ".join(exc.fields.values()))
    return []


@click.command("import-users")
@satker_option
@click.argument("file")
@click.option("--passwords-out", default=None, help="Tulis kata sandi awal pengguna baru ke berkas CSV ini")
def import_users_cmd(file, passwords_out):
    """Impor pengguna dari CSV/XLSX (bentuk users.csv)."""
    from silabu.accounts.services import import_users

    report = import_users(_read(file))
    db.session.commit()
    click.echo(f"{len(report.created)} dibuat, {len(report.updated)} diperbarui, {len(report.errors)} baris ditolak.")
    for line, message in report.errors:
        click.echo(f"  baris {line}: {message}", err=True)
    if passwords_out and report.passwords:
        Path(passwords_out).write_text("login,password\n" + "".join(f"{k},{v}\n" for k, v in report.passwords.items()))
        click.echo(f"Kata sandi awal ditulis ke {passwords_out}.")
    if report.errors:
        sys.exit(2)


@click.command("import-output-codes")
@satker_option
@click.argument("file")
def import_output_codes_cmd(file):
    """Impor katalog kode output (RKA/DIPA) dari CSV/XLSX."""
    from silabu.catalog.services import import_output_codes

    report = import_output_codes(_read(file))
    db.session.commit()
    click.echo(f"{report.created} dibuat, {report.updated} diperbarui, {len(report.errors)} baris ditolak.")
    for line, message in report.errors:
        click.echo(f"  baris {line}: {message}", err=True)
    if report.errors:
        sys.exit(2)


@click.command("import-indicators")
@satker_option
@click.argument("file")
@click.option("--year", type=int, default=None, help="Tahun Perjanjian Kinerja (bawaan: tahun ini)")
def import_indicators_cmd(file, year):
    """Impor indikator Perjanjian Kinerja dari CSV/XLSX (bentuk indicators.csv)."""
    from silabu.accounts.org import today_for
    from silabu.lkj.services import import_indicators

    year = year or today_for().year
    try:
        report = import_indicators(_read(file), year)
    except ServiceError as exc:
        db.session.rollback()
        _fail(exc.message)
    db.session.commit()
    click.echo(f"Tahun {year}: {report.created} dibuat, {report.updated} diperbarui, {len(report.errors)} ditolak.")
    for line, message in report.errors:
        click.echo(f"  baris {line}: {message}", err=True)
    if report.errors:
        sys.exit(2)


@click.command("create-satker")
@click.option("--code", required=True, help="Kode satker, mis. 3319 (KPU Kabupaten Kudus) atau 33 (KPU Provinsi)")
@click.option("--name", required=True)
@click.option("--level", default=None, help="ri, provinsi atau kabkota (bawaan: satu tingkat di bawah induknya)")
@click.option("--parent", "parent_code", default=None, help="Kode satker induk")
@click.option("--timezone", default=None, help="WIB, WITA atau WIT (bawaan: zona waktu induknya)")
@click.option("--address", default="")
@click.option("--city", default="")
def create_satker_cmd(code, name, level, parent_code, timezone, address, city):
    """Tambah satu satker ke pohon KPU RI – provinsi – kabupaten/kota."""
    from silabu.accounts.satkers import create_satker, level_label
    from silabu.core.clock import timezone_label

    try:
        satker = create_satker(code=code, name=name, level=level, parent_code=parent_code, timezone=timezone,
                               address=address, city=city)
    except ValidationFailed as exc:
        db.session.rollback()
        _fail("; ".join(exc.fields.values()))
    db.session.commit()
    under = f", di bawah {satker.parent.code} {satker.parent.name}" if satker.parent else ""
    click.echo(f"Satker dibuat: {satker.code} {satker.name} ({level_label(satker.level)}{under}; "
               f"{timezone_label(satker.timezone)} {satker.timezone})")


@click.command("import-satker")
@click.argument("file")
def import_satker_cmd(file):
    """Impor satker dari CSV/XLSX (code, name, level, parent_code, timezone, address, city); baris yang ada diperbarui.
    Seluruh berkas diperiksa dahulu: bila ada baris yang salah, tidak ada yang diubah."""
    from silabu.accounts.satkers import import_satkers
    from silabu.core.tables import read_table

    path = Path(file)
    if not path.is_file():
        _fail(f"berkas {file} tidak ditemukan.")
    try:
        table = read_table(path.name, path.read_bytes())
    except ValidationFailed as exc:
        _fail("; ".join(exc.fields.values()))
    report = import_satkers(table)
    if report.errors:
        db.session.rollback()
        click.echo(f"{len(report.errors)} masalah ditemukan; tidak ada satker yang diubah.", err=True)
        for line, message in report.errors:
            click.echo(f"  baris {line}: {message}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"{len(report.created)} satker dibuat, {len(report.updated)} diperbarui.")


@click.command("import-units")
@click.argument("file")
@click.option("--satker", "satker_code", required=True, help="Kode satker pemilik unit-unit ini")
def import_units_cmd(file, satker_code):
    """Impor unit (Sub Bagian) sebuah satker dari CSV/XLSX (bentuk units.csv: code, name, parent_code).
    Seluruh berkas diperiksa dahulu: bila ada baris yang salah, tidak ada yang diubah."""
    from silabu.accounts.org import import_units
    from silabu.accounts.tenancy import satker_by_code, satker_scope

    try:
        satker = satker_by_code(satker_code)
    except ServiceError as exc:
        _fail(exc.message)
    rows = _read(file)
    with satker_scope(satker):
        created, updated, errors = import_units(rows, satker)
    if errors:
        db.session.rollback()
        click.echo(f"{len(errors)} masalah ditemukan; tidak ada unit yang diubah.", err=True)
        for line, message in errors:
            click.echo(f"  baris {line}: {message}", err=True)
        sys.exit(2)
    db.session.commit()
    click.echo(f"Satker {satker.code}: {len(created)} unit dibuat, {len(updated)} diperbarui.")


@click.command("demo-data")
@click.option("--password", default="silabu-demo", show_default=True, help="Kata sandi semua akun demo")
@click.option("--entries/--no-entries", default=True, help="Buat juga entri contoh beserta bukti")
def demo_data_cmd(password, entries):
    """Muat organisasi demo (unit, pengguna, kode output, indikator) dan entri contoh."""
    from silabu.demo import load_demo

    summary = load_demo(Path(current_app.config["DEMO_DATA_DIR"]), password=password, with_entries=entries)
    db.session.commit()
    click.echo(summary)
