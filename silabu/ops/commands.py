"""Operations commands: `flask backup`, `flask restore PATH`, `flask cleanup-orphans`, `flask worker run`."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from silabu.core.clock import utcnow
from silabu.extensions import db
from silabu.ops.services import FAILED, OUTCOME_LABELS, RUNNING, SUCCESS, run_job

worker_cli = AppGroup("worker", help="Pekerja tugas latar (penyusunan paket pleno, kompilasi LKj).")


def register_ops(app: Flask) -> None:
    for command in (backup_cmd, restore_cmd, cleanup_orphans_cmd, worker_cli):
        app.cli.add_command(command)


@worker_cli.command("run")
@click.option("--once", is_flag=True, help="Kerjakan antrean sampai habis, lalu berhenti")
def worker_run_cmd(once: bool) -> None:
    """Jalankan pekerja tugas latar (satu proses; hentikan dengan Ctrl+C atau SIGTERM)."""
    import logging
    import signal

    from silabu.ops.tasks import Worker

    if not logging.getLogger().handlers:  # its log is the journal's: which task, how long, what failed
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    worker = Worker(current_app._get_current_object())  # type: ignore[attr-defined]
    if once:
        ran = worker.drain()
        click.echo(f"{ran} tugas latar dikerjakan.")
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: worker.stop())
    click.echo(f"Pekerja tugas latar SILABU berjalan ({worker.worker_id}). Hentikan dengan Ctrl+C.")
    try:
        worker.run_forever()
    except KeyboardInterrupt:
        worker.stop()


@click.command("backup")
@click.option("--dest", default=None, help="Folder tujuan (bawaan: BACKUP_DIR); tidak ada retensi di folder lain")
@with_appcontext
def backup_cmd(dest: str | None) -> None:
    """Buat cadangan basis data dan berkas unggahan sekarang."""
    from silabu.ops.backup import BackupError, create_backup

    def work() -> str:
        info = create_backup(dest)
        click.echo(f"Cadangan dibuat: {info.path}")
        click.echo(f"  basis data {info.database}, {info.file_count} berkas unggahan, {info.size} bita")
        return f"{info.name} ({info.database}, {info.file_count} berkas) di {info.path.parent}"

    result = run_job("backup", None, work)
    if result.outcome == FAILED:
        click.echo(f"Gagal membuat cadangan: {result.message.removeprefix(BackupError.__name__ + ': ')}", err=True)
        sys.exit(1)


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Jangan minta konfirmasi")
@with_appcontext
def restore_cmd(path: str, yes: bool) -> None:
    """Pulihkan basis data dan berkas unggahan dari folder cadangan PATH (menggantikan data sekarang)."""
    from silabu.ops.backup import BackupError, restore_backup, verify_backup

    try:
        info = verify_backup(path)
    except BackupError as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)
    created = info.manifest.get("created_at", "?")
    click.echo(f"Cadangan {info.name} ({info.database}, dibuat {created} UTC, {info.file_count} berkas) utuh.")
    if not yes:
        click.confirm("Semua data dan berkas unggahan sekarang akan DIGANTI isi cadangan ini. "
                      "Hentikan layanan web dan penjadwal terlebih dahulu. Lanjutkan?", abort=True)
    try:
        report = restore_backup(path)
    except BackupError as exc:
        click.echo(f"Gagal: {exc}", err=True)
        sys.exit(1)
    rows = sum(report.tables.values())
    click.echo(f"Dipulihkan: {rows} baris dalam {len(report.tables)} tabel, {report.file_count} berkas unggahan.")
    _record_restore(report.path.name, report.ok, "; ".join(report.mismatches))
    if not report.ok:
        for line in report.mismatches:
            click.echo(f"  tidak cocok: {line}", err=True)
        sys.exit(1)


def _record_restore(name: str, ok: bool, problems: str) -> None:
    """The restored database learns that it was restored (the run itself happened in the replaced one)."""
    from sqlalchemy import update

    from silabu.ops.models import JobRun

    now = utcnow()
    # Runs "running" when the backup was taken (at least the backup job itself) ran in the old database.
    db.session.execute(update(JobRun).where(JobRun.outcome == RUNNING).values(
        outcome=FAILED, finished_at=now, message="Tidak selesai di basis data ini: cadangan diambil saat tugas berjalan."))
    db.session.add(JobRun(job="restore", key=None, started_at=now, finished_at=now, outcome=SUCCESS if ok else FAILED,
                          message=f"dipulihkan dari {name}" + (f": {problems}" if problems else "")))
    db.session.commit()


@click.command("cleanup-orphans")
@click.option("--min-age", default=3600, show_default=True, help="Hanya berkas yang lebih tua dari sekian detik")
@with_appcontext
def cleanup_orphans_cmd(min_age: int) -> None:
    """Hapus berkas unggahan yang tidak dirujuk data apa pun."""
    from silabu.evidence.blobs import clean_orphans
    from silabu.evidence.storage import get_storage

    result = run_job("cleanup-orphans", None,
                     lambda: f"{clean_orphans(get_storage(), older_than_seconds=min_age)} berkas dihapus")
    click.echo(f"{OUTCOME_LABELS.get(result.outcome, result.outcome)}: {result.message}", err=result.outcome == FAILED)
    if result.outcome == FAILED:
        sys.exit(1)
