"""The SOP's output for a unit-month: "softfile dokumen data kinerja ASN hasil verifikasi", as XLSX and PDF.

Both are built from ``services.month_report`` (the verified entries per ASN with totals); views only send them.
"""
from __future__ import annotations

import io
from datetime import datetime
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
PROVISIONAL = "DOKUMEN SEMENTARA: bulan belum ditutup, belum untuk ditandatangani."


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


FLAT_HEADINGS = [("No", 5), ("Tanggal", 11), ("Nama", 26), ("NIP", 20), ("Kode Output", 24), ("Uraian Kode", 30),
                 ("Kegiatan", 40), ("Output", 30), ("Jumlah", 9), ("Satuan", 11), ("Jam Mulai", 9),
                 ("Jam Selesai", 9), ("Bukti", 7), ("Diverifikasi oleh", 24), ("Waktu Verifikasi", 16)]


def _flat_sheet(book, writer, report: MonthReport) -> None:
    """'Rincian': one flat table of the unit-month's verified entries (real dates and numbers, filterable)."""
    from zoneinfo import ZoneInfo

    from silabu.core.clock import as_utc

    ws = book.add_worksheet("Rincian")
    writer.sheets["Rincian"] = ws
    head = book.add_format({"bold": True, "bg_color": "#EFEFEF", "border": 1, "text_wrap": True, "valign": "top"})
    text = book.add_format({"valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    day = book.add_format({"num_format": "dd/mm/yyyy", "valign": "top"})
    clock = book.add_format({"num_format": "hh:mm", "valign": "top"})
    stamp = book.add_format({"num_format": "dd/mm/yyyy hh:mm", "valign": "top"})
    number = book.add_format({"num_format": "#,##0.##", "valign": "top"})
    for col, (heading, width) in enumerate(FLAT_HEADINGS):
        ws.write_string(0, col, heading, head)
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    zone = ZoneInfo(report.unit.satker.timezone if report.unit.satker else "Asia/Jakarta")
    rows = [(g.owner, e) for g in report.groups for e in g.entries]
    rows.sort(key=lambda oe: (oe[1].entry_date, oe[0].name, oe[1].id))
    for i, (owner, e) in enumerate(rows, start=1):
        ws.write_number(i, 0, i, text)
        ws.write_datetime(i, 1, datetime(e.entry_date.year, e.entry_date.month, e.entry_date.day), day)
        ws.write_string(i, 2, owner.name, text)
        ws.write_string(i, 3, owner.nip or "", text)
        ws.write_string(i, 4, e.output_code.code, text)
        ws.write_string(i, 5, e.output_code.name, wrap)
        ws.write_string(i, 6, e.activity, wrap)
        ws.write_string(i, 7, e.output or "", wrap)
        ws.write_number(i, 8, _quantity(e.quantity), number)
        ws.write_string(i, 9, e.unit_of_measure, text)
        for col, t in ((10, e.start_time), (11, e.end_time)):
            if t is not None:
                ws.write_datetime(i, col, t, clock)
        ws.write_number(i, 12, len(e.evidence), text)
        ws.write_string(i, 13, e.verified_by.name if e.verified_by else "", text)
        if e.verified_at is not None:
            ws.write_datetime(i, 14, as_utc(e.verified_at).astimezone(zone).replace(tzinfo=None), stamp)
    if rows:
        ws.autofilter(0, 0, len(rows), len(FLAT_HEADINGS) - 1)
    else:
        ws.write_string(1, 2, "Tidak ada entri terverifikasi.", text)


def month_xlsx(report: MonthReport) -> bytes:
    """Sheet 'Rekap' (one row per ASN, totals, signature once the month is closed) and sheet 'Rincian' (one flat
    table of the verified entries)."""
    satker = report.unit.satker
    buf = io.BytesIO()
    with excel_writer(buf) as writer:
        book = writer.book
        book.set_properties({"title": f"{TITLE.title()} {report.unit.name} {bulan(report.period)}",
                             "subject": "Softfile dokumen data kinerja ASN hasil verifikasi",
                             "author": report.signer_name or (satker.name if satker else "SILABU"),
                             "company": satker.name if satker else "", "comments": _status_line(report),
                             # the month, not the clock: the same data gives the same bytes
                             "created": datetime(*(int(x) for x in report.period.split("-")), 1)})
        bold = book.add_format({"bold": True})
        title = book.add_format({"bold": True, "font_size": 13})
        head = book.add_format({"bold": True, "bg_color": "#EFEFEF", "border": 1, "text_wrap": True, "valign": "top"})
        total_fmt = book.add_format({"bold": True, "top": 1})

        def kop(ws, row: int = 0) -> int:
            ws.write(row, 0, "KOMISI PEMILIHAN UMUM", bold)
            ws.write(row + 1, 0, (satker.name if satker else "").upper(), title)
            # the same kop surat lines as the PDF (address; telephone, e-mail, website)
            for i, line in enumerate(pdf.letterhead_of(satker).lines[:2]):
                ws.write(row + 2 + i, 0, line)
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
        if report.is_final:
            ws.write(row, 7, f"{(satker.city + ', ') if satker and satker.city else ''}{tanggal(report.printed_on)}")
            ws.write(row + 1, 7, report.signer_title)
            ws.write(row + 5, 7, report.signer_name, bold)
            ws.write(row + 6, 7, f"NIP. {report.signer_nip}" if report.signer_nip else "")
        else:
            ws.write(row, 0, PROVISIONAL, bold)
        ws.freeze_panes(start + 1, 0)

        _flat_sheet(book, writer, report)
    return buf.getvalue()


def month_pdf(report: MonthReport) -> bytes:
    """A4 landscape, printable: kop surat, a table per ASN with totals, the recap, the Kasubag's signature block."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
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
    # 273 mm: the full line. Dates are plain strings in a column wide enough for "30 September 2026" (never wrapped).
    widths = [8 * mm, 25 * mm, 36 * mm, 68 * mm, 54 * mm, 15 * mm, 17 * mm, 10 * mm, 40 * mm]
    tz = report.unit.satker.timezone if report.unit.satker else "Asia/Jakarta"
    for g in report.groups:
        story.append(p(f"{g.owner.name} — NIP. {g.owner.nip or '-'}" + (f" — {g.owner.jabatan}" if g.owner.jabatan
                                                                         else ""), heading))
        if not g.entries:
            story.append(p("Tidak ada entri terverifikasi pada bulan ini.", small))
            continue
        data = [[p(h, th) for h in ("No", "Tanggal", "Kode output", "Kegiatan", "Output", "Jumlah", "Satuan",
                                    "Bukti", "Diverifikasi oleh / pada")]]
        for i, e in enumerate(g.entries, start=1):
            who = e.verified_by.name if e.verified_by else "-"
            when = waktu(e.verified_at, tz) if e.verified_at else ""
            data.append([str(i), tanggal(e.entry_date), p(e.output_code.code, small),
                         p(e.activity, small), p(e.output, small), angka(e.quantity),
                         p(e.unit_of_measure, small), str(len(e.evidence)), p(f"{who}\n{when}", small)])
        data.append([p("", small), p("Jumlah", th), p(f"{len(g.entries)} entri", th), p("", small), p("", small),
                     p(_totals_text(g), ParagraphStyle("tot", parent=th, alignment=TA_RIGHT)), p("", small),
                     p("", small), p("", small)])
        last = len(data) - 1
        table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        table.setStyle(grid)
        table.setStyle(TableStyle([("SPAN", (5, last), (7, last)), ("FONT", (0, 1), (-1, -1), regular, 7.5),
                                   ("ALIGN", (0, 1), (0, -1), "RIGHT"), ("ALIGN", (5, 1), (5, -1), "RIGHT"),
                                   ("ALIGN", (7, 1), (7, -1), "RIGHT"),
                                   # the total never starts a page on its own
                                   ("NOSPLIT", (0, max(last - 1, 1)), (-1, last)),
                                   ("BACKGROUND", (0, last), (-1, last), colors.HexColor("#F6F6F6"))]))
        story.append(table)

    story.append(p("Rekapitulasi", heading))
    recap = [[p(h, th) for h in ("No", "Nama / NIP", "Terverifikasi", "Dikembalikan", "Menunggu", "Draf",
                                 "Hari terisi / kerja", "Kepatuhan")]]
    for i, g in enumerate(report.groups, start=1):
        compliance = persen(g.compliance) if g.compliance is not None else "–"
        recap.append([str(i), p(f"{g.owner.name}\nNIP. {g.owner.nip or '-'}", small), g.counts["verified"],
                      g.counts["returned"], g.counts["submitted"], g.counts["draft"],
                      f"{g.filled_days} / {g.working_days}", compliance])
    recap.append([p("", small), p("Jumlah", th), p(report.counts["verified"], th), p(report.counts["returned"], th),
                  p(report.counts["submitted"], th), p(report.counts["draft"], th), p("", small), p("", small)])
    recap_table = Table(recap, colWidths=[8 * mm, 80 * mm, 26 * mm, 26 * mm, 24 * mm, 20 * mm, 32 * mm, 24 * mm],
                        repeatRows=1, hAlign="LEFT")
    recap_table.setStyle(grid)
    recap_table.setStyle(TableStyle([("FONT", (0, 1), (-1, -1), regular, 7.5), ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                                     ("ALIGN", (0, 1), (0, -1), "RIGHT"),
                                     ("NOSPLIT", (0, max(len(recap) - 2, 1)), (-1, len(recap) - 1))]))
    story.append(recap_table)

    place = f"{satker.city}, " if satker and satker.city else ""
    story.append(Spacer(1, 8 * mm))
    if not report.is_final:
        # An open month's softfile is for reading, not for signing.
        story.append(Paragraph(PROVISIONAL, ParagraphStyle("prov", parent=heading, textColor=colors.HexColor("#8B1A1A"))))
    else:
        signers = [pdf.Signer(report.signer_title, report.signer_name, report.signer_nip)]
        if report.knower_name or report.knower_title:
            # The Kasubag's own entries are verified by the Sekretaris, who signs them as "Mengetahui".
            signers.insert(0, pdf.Signer(report.knower_title, report.knower_name, report.knower_nip, "Mengetahui,"))
        story.append(pdf.signature_blocks(signers, f"{place}{tanggal(report.printed_on)}", width))

    buf = io.BytesIO()

    footer = pdf.footer(f"SILABU — {report.unit.code} {bulan(report.period)}", page_width=landscape(A4)[0],
                        margin=12 * mm, y=8 * mm, size=7)

    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=14 * mm, title=f"{TITLE} {report.unit.code} {report.period}",
                            author=satker.name if satker else "SILABU", creator="SILABU", lang="id-ID",
                            # No creation time or random ID inside: the same month gives the same bytes (the
                            # packet's copy and its sha256 stay the same when nothing changed).
                            invariant=1)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
