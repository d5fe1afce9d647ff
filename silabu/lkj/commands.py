"""`flask lkj ...` commands: compile a report by hand, or run the year-end first-draft job."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from silabu.accounts.org import today_for
from silabu.commands import satker_option
from silabu.core.errors import ServiceError
from silabu.extensions import db

lkj_cli = AppGroup("lkj", help="Laporan Kinerja (LKj) tahunan.")


@lkj_cli.command("compile")
@satker_option
@click.option("--year", type=int, required=True, help="Tahun LKj, mis. 2026")
@click.option("--report", "report_code", default=None, help="Kode laporan (LKJ-SEK, LKJ-KPU); tanpa opsi: semua")
@click.option("--semester", type=click.IntRange(1, 2), default=None,
              help="1 atau 2: LKj Semester I / II (bulan 1-6 / 7-12); tanpa opsi: LKj tahunan")
def compile_cmd(year: int, report_code: str | None, semester: int | None) -> None:
    """Kompilasi versi baru LKj (DOCX + PDF) dari data terkini."""
    from silabu.lkj import services

    period = services.normalise_period(semester)

    codes = [report_code.strip().upper()] if report_code else [c for c in services.report_codes(year)
                                                               if services.indicators_for(year, c)]
    if not codes:
        click.echo(f"Gagal: belum ada indikator untuk tahun {year}.", err=True)
        sys.exit(1)
    from silabu.core.links import base_url_problem

    problem = base_url_problem()
    if problem:
        click.echo(f"Peringatan: {problem}", err=True)
    failed = False
    for code in codes:
        try:
            doc = services.compile_report(year, code, period=period)
        except ServiceError as exc:
            db.session.rollback()
            click.echo(f"{code} {year}: gagal, {exc.message}", err=True)
            failed = True
            continue
        db.session.commit()
        label = "" if period == "tahun" else f" {doc.report.period_label}"
        click.echo(f"{code} {year}{label}: versi {doc.version}, kode verifikasi "
                   f"{services.format_code(doc.verification_code)}, "
                   f"PDF sha256 {doc.pdf_sha256}")
    if failed:
        sys.exit(1)


@lkj_cli.command("first-draft")
@satker_option
@click.option("--year", type=int, default=None,
              help="Tahun LKj (bawaan: tahun lalu, bila bulan ini sudah mencapai LKJ_FIRST_DRAFT_MONTH)")
def first_draft_cmd(year: int | None) -> None:
    """Tugas akhir tahun: kompilasi draf pertama setiap LKj yang belum punya versi (idempoten)."""
    from silabu.lkj import services

    if year is None:
        year = services.first_draft_due(today_for())
        if year is None:
            click.echo("Belum waktunya menyusun draf pertama LKj.")
            return
    created = services.compile_first_draft(year)
    db.session.commit()
    if not created:
        click.echo(f"Tahun {year}: semua LKj sudah memiliki draf; tidak ada yang dikompilasi.")
    for doc in created:
        click.echo(f"{doc.report.report_code} {year}: draf versi {doc.version} dikompilasi.")


@lkj_cli.command("import-budget")
@satker_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--year", type=int, required=True, help="Tahun anggaran, mis. 2026")
def import_budget_cmd(path: str, year: int) -> None:
    """Impor pagu dan realisasi anggaran per kode output (CSV/XLSX ekspor keuangan) untuk Bab III B LKj.

    Data anggaran tahun tersebut diganti seluruhnya; satu baris salah menolak seluruh berkas."""
    from pathlib import Path

    from silabu.lkj.services import budget

    file = Path(path)
    try:
        result = budget.import_budget_file(file.name, file.read_bytes(), year)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"Gagal: {exc.message}", err=True)
        for line in exc.details.get("rows") or [exc.fields.get("file", "")]:
            if line:
                click.echo(f"  {line}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"Anggaran {year}: {result.lines} kode output, pagu Rp{budget.angka(result.pagu)}, realisasi "
               f"Rp{budget.angka(result.realisasi)}, penyerapan "
               f"{budget.calc.capaian_text(budget.absorption(result.pagu, result.realisasi))}%"
               + (f" ({result.replaced} baris lama diganti)." if result.replaced else "."))
