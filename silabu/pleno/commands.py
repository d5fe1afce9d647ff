"""`flask pleno ...` commands: build a month's packet by hand, see the year's status."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup

from silabu.accounts.org import satker_timezone
from silabu.commands import satker_option
from silabu.core.clock import period_of, previous_period, timezone_label
from silabu.core.errors import ServiceError
from silabu.core.formatting import angka, bulan, ukuran
from silabu.extensions import db

pleno_cli = AppGroup("pleno", help="Paket pleno bulanan.")


def _today() -> date:
    from silabu.accounts.org import today_for

    return today_for()


@pleno_cli.command("build")
@satker_option
@click.option("--month", "month", default=None, help="Bulan TTTT-BB (bawaan: bulan lalu)")
def build_cmd(month: str | None) -> None:
    """Susun paket pleno sebuah bulan sekarang (versi baru)."""
    from silabu.pleno import services

    period = month or previous_period(period_of(_today()))
    try:
        packet = services.build_packet(period, None)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"Gagal: {exc.message}", err=True)
        sys.exit(1)
    s = packet.summary or {}
    click.echo(f"Paket {bulan(period)} versi {packet.version} tersusun "
               f"({s.get('units_closed', 0)}/{s.get('units_total', 0)} bulan unit ditutup, "
               f"{angka(s.get('activities', 0), 0)} kegiatan terverifikasi).")
    if s.get("message"):
        click.echo(s["message"])
    for f in packet.files:
        click.echo(f"  {f.name}  {ukuran(f.size)}  sha256 {f.sha256}")
    click.echo(f"Sidik data: {packet.data_sha256}")


@pleno_cli.command("status")
@satker_option
@click.option("--year", type=int, default=None, help="Tahun (bawaan: tahun ini)")
def status_cmd(year: int | None) -> None:
    """Tampilkan status paket pleno setiap bulan dalam setahun."""
    from silabu.pleno import services

    year = year or _today().year
    click.echo(f"Paket pleno {year} (waktu {timezone_label(satker_timezone())})")
    for row in services.year_overview(year):
        p = row["packet"]
        extra = f"  BA {p.berita_acara_number}" if p is not None and p.berita_acara_number else ""
        click.echo(f"  {row['month']}  {row['label']:<16} {row['status_label']:<28} "
                   f"unit ditutup {row['units_closed']}/{row['units_total']}{extra}")
    finals = services.final_periods(year)
    click.echo("Bulan final (dasar LKj): " + (", ".join(finals) if finals else "belum ada"))
