"""`flask jobs ...` commands: the scheduler process, the job table, and every job by hand."""
from __future__ import annotations

import sys
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from silabu.core.formatting import tanggal
from silabu.ops.services import FAILED, OUTCOME_LABELS, JobResult

jobs_cli = AppGroup("jobs", help="Penjadwal dan tugas terjadwal.")


def _report(results: list[JobResult]) -> None:
    if not results:
        click.echo("Tidak ada yang perlu dijalankan.")
    for r in results:
        key = f" [{r.key}]" if r.key else ""
        click.echo(f"{r.job}{key}: {OUTCOME_LABELS.get(r.outcome, r.outcome)}" + (f" — {r.message}" if r.message else ""),
                   err=r.outcome == FAILED)
    if any(r.outcome == FAILED for r in results):
        sys.exit(1)


@jobs_cli.command("run")
@click.option("--no-catch-up", is_flag=True, help="Jangan jalankan tugas yang terlewat saat mulai")
def run_cmd(no_catch_up: bool) -> None:
    """Jalankan penjadwal (satu proses tersendiri; hentikan dengan Ctrl+C atau SIGTERM)."""
    from jobs.scheduler import run_scheduler

    click.echo("Penjadwal SILABU berjalan. Hentikan dengan Ctrl+C.")
    run_scheduler(current_app._get_current_object(), with_catch_up=not no_catch_up)  # type: ignore[attr-defined]


@jobs_cli.command("list")
def list_cmd() -> None:
    """Daftar tugas terjadwal, jadwal berikutnya dan hasil terakhirnya."""
    from jobs.scheduler import JOBS, scheduler_timezone
    from silabu.core.clock import zone
    from silabu.core.formatting import waktu
    from silabu.ops.lease import describe_lease
    from silabu.ops.services import last_runs_by_job

    tz = scheduler_timezone()
    now = datetime.now(zone(tz))
    last = last_runs_by_job()
    click.echo(f"Zona waktu penjadwal: {tz}")
    click.echo(describe_lease(tz))
    for spec in JOBS:
        upcoming = spec.trigger(current_app.config, tz).get_next_fire_time(None, now)
        run = last.get(spec.name)
        click.echo(f"{spec.name:<16} {spec.label}")
        click.echo(f"{'':<16} jadwal: {spec.schedule}; berikutnya: {waktu(upcoming, tz) if upcoming else '–'}")
        if run is not None:
            click.echo(f"{'':<16} terakhir: {waktu(run.started_at, tz)} [{run.key or '-'}] "
                       f"{OUTCOME_LABELS.get(run.outcome, run.outcome)} {run.message}".rstrip())


def _job_command(name: str, help_text: str) -> None:
    @jobs_cli.command(name, help=help_text)
    def command() -> None:
        from jobs.scheduler import run_now

        _report(run_now(name))


_job_command("reminders", "Kirim pengingat kepada ASN yang masih punya hari kerja kosong (sekali sehari).")
_job_command("window-notices", "Kirim pemberitahuan jendela verifikasi dibuka dan verifikasi terlambat.")
_job_command("backup", "Cadangan malam: basis data dan berkas unggahan, lalu retensi BACKUP_KEEP.")
_job_command("cleanup-orphans", "Hapus berkas unggahan yang tidak dirujuk data apa pun (berumur > 1 jam).")
_job_command("send-mail", "Kirim e-mail pemberitahuan yang masih antre.")
_job_command("lkj-first-draft", "Susun draf pertama LKj tahun lalu bila sudah waktunya (Januari; idempoten).")


@jobs_cli.command("rollup")
@click.option("--month", "period", default=None, help="Bulan YYYY-MM (bawaan: bulan yang jendela verifikasinya sudah ditutup)")
def rollup_cmd(period: str | None) -> None:
    """Rekap bulanan: bangun paket pleno bulan yang jendela verifikasinya sudah ditutup (sekali per bulan)."""
    from jobs.scheduler import now_local, run_now
    from silabu.core.clock import parse_period
    from silabu.core.formatting import bulan
    from silabu.verification.services import verification_window

    if period is not None:
        try:
            parse_period(period)
        except ValueError:
            raise click.BadParameter("gunakan bentuk YYYY-MM, mis. 2026-10", param_hint="--month") from None
        _opens, closes = verification_window(period)
        if now_local().date() <= closes:
            click.echo(f"Jendela verifikasi {bulan(period)} baru ditutup {tanggal(closes)}. Untuk membangun paket "
                       f"sekarang gunakan: flask --app wsgi pleno build --month {period}", err=True)
            sys.exit(2)
    _report(run_now("rollup", period=period))
