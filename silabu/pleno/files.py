"""The packet's files: XLSX workbook, printable PDF, evidence index (CSV + ZIP) and the manifest.

Everything here turns a ``Rollup`` (and a few facts about the satker and the build) into bytes; nothing is
stored or committed here. Headings and texts are Bahasa Indonesia; numbers use Indonesian separators.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any, Callable
from xml.sax.saxutils import escape

import pandas as pd
import xlsxwriter
from sqlalchemy import select

from silabu.accounts.models import Unit, User
from silabu.catalog.models import OutputCode
from silabu.core.clock import as_utc, zone
from silabu.core.formatting import angka, bulan, persen, tanggal, waktu
from silabu.entries.models import Entry, EntryStatus
from silabu.evidence.models import Evidence
from silabu.extensions import db
from silabu.pleno.rollup import Rollup
from silabu.verification.models import UnitMonth

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
CSV_TYPE = "text/csv"
ZIP_TYPE = "application/zip"
JSON_TYPE = "application/json"

# Stored as the file format wants them (',' thousands, '.' decimals); Excel and LibreOffice show them with the
# reader's locale, so an Indonesian installation shows 1.234 and 1.234,50.
FMT_INT = "#,##0"
FMT_DEC = "#,##0.00"


@dataclass
class Signatory:
    title: str
    name: str
    nip: str


@dataclass
class PacketMeta:
    """Facts about the build that are not data: who, when, which version, the letterhead."""

    period: str
    version: int
    built_at: datetime
    timezone: str
    satker_name: str
    satker_code: str
    satker_address: str
    satker_city: str
    data_sha256: str
    signatories: list[Signatory] = field(default_factory=list)
    base_url: str = ""
    zip_max_bytes: int = 200 * 1024 * 1024

    @property
    def stem(self) -> str:
        return f"{self.period}-v{self.version}"


@dataclass
class BuiltFile:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)


# --- column specs: (frame column, heading, kind) -------------------------------------------------------------------
Col = tuple[str, str, str]

UNIT_COLS: list[Col] = [
    ("unit_code", "Kode Unit", "text"), ("unit_name", "Unit", "wide"), ("closed_label", "Bulan Unit", "text"),
    ("asn_count", "Jumlah ASN", "int"), ("activities", "Kegiatan Terverifikasi", "int"),
    ("quantity", "Jumlah Output (semua satuan)", "dec"), ("evidence", "Bukti Dukung", "int"),
    ("filled_days", "Rata-rata Hari Terisi", "dec"), ("compliance", "Kepatuhan Pengisian (%)", "dec"),
    ("returned_fixed", "Dikembalikan lalu Diperbaiki", "int"), ("missing_entries", "Entri Belum Masuk Rekap", "int"),
]
ASN_COLS: list[Col] = [
    ("unit_code", "Unit", "text"), ("nip", "NIP", "text"), ("name", "Nama", "wide"), ("jabatan", "Jabatan", "wide"),
    ("activities", "Kegiatan Terverifikasi", "int"), ("quantity", "Jumlah Output (semua satuan)", "dec"),
    ("quantity_detail", "Rincian Output per Satuan", "wide"), ("evidence", "Bukti Dukung", "int"),
    ("working_days", "Hari Kerja", "int"), ("filled_days", "Hari Terisi", "int"),
    ("compliance", "Kepatuhan Pengisian (%)", "dec"), ("returned_fixed", "Dikembalikan lalu Diperbaiki", "int"),
    ("missing_entries", "Entri Belum Masuk Rekap", "int"),
]
OUTPUT_COLS: list[Col] = [
    ("code", "Kode Output", "text"), ("code_name", "Uraian Kode Output", "wide"), ("uom", "Satuan", "text"),
    ("activities", "Kegiatan", "int"), ("quantity", "Jumlah Output", "dec"), ("evidence", "Bukti Dukung", "int"),
    ("asn_count", "Jumlah ASN", "int"), ("unit_count", "Jumlah Unit", "int"),
]
UNIT_OUTPUT_COLS: list[Col] = [
    ("unit_code", "Unit", "text"), ("code", "Kode Output", "text"), ("code_name", "Uraian Kode Output", "wide"),
    ("uom", "Satuan", "text"), ("activities", "Kegiatan", "int"), ("quantity", "Jumlah Output", "dec"),
    ("evidence", "Bukti Dukung", "int"), ("asn_count", "Jumlah ASN", "int"),
]
QUANTITY_COLS: list[Col] = [
    ("unit_code", "Unit", "text"), ("uom", "Satuan", "text"), ("activities", "Kegiatan", "int"),
    ("quantity", "Jumlah Output", "dec"),
]
COMPARISON_COLS: list[Col] = [
    ("unit_code", "Unit", "text"), ("unit_name", "Nama Unit", "wide"),
    ("activities_prev", "Kegiatan Bulan Lalu", "int"), ("activities", "Kegiatan Bulan Ini", "int"),
    ("activities_change", "Selisih Kegiatan", "int"), ("quantity_prev", "Output Bulan Lalu", "dec"),
    ("quantity", "Output Bulan Ini", "dec"), ("quantity_change", "Selisih Output", "dec"),
    ("compliance_prev", "Kepatuhan Bulan Lalu (%)", "dec"), ("compliance", "Kepatuhan Bulan Ini (%)", "dec"),
    ("compliance_change", "Selisih Kepatuhan (poin)", "dec"),
]
INDICATOR_COLS: list[Col] = [
    ("report_code", "Laporan", "text"), ("sasaran", "Sasaran", "wide"), ("indicator_code", "Kode Indikator", "text"),
    ("indicator", "Indikator Kinerja", "wide"), ("indicator_unit", "Satuan Indikator", "text"),
    ("target_year", "Target Tahunan", "dec"), ("code", "Kode Output", "text"),
    ("activities", "Kegiatan Bulan Ini", "int"), ("quantity", "Output Bulan Ini", "dec"),
    ("quantity_detail", "Rincian Output", "wide"),
]
MISSING_COLS: list[Col] = [
    ("unit_code", "Unit", "text"), ("unit_name", "Nama Unit", "wide"), ("reason", "Alasan", "wide"),
    ("status", "Status Entri", "text"), ("entries", "Jumlah Entri", "int"), ("asn_count", "Jumlah ASN", "int"),
]

SHEETS: list[tuple[str, str, str, list[Col]]] = [
    ("units", "Per Unit", "Rekapitulasi per Unit", UNIT_COLS),
    ("asn", "Per ASN", "Rekapitulasi per ASN", ASN_COLS),
    ("outputs", "Per Kode Output", "Rekapitulasi per Kode Output", OUTPUT_COLS),
    ("unit_outputs", "Unit x Kode Output", "Kode Output per Unit", UNIT_OUTPUT_COLS),
    ("quantities", "Output per Satuan", "Jumlah Output per Satuan", QUANTITY_COLS),
    ("comparison", "Perbandingan", "Perbandingan dengan Bulan Lalu", COMPARISON_COLS),
    ("indicators", "Indikator PK", "Indikator Perjanjian Kinerja yang Didukung", INDICATOR_COLS),
    ("missing", "Belum Masuk Rekap", "Entri yang Belum Masuk Rekapitulasi", MISSING_COLS),
]


def _closed_label(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["closed_label"] = ["Ditutup" if c else "Belum ditutup" for c in df["is_closed"]]
    return df


# --- XLSX --------------------------------------------------------------------------------------------------------------
def build_xlsx(r: Rollup, meta: PacketMeta) -> bytes:
    """One sheet per view, headers frozen, numbers formatted; no build time inside, so rebuilds stay alike."""
    buf = io.BytesIO()
    year, month = (int(x) for x in r.period.split("-"))
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                   "strings_to_urls": False})
    # A fixed creation date (the month itself): the workbook's bytes then depend on the data only.
    wb.set_properties({"title": f"Rekapitulasi Data Kinerja {bulan(r.period)}", "subject": "Bahan Rapat Pleno",
                       "author": "SILABU", "company": meta.satker_name, "created": datetime(year, month, 1),
                       "comments": f"sha256 data: {meta.data_sha256}"})
    fmt = {
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "sub": wb.add_format({"italic": True, "font_color": "#555555"}),
        "head": wb.add_format({"bold": True, "bg_color": "#8B1A1A", "font_color": "#FFFFFF", "border": 1,
                               "text_wrap": True, "valign": "top"}),
        "text": wb.add_format({"border": 1, "valign": "top"}),
        "wide": wb.add_format({"border": 1, "valign": "top", "text_wrap": True}),
        "int": wb.add_format({"border": 1, "num_format": FMT_INT, "valign": "top"}),
        "dec": wb.add_format({"border": 1, "num_format": FMT_DEC, "valign": "top"}),
        "label": wb.add_format({"bold": True, "border": 1}),
        "note": wb.add_format({"italic": True, "font_color": "#8B1A1A", "text_wrap": True}),
    }
    _summary_sheet(wb, fmt, r, meta)
    frames = dict(r.frames)
    frames["units"] = _closed_label(frames["units"])
    for key, sheet_name, title, cols in SHEETS:
        _table_sheet(wb, fmt, sheet_name, title, meta, r.period, frames[key], cols)
    wb.close()
    return buf.getvalue()


def _summary_sheet(wb, fmt: dict, r: Rollup, meta: PacketMeta) -> None:  # noqa: ANN001
    ws = wb.add_worksheet("Ringkasan")
    s = r.summary()
    ws.set_column(0, 0, 46)
    ws.set_column(1, 1, 30)
    ws.write(0, 0, f"Rekapitulasi Data Kinerja Bulan {bulan(r.period)}", fmt["title"])
    ws.write(1, 0, f"{meta.satker_name} — bahan Rapat Pleno Laporan Bulanan", fmt["sub"])
    ws.write(3, 0, "Uraian", fmt["head"])
    ws.write(3, 1, "Nilai", fmt["head"])
    ws.freeze_panes(4, 0)
    rows: list[tuple[str, Any, str]] = [
        ("Bulan", bulan(r.period), "text"),
        ("Hari kerja", s["working_days"], "int"),
        ("Unit", s["units_total"], "int"),
        ("Unit yang bulannya sudah ditutup", s["units_closed"], "int"),
        ("Unit yang bulannya belum ditutup", ", ".join(s["units_open"]) or "–", "text"),
        ("Jumlah ASN", s["asn_count"], "int"),
        ("Kegiatan terverifikasi", s["activities"], "int"),
        ("Jumlah output (semua satuan)", s["quantity_total"], "dec"),
        ("Bukti dukung", s["evidence"], "int"),
        ("Rata-rata kepatuhan pengisian (%)", s["compliance_avg"], "dec"),
        ("Dikembalikan lalu diperbaiki", s["returned_fixed"], "int"),
        ("Entri belum masuk rekapitulasi", s["missing_entries"], "int"),
        ("Indikator Perjanjian Kinerja yang didukung", s["indicators"], "int"),
    ]
    for uom, qty in s["quantity_by_unit"].items():
        rows.append((f"Output dalam satuan {uom}", qty, "dec"))
    row = 4
    for label, value, kind in rows:
        ws.write(row, 0, label, fmt["label"])
        if value is None:
            ws.write_string(row, 1, "–", fmt["text"])
        elif kind == "text":
            ws.write_string(row, 1, str(value), fmt["text"])
        else:
            ws.write_number(row, 1, value, fmt[kind])
        row += 1
    ws.write(row + 1, 0, s["message"], fmt["note"])
    ws.write(row + 3, 0, "Sumber: entri terverifikasi dari bulan unit yang sudah ditutup (SILABU).", fmt["sub"])
    ws.write(row + 4, 0, f"Sidik data (sha256): {meta.data_sha256}", fmt["sub"])


WIDTHS = {"text": 14, "wide": 40, "int": 13, "dec": 15}


def _table_sheet(wb, fmt: dict, name: str, title: str, meta: PacketMeta, period: str,  # noqa: ANN001
                 df: pd.DataFrame, cols: list[Col]) -> None:
    ws = wb.add_worksheet(name)
    ws.write(0, 0, f"{title} — {bulan(period)}", fmt["title"])
    ws.write(1, 0, meta.satker_name, fmt["sub"])
    head = 3
    ws.write(head, 0, "No", fmt["head"])
    ws.set_column(0, 0, 5)
    for j, (_, heading, kind) in enumerate(cols, start=1):
        ws.write(head, j, heading, fmt["head"])
        ws.set_column(j, j, WIDTHS[kind])
    ws.set_row(head, 32)
    ws.freeze_panes(head + 1, 0)
    if df.empty:
        ws.write(head + 1, 1, "Tidak ada data untuk bulan ini.", fmt["note"])
        return
    columns = [df[c].tolist() for c, _, _ in cols]
    for i in range(len(df)):
        row = head + 1 + i
        ws.write_number(row, 0, i + 1, fmt["int"])
        for j, (_, _, kind) in enumerate(cols, start=1):
            v = columns[j - 1][i]
            if v is None or (isinstance(v, float) and v != v):
                ws.write_blank(row, j, None, fmt["text"])
            elif kind in ("int", "dec"):
                ws.write_number(row, j, float(v) if kind == "dec" else int(v), fmt[kind])
            else:
                ws.write_string(row, j, str(v), fmt[kind])
    ws.autofilter(head, 0, head + len(df), len(cols))


# --- PDF ---------------------------------------------------------------------------------------------------------------
def build_pdf(r: Rollup, meta: PacketMeta) -> bytes:
    """The printable pleno material: letterhead, summary, charts, a page per unit, signatures."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (HRFlowable, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer,
                                    Table, TableStyle)

    styles = getSampleStyleSheet()
    base = ParagraphStyle("base", parent=styles["Normal"], fontName="Helvetica", fontSize=9, leading=11.5)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10)
    cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=9.5)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    kop1 = ParagraphStyle("kop1", parent=base, fontName="Helvetica-Bold", fontSize=13, leading=16, alignment=TA_CENTER)
    kop2 = ParagraphStyle("kop2", parent=base, fontName="Helvetica-Bold", fontSize=12, leading=15, alignment=TA_CENTER)
    h1 = ParagraphStyle("h1", parent=base, fontName="Helvetica-Bold", fontSize=12, leading=15, alignment=TA_CENTER,
                        spaceBefore=6, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=base, fontName="Helvetica-Bold", fontSize=10.5, leading=13, spaceBefore=8,
                        spaceAfter=4, keepWithNext=1)
    s = r.summary()
    brand = colors.HexColor("#8B1A1A")

    def p(text: Any, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def table(header: list[str], rows: list[list[Any]], widths: list[float], numeric_from: int = 1) -> Table:
        data = [[Paragraph(f"<b>{escape(h)}</b>", cell) for h in header]]
        # Paragraphs (wrapping) only where text may be long: plain strings are an order of magnitude faster.
        limits = [int(w / cm * 6) for w in widths]  # characters of 8 pt Helvetica that fit without wrapping
        data += [[v if isinstance(v, Paragraph) else (str(v) if len(str(v)) <= limits[j] else p(v))
                  for j, v in enumerate(row)] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F1E3E3")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]))
        return t

    def num(v: Any, digits: int = 2) -> str:
        return "–" if v is None or (isinstance(v, float) and v != v) else angka(v, digits)

    def pct(v: Any) -> str:
        return "–" if v is None or (isinstance(v, float) and v != v) else persen(v)

    story: list = []
    story += [p("KOMISI PEMILIHAN UMUM", kop1), p(meta.satker_name.upper(), kop2)]
    if meta.satker_address:
        story.append(p(meta.satker_address, ParagraphStyle("addr", parent=small, alignment=TA_CENTER)))
    story += [Spacer(1, 3), HRFlowable(width="100%", thickness=2, color=colors.black, spaceAfter=1),
              HRFlowable(width="100%", thickness=0.5, color=colors.black, spaceAfter=8)]
    story += [p("BAHAN RAPAT PLENO LAPORAN BULANAN", h1),
              p(f"Rekapitulasi Data Kinerja Bulan {bulan(r.period)}", center),
              p(f"Versi {meta.version} · disusun {waktu(meta.built_at, meta.timezone)}", center), Spacer(1, 8)]

    story.append(p("A. Ringkasan", h2))
    summary_rows = [
        ["Hari kerja", num(s["working_days"], 0)],
        ["Unit (bulan sudah ditutup)", f"{s['units_closed']} dari {s['units_total']}"],
        ["Unit yang bulannya belum ditutup", ", ".join(s["units_open"]) or "–"],
        ["Jumlah ASN", num(s["asn_count"], 0)],
        ["Kegiatan terverifikasi", num(s["activities"], 0)],
        ["Jumlah output per satuan", "; ".join(f"{angka(v)} {k}" for k, v in s["quantity_by_unit"].items()) or "–"],
        ["Bukti dukung", num(s["evidence"], 0)],
        ["Rata-rata kepatuhan pengisian", pct(s["compliance_avg"])],
        ["Dikembalikan lalu diperbaiki", num(s["returned_fixed"], 0)],
        ["Entri belum masuk rekapitulasi", num(s["missing_entries"], 0)],
    ]
    story.append(table(["Uraian", "Nilai"], summary_rows, [8 * cm, 9 * cm], numeric_from=2))
    story += [Spacer(1, 4), p(s["message"], base)]

    story.append(p("B. Rekapitulasi per Unit", h2))
    urows = [[f"{u.unit_code} – {u.unit_name}", "Ditutup" if u.is_closed else "Belum", num(u.asn_count, 0),
              num(u.activities, 0), num(u.quantity), num(u.evidence, 0), pct(u.compliance),
              num(u.returned_fixed, 0), num(u.missing_entries, 0)] for u in r.units.itertuples(index=False)]
    story.append(table(["Unit", "Bulan", "ASN", "Kegiatan", "Output", "Bukti", "Kepatuhan", "Diperbaiki",
                        "Belum rekap"], urows or [["Tidak ada unit.", "", "", "", "", "", "", "", ""]],
                       [5 * cm, 1.5 * cm, 1.1 * cm, 1.5 * cm, 1.6 * cm, 1.2 * cm, 1.7 * cm, 1.6 * cm, 1.6 * cm],
                       numeric_from=2))
    if not r.units.empty:
        story.append(Spacer(1, 8))
        story.append(KeepTogether([p("C. Grafik Kepatuhan dan Output per Unit", h2), _chart(r.units)]))

    story.append(p("D. Perbandingan dengan Bulan Lalu" + (f" ({bulan(r.previous_period)})" if r.previous_period else ""),
                   h2))
    crows = [[c.unit_code, num(c.activities_prev, 0), num(c.activities, 0), _signed(c.activities_change, 0),
              pct(c.compliance_prev), pct(c.compliance), _signed(c.compliance_change)]
             for c in r.comparison.itertuples(index=False)]
    story.append(table(["Unit", "Kegiatan lalu", "Kegiatan ini", "Selisih", "Kepatuhan lalu", "Kepatuhan ini",
                        "Selisih (poin)"], crows or [["–", "", "", "", "", "", ""]],
                       [2.2 * cm, 2.3 * cm, 2.3 * cm, 2 * cm, 2.7 * cm, 2.7 * cm, 2.6 * cm]))

    story.append(p("E. Indikator Perjanjian Kinerja yang Didukung Output Bulan Ini", h2))
    if r.indicators.empty:
        story.append(p("Tidak ada output bulan ini yang terhubung dengan indikator Perjanjian Kinerja.", base))
    else:
        irows = [[i.report_code, f"{i.indicator_code} {i.indicator}", i.code, num(i.activities, 0),
                  i.quantity_detail or num(i.quantity)] for i in r.indicators.itertuples(index=False)]
        story.append(table(["Laporan", "Indikator", "Kode output", "Kegiatan", "Output"], irows,
                           [1.8 * cm, 7 * cm, 4 * cm, 1.6 * cm, 2.6 * cm], numeric_from=3))

    if not r.missing.empty:
        story.append(p("F. Entri yang Belum Masuk Rekapitulasi", h2))
        mrows = [[m.unit_code, m.reason, m.status, num(m.entries, 0), num(m.asn_count, 0)]
                 for m in r.missing.itertuples(index=False)]
        story.append(table(["Unit", "Alasan", "Status", "Entri", "ASN"], mrows,
                           [2 * cm, 7 * cm, 3 * cm, 2.5 * cm, 2.5 * cm], numeric_from=3))

    story.append(Spacer(1, 18))
    story.append(KeepTogether([_signature_block(meta, base, cm, colors)]))

    for u in r.units.itertuples(index=False):
        story.append(PageBreak())
        story.append(p(f"Lampiran: Unit {u.unit_code} – {u.unit_name}", h2))
        story.append(p(f"Bulan unit: {'sudah ditutup' if u.is_closed else 'belum ditutup (data belum masuk rekap)'}"
                       f" · ASN {num(u.asn_count, 0)} · kegiatan terverifikasi {num(u.activities, 0)} · "
                       f"bukti {num(u.evidence, 0)} · kepatuhan rata-rata {pct(u.compliance)}", base))
        story.append(Spacer(1, 4))
        people = r.asn[r.asn["unit_id"] == u.unit_id]
        prow = [[Paragraph(f"{escape(str(a.name))}<br/><font size=7>NIP {escape(str(a.nip or '–'))}</font>", cell),
                 num(a.activities, 0), a.quantity_detail or "–", num(a.evidence, 0),
                 f"{a.filled_days}/{a.working_days}", pct(a.compliance), num(a.returned_fixed, 0),
                 num(a.missing_entries, 0)] for a in people.itertuples(index=False)]
        story.append(table(["Nama / NIP", "Kegiatan", "Output", "Bukti", "Hari terisi", "Kepatuhan", "Diperbaiki",
                            "Belum rekap"], prow or [["Tidak ada ASN.", "", "", "", "", "", "", ""]],
                           [5 * cm, 1.5 * cm, 3.4 * cm, 1.2 * cm, 1.6 * cm, 1.7 * cm, 1.6 * cm, 1.6 * cm]))
        codes = r.unit_outputs[r.unit_outputs["unit_code"] == u.unit_code]
        if not codes.empty:
            story.append(Spacer(1, 6))
            orow = [[c.code, c.code_name, c.uom, num(c.activities, 0), num(c.quantity), num(c.evidence, 0)]
                    for c in codes.itertuples(index=False)]
            story.append(table(["Kode output", "Uraian", "Satuan", "Kegiatan", "Output", "Bukti"], orow,
                               [3.7 * cm, 5.5 * cm, 2.2 * cm, 1.6 * cm, 2 * cm, 1.4 * cm], numeric_from=3))

    def on_page(canvas, doc) -> None:  # noqa: ANN001
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(1.8 * cm, 1.1 * cm, f"SILABU · {meta.satker_name} · {bulan(r.period)} · versi {meta.version}")
        canvas.drawRightString(A4[0] - 1.8 * cm, 1.1 * cm, f"Halaman {doc.page}")
        canvas.setStrokeColor(brand)
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=1.8 * cm, rightMargin=1.8 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.8 * cm, title=f"Bahan Rapat Pleno {bulan(r.period)}", author="SILABU",
                            subject=meta.satker_name, creator="SILABU", invariant=1, lang="id-ID")
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def _signed(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    return ("+" if v > 0 else "") + angka(v, digits)


def _chart(units: pd.DataFrame):  # noqa: ANN202
    """Two bar charts side by side: compliance % and verified activities per unit."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    names = [str(c) for c in units["unit_code"]]
    compliance = [0.0 if pd.isna(v) else float(v) for v in units["compliance"]]
    activities = [int(v) for v in units["activities"]]
    quantity = [float(v) for v in units["quantity"]]
    d = Drawing(500, 200)

    def bars(x: int, title: str, series: list[list[float]], top: float, fills: list[str]) -> None:
        c = VerticalBarChart()
        c.x, c.y, c.width, c.height = x, 35, 200, 130
        c.data = series
        c.categoryAxis.categoryNames = names
        c.categoryAxis.labels.fontSize = 7
        c.categoryAxis.labels.angle = 30 if len(names) > 6 else 0
        c.valueAxis.valueMin = 0
        c.valueAxis.valueMax = top
        c.valueAxis.labels.fontSize = 7
        c.valueAxis.labelTextFormat = lambda v: angka(v, 0)
        for i, fill in enumerate(fills):
            c.bars[i].fillColor = colors.HexColor(fill)
        c.barLabelFormat = lambda v: angka(v, 0)
        c.barLabels.fontSize = 6
        c.barLabels.nudge = 6
        d.add(c)
        d.add(String(x, 180, title, fontName="Helvetica-Bold", fontSize=8.5))

    bars(20, "Kepatuhan pengisian (%)", [compliance], 100, ["#1E7B3C"])
    top = max(activities + quantity + [1])
    bars(270, "Kegiatan terverifikasi dan jumlah output", [activities, quantity], _nice(top), ["#8B1A1A", "#1F5FA8"])
    d.add(String(270, 8, "merah: kegiatan · biru: jumlah output (semua satuan)", fontName="Helvetica", fontSize=7))
    return d


def _nice(top: float) -> float:
    for step in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000, 100000, 500000, 1000000):
        if top <= step:
            return step
    return top * 1.1


def _signature_block(meta: PacketMeta, style, cm: float, colors):  # noqa: ANN001, ANN202
    from reportlab.platypus import Paragraph, Table, TableStyle

    place = f"{meta.satker_city}, " if meta.satker_city else ""
    when = tanggal(as_utc(meta.built_at).astimezone(zone(meta.timezone)).date())
    cells = []
    for i, sig in enumerate(meta.signatories):
        top = f"{escape(place)}{escape(when)}<br/>" if i == len(meta.signatories) - 1 else "<br/>"
        lead = "Mengetahui,<br/>" if sig.title.startswith("Sekretaris") else "Disusun oleh,<br/>"
        text = (f"{top}{lead}{escape(sig.title)}<br/><br/><br/><br/><br/>"
                f"<u><b>{escape(sig.name)}</b></u><br/>NIP. {escape(sig.nip or '–')}")
        cells.append(Paragraph(text, style))
    t = Table([cells], colWidths=[8.6 * cm] * max(1, len(cells)))
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


# --- evidence index ----------------------------------------------------------------------------------------------------
@dataclass
class EvidenceItem:
    evidence_id: int
    entry_id: int
    entry_date: date
    unit_code: str
    nip: str
    name: str
    output_code: str
    activity: str
    n: int
    storage_key: str
    original_name: str
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        suffix = PurePosixPath(self.storage_key).suffix or PurePosixPath(self.original_name).suffix
        return suffix.lower()[:10]

    @property
    def zip_name(self) -> str:
        who = self.nip or _slug(self.name)
        return f"{self.entry_date.isoformat()}_{who}_{self.entry_id}_{self.n}{self.extension}"


def evidence_items(period: str) -> list[EvidenceItem]:
    """Evidence of the entries in the figures (verified, closed unit-month), in a stable order."""
    rows = db.session.execute(
        select(Evidence.id, Entry.id, Entry.entry_date, Unit.code, User.nip, User.name, OutputCode.code,
               Entry.activity, Evidence.storage_key, Evidence.original_name, Evidence.content_type, Evidence.size,
               Evidence.sha256)
        .select_from(Evidence).join(Entry, Evidence.entry_id == Entry.id)
        .join(UnitMonth, (UnitMonth.unit_id == Entry.unit_id) & (UnitMonth.period == Entry.period))
        .join(User, User.id == Entry.user_id).join(Unit, Unit.id == Entry.unit_id)
        .join(OutputCode, OutputCode.id == Entry.output_code_id)
        .where(Entry.period == period, Entry.status == EntryStatus.VERIFIED, UnitMonth.is_closed.is_(True))
        .order_by(Entry.entry_date, Unit.code, User.name, Entry.id, Evidence.id)).all()
    items: list[EvidenceItem] = []
    last_entry, n = None, 0
    for row in rows:
        n = n + 1 if row[1] == last_entry else 1
        last_entry = row[1]
        items.append(EvidenceItem(row[0], row[1], row[2], row[3], row[4] or "", row[5], row[6], row[7], n, row[8],
                                  row[9], row[10], row[11], row[12]))
    return items


def build_evidence(period: str, meta: PacketMeta, items: list[EvidenceItem],
                   open_blob: Callable[[str], bytes | None]) -> tuple[bytes, bytes | None, dict]:
    """The evidence index CSV and, within the size limit, a ZIP of the files named date_ASN_entry_n.ext."""
    total = sum(i.size for i in items)
    with_zip = bool(items) and total <= meta.zip_max_bytes
    problems: dict[int, str] = {}
    zip_bytes = None
    if with_zip:
        year, month = (int(x) for x in period.split("-"))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for item in items:
                data = open_blob(item.storage_key)
                if data is None:
                    problems[item.evidence_id] = "Berkas tidak ditemukan di penyimpanan"
                    continue
                # Fixed timestamps and modes: the same evidence gives the same ZIP.
                info = zipfile.ZipInfo(item.zip_name, date_time=(year, month, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = (zipfile.ZIP_STORED if item.content_type.startswith("image/")
                                      else zipfile.ZIP_DEFLATED)
                zf.writestr(info, data)
        zip_bytes = buf.getvalue()

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["No", "Tanggal", "Unit", "NIP", "Nama", "ID Entri", "Kode Output", "Kegiatan", "Bukti ke",
                "Nama Berkas dalam ZIP", "Nama Asli", "Jenis", "Ukuran (bita)", "SHA-256", "Tautan", "Keterangan"])
    base = meta.base_url.rstrip("/")
    for i, item in enumerate(items, start=1):
        note = problems.get(item.evidence_id, "" if with_zip else "Hanya tautan: ukuran ZIP melebihi batas")
        w.writerow([i, item.entry_date.isoformat(), item.unit_code, item.nip, item.name, item.entry_id,
                    item.output_code, item.activity, item.n, item.zip_name if with_zip and not
                    problems.get(item.evidence_id) else "", item.original_name, item.content_type, item.size,
                    item.sha256, f"{base}/api/v1/evidence/{item.evidence_id}/file", note])
    info = {"count": len(items), "total_bytes": total, "zip": with_zip, "zip_max_bytes": meta.zip_max_bytes,
            "missing_blobs": len(problems)}
    if not items:
        info["message"] = "Tidak ada bukti dukung pada entri terverifikasi bulan ini."
    elif not with_zip:
        info["message"] = (f"Total bukti {angka(total / 1024 / 1024, 1)} MB melebihi batas ZIP "
                           f"{angka(meta.zip_max_bytes / 1024 / 1024, 0)} MB; indeks memuat tautan saja.")
    return ("\ufeff" + out.getvalue()).encode("utf-8"), zip_bytes, info


def build_manifest(meta: PacketMeta, files: list[BuiltFile], summary: dict, evidence_info: dict) -> bytes:
    """manifest.json: every other file of the packet with its size and sha256."""
    doc = {
        "satker": {"code": meta.satker_code, "name": meta.satker_name},
        "month": meta.period,
        "version": meta.version,
        "built_at": meta.built_at.isoformat(),
        "data_sha256": meta.data_sha256,
        "files": [{"name": f.name, "content_type": f.content_type, "size": f.size, "sha256": f.sha256}
                  for f in files],
        "evidence": evidence_info,
        "summary": {k: summary[k] for k in ("activities", "asn_count", "units_closed", "units_total",
                                            "missing_entries", "is_empty") if k in summary},
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


def build_all(r: Rollup, meta: PacketMeta, open_blob: Callable[[str], bytes | None]) -> tuple[list[BuiltFile], dict]:
    """Every file of one packet version, manifest last; returns the files and the evidence facts."""
    stem = meta.stem
    files = [BuiltFile(f"rekap-{stem}.xlsx", XLSX_TYPE, build_xlsx(r, meta)),
             BuiltFile(f"bahan-pleno-{stem}.pdf", PDF_TYPE, build_pdf(r, meta))]
    csv_bytes, zip_bytes, info = build_evidence(r.period, meta, evidence_items(r.period), open_blob)
    files.append(BuiltFile(f"indeks-bukti-{stem}.csv", CSV_TYPE, csv_bytes))
    if zip_bytes is not None:
        files.append(BuiltFile(f"bukti-{stem}.zip", ZIP_TYPE, zip_bytes))
    files.append(BuiltFile(f"manifest-{stem}.json", JSON_TYPE, build_manifest(meta, files, r.summary(), info)))
    return files, info


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.strip().lower())
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")[:40] or "asn"
