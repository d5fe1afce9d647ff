"""The SOP's output for a unit-month: "softfile dokumen data kinerja ASN hasil verifikasi", as XLSX and PDF.

Both are built from ``services.month_report`` (the verified entries per ASN with totals); views only send them.
"""
from __future__ import annotations

import io
from decimal import Decimal
from html import escape

import pandas as pd

from silabu.core import pdf
from silabu.core.formatting import angka, bulan, persen, tanggal, waktu
from silabu.core.sheets import excel_writer
from silabu.verification.services import MonthReport, ReportGroup

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
TITLE = "DATA KINERJA ASN HASIL VERIFIKASI"


def filename(report: MonthReport, ext: str) -> str:
    return f"data-kinerja-terverifikasi-{report.unit.code}-{report.period}.{ext}"


def _status_line(report: MonthReport) -> str:
    um = report.unit_month
    tz = report.unit.satker.timezone if report.unit.satker else "Asia/Jakarta"
    if um is not None and um.is_closed:
        who = um.closed_by.name if um.closed_by else "-"
        behalf = f" {um.closed_on_behalf_of}" if um.closed_on_behalf_of else ""
        return f"Bulan ditutup {waktu(um.closed_at, tz)} oleh {who}{behalf}"
    return "Bulan belum ditutup: data dapat masih berubah (dokumen sementara)"


def _quantity(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def _totals_text(group: ReportGroup) -> str:
    parts = [f"{angka(q)} {uom}" for uom, q in group.quantity_totals]
    return ", ".join(parts) if parts else "-"


def _summary_frame(report: MonthReport) -> pd.DataFrame:
    rows = []
    for i, g in enumerate(report.groups, start=1):
        rows.append({"No": i, "Nama": g.owner.name, "NIP": g.owner.nip or "", "Jabatan": g.owner.jabatan,
                     "Terverifikasi": g.counts["verified"], "Dikembalikan": g.counts["returned"],
                     "Menunggu verifikasi": g.counts["submitted"], "Draf (belum diajukan)": g.counts["draft"],
                     "Hari terisi": g.filled_days, "Hari kerja": g.working_days,
                     "Kepatuhan (%)": g.compliance})
    frame = pd.DataFrame(rows, columns=["No", "Nama", "NIP", "Jabatan", "Terverifikasi", "Dikembalikan",
                                        "Menunggu verifikasi", "Draf (belum diajukan)", "Hari terisi", "Hari kerja",
                                        "Kepatuhan (%)"])
    return frame


def _entries_frame(group: ReportGroup) -> pd.DataFrame:
    rows = []
    for i, e in enumerate(group.entries, start=1):
        hours = ""
        if e.start_time and e.end_time:
            hours = f"{e.start_time:%H.%M}–{e.end_time:%H.%M}"
        rows.append({"No": i, "Tanggal": tanggal(e.entry_date), "Kode output": e.output_code.code,
                     "Uraian kode": e.output_code.name, "Kegiatan": e.activity, "Output": e.output,
                     "Jumlah": _quantity(e.quantity), "Satuan": e.unit_of_measure, "Jam": hours,
                     "Bukti": len(e.evidence)})
    return pd.DataFrame(rows, columns=["No", "Tanggal", "Kode output", "Uraian kode", "Kegiatan", "Output", "Jumlah",
                                       "Satuan", "Jam", "Bukti"])


def month_xlsx(report: MonthReport) -> bytes:
    """Sheet 'Rekap' (one row per ASN, totals, signature) and sheet 'Rincian' (a table per ASN)."""
    satker = report.unit.satker
    buf = io.BytesIO()
    with excel_writer(buf) as writer:
        book = writer.book
        bold = book.add_format({"bold": True})
        title = book.add_format({"bold": True, "font_size": 13})
        head = book.add_format({"bold": True, "bg_color": "#EFEFEF", "border": 1, "text_wrap": True, "valign": "top"})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        total_fmt = book.add_format({"bold": True, "top": 1})

        def kop(ws, row: int = 0) -> int:
            ws.write(row, 0, "KOMISI PEMILIHAN UMUM", bold)
            ws.write(row + 1, 0, (satker.name if satker else "").upper(), title)
            ws.write(row + 2, 0, satker.address if satker else "")
            ws.write(row + 4, 0, TITLE, title)
            ws.write(row + 5, 0, f"Unit: {report.unit.name}")
            ws.write(row + 6, 0, f"Bulan: {bulan(report.period)}")
            ws.write(row + 7, 0, _status_line(report))
            return row + 9

        summary = _summary_frame(report)
        start = 9
        summary.to_excel(writer, sheet_name="Rekap", startrow=start, index=False)
        ws = writer.sheets["Rekap"]
        kop(ws)
        for col, name in enumerate(summary.columns):
            ws.write(start, col, name, head)
        ws.set_column(0, 0, 5)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 2, 21)
        ws.set_column(3, 3, 28)
        ws.set_column(4, 10, 13)
        row = start + len(summary) + 1
        ws.write(row, 1, "Jumlah", total_fmt)
        for col, key in ((4, "verified"), (5, "returned"), (6, "submitted"), (7, "draft")):
            ws.write(row, col, report.counts[key], total_fmt)
        row += 3
        ws.write(row, 7, f"{(satker.city + ', ') if satker and satker.city else ''}{tanggal(report.printed_on)}")
        ws.write(row + 1, 7, report.signer_title)
        ws.write(row + 5, 7, report.signer_name, bold)
        ws.write(row + 6, 7, f"NIP. {report.signer_nip}" if report.signer_nip else "")

        detail = book.add_worksheet("Rincian")
        writer.sheets["Rincian"] = detail
        row = kop(detail)
        widths = [5, 20, 24, 28, 40, 30, 9, 12, 12, 7]
        for col, width in enumerate(widths):
            detail.set_column(col, col, width)
        for g in report.groups:
            detail.write(row, 0, f"{g.owner.name} — NIP {g.owner.nip or '-'} — {g.owner.jabatan or ''}".rstrip(" —"),
                         bold)
            row += 1
            frame = _entries_frame(g)
            if frame.empty:
                detail.write(row, 0, "Tidak ada entri terverifikasi.")
                row += 2
                continue
            frame.to_excel(writer, sheet_name="Rincian", startrow=row, index=False)
            for col, name in enumerate(frame.columns):
                detail.write(row, col, name, head)
            for r in range(len(frame)):
                for col in (4, 5):
                    detail.write(row + 1 + r, col, frame.iat[r, col], wrap)
            row += len(frame) + 1
            detail.write(row, 0, f"Jumlah: {len(g.entries)} entri terverifikasi; {_totals_text(g)}", total_fmt)
            row += 2
    return buf.getvalue()


def month_pdf(report: MonthReport) -> bytes:
    """A4 landscape, printable: kop surat, a table per ASN with totals, the recap, the Kasubag's signature block."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    f = pdf.fonts()
    regular, bold = f.regular, f.bold
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.5)
    small = ParagraphStyle("small", parent=base, fontSize=7.5, leading=9)
    heading = ParagraphStyle("heading", parent=base, fontName=bold, fontSize=10, leading=13, spaceBefore=8,
                             spaceAfter=3)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER, fontSize=10, leading=13)
    th = ParagraphStyle("th", parent=small, fontName=bold)

    satker = report.unit.satker

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    width = landscape(A4)[0] - 24 * mm
    story = pdf.letterhead(pdf.letterhead_of(satker), width) + [
        Paragraph(TITLE, ParagraphStyle("t", parent=center, fontName=bold, fontSize=12, leading=15)),
        p(f"{report.unit.name} — Bulan {bulan(report.period)}", center),
        p(_status_line(report), ParagraphStyle("st", parent=center, fontSize=8, textColor=colors.HexColor("#555555"))),
        Spacer(1, 6 * mm),
    ]
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)])
    widths = [8 * mm, 27 * mm, 40 * mm, 82 * mm, 70 * mm, 16 * mm, 18 * mm, 12 * mm]  # 273 mm: the full line
    for g in report.groups:
        story.append(p(f"{g.owner.name} — NIP {g.owner.nip or '-'}" + (f" — {g.owner.jabatan}" if g.owner.jabatan
                                                                        else ""), heading))
        if not g.entries:
            story.append(p("Tidak ada entri terverifikasi pada bulan ini.", small))
            continue
        data = [[p(h, th) for h in ("No", "Tanggal", "Kode output", "Kegiatan", "Output", "Jumlah", "Satuan",
                                    "Bukti")]]
        for i, e in enumerate(g.entries, start=1):
            data.append([p(i, small), p(tanggal(e.entry_date), small), p(e.output_code.code, small),
                         p(e.activity, small), p(e.output, small), p(angka(e.quantity), small),
                         p(e.unit_of_measure, small), p(len(e.evidence), small)])
        data.append([p("", small), p("Jumlah", th), p(f"{len(g.entries)} entri", th), p("", small), p("", small),
                     p(_totals_text(g), th), p("", small), p("", small)])
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(grid)
        table.setStyle(TableStyle([("SPAN", (5, len(data) - 1), (7, len(data) - 1)),
                                   ("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.HexColor("#F6F6F6"))]))
        story.append(table)

    story.append(p("Rekapitulasi", heading))
    recap = [[p(h, th) for h in ("No", "Nama / NIP", "Terverifikasi", "Dikembalikan", "Menunggu", "Draf",
                                 "Hari terisi / kerja", "Kepatuhan")]]
    for i, g in enumerate(report.groups, start=1):
        compliance = persen(g.compliance) if g.compliance is not None else "–"
        recap.append([p(i, small), p(f"{g.owner.name}\nNIP {g.owner.nip or '-'}", small), p(g.counts["verified"], small),
                      p(g.counts["returned"], small), p(g.counts["submitted"], small), p(g.counts["draft"], small),
                      p(f"{g.filled_days} / {g.working_days}", small), p(compliance, small)])
    recap.append([p("", small), p("Jumlah", th), p(report.counts["verified"], th), p(report.counts["returned"], th),
                  p(report.counts["submitted"], th), p(report.counts["draft"], th), p("", small), p("", small)])
    recap_table = Table(recap, colWidths=[8 * mm, 80 * mm, 26 * mm, 26 * mm, 24 * mm, 20 * mm, 32 * mm, 24 * mm],
                        repeatRows=1, hAlign="LEFT")
    recap_table.setStyle(grid)
    story.append(recap_table)

    place = f"{satker.city}, " if satker and satker.city else ""
    story.append(Spacer(1, 8 * mm))
    story.append(pdf.signature_blocks([pdf.Signer(report.signer_title, report.signer_name, report.signer_nip)],
                                      f"{place}{tanggal(report.printed_on)}", width))

    buf = io.BytesIO()

    footer = pdf.footer(f"SILABU — {report.unit.code} {bulan(report.period)}", page_width=landscape(A4)[0],
                        margin=12 * mm, y=8 * mm, size=7)

    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=14 * mm, title=f"{TITLE} {report.unit.code} {report.period}",
                            author=satker.name if satker else "SILABU")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
