"""The packet's workbook: a summary sheet and one sheet per view of the roll-up."""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import xlsxwriter

from silabu.core.clock import as_utc
from silabu.core.formatting import bulan
from silabu.core.sheets import xlsx_options
from silabu.pleno.files.meta import FMT_DEC, FMT_INT, PacketMeta
from silabu.pleno.rollup import Rollup

Col = tuple[str, str, str]

UNIT_COLS: list[Col] = [
    ("unit_code", "Kode Unit", "text"), ("unit_name", "Unit", "wide"), ("closed_label", "Bulan Unit", "text"),
    ("asn_count", "Jumlah ASN", "int"), ("activities", "Kegiatan Terverifikasi", "int"),
    ("quantity_detail", "Output per Satuan", "wide"), ("evidence", "Bukti Dukung", "int"),
    ("filled_days", "Rata-rata Hari Terisi", "dec"), ("compliance", "Kepatuhan Pengisian (%)", "dec"),
    ("returned_fixed", "Dikembalikan lalu Diperbaiki", "int"), ("missing_entries", "Entri Belum Masuk Rekap", "int"),
]
ASN_COLS: list[Col] = [
    ("unit_code", "Unit", "text"), ("nip", "NIP", "text"), ("name", "Nama", "wide"), ("jabatan", "Jabatan", "wide"),
    ("activities", "Kegiatan Terverifikasi", "int"), ("quantity_detail", "Output per Satuan", "wide"), ("evidence", "Bukti Dukung", "int"),
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
    ("activities_change", "Selisih Kegiatan", "int"),
    ("compliance_prev", "Kepatuhan Bulan Lalu (%)", "dec"), ("compliance", "Kepatuhan Bulan Ini (%)", "dec"),
    ("compliance_change", "Selisih Kepatuhan (poin)", "dec"),
]
INDICATOR_COLS: list[Col] = [
    ("report_code", "Laporan", "text"), ("sasaran", "Sasaran", "wide"), ("indicator_code", "Kode Indikator", "text"),
    ("indicator", "Indikator Kinerja", "wide"), ("indicator_unit", "Satuan", "text"),
    ("measure", "Cara Mengukur Realisasi", "wide"), ("output_codes", "Kode Output", "text"),
    ("target_year", "Target Tahunan", "dec"), ("target_month", "Target Bulan Ini", "dec"),
    ("realisasi_month", "Realisasi Bulan Ini", "dec"), ("target_to_date", "Target s.d. Bulan Ini", "dec"),
    ("realisasi_to_date", "Realisasi s.d. Bulan Ini", "dec"), ("capaian_to_date", "Capaian s.d. Bulan Ini (%)", "dec"),
    ("note", "Keterangan", "wide"),
]
QUANTITY_COMPARISON_COLS: list[Col] = [
    ("unit_code", "Unit", "text"), ("uom", "Satuan", "text"), ("quantity_prev", "Output Bulan Lalu", "dec"),
    ("quantity", "Output Bulan Ini", "dec"), ("quantity_change", "Selisih Output", "dec"),
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
    ("quantity_comparison", "Perbandingan Output", "Output per Satuan: Bulan Ini dan Bulan Lalu",
     QUANTITY_COMPARISON_COLS),
    ("indicators", "Indikator PK", "Indikator Perjanjian Kinerja: Target dan Realisasi", INDICATOR_COLS),
    ("missing", "Belum Masuk Rekap", "Entri yang Belum Masuk Rekapitulasi", MISSING_COLS),
]


def _per_uom(df: pd.DataFrame, quantities: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """``df`` with one column "uom:<satuan>" per unit of measure in ``quantities`` (0 where none)."""
    if quantities.empty:
        return df, []
    wide = quantities.pivot_table(index=keys, columns="uom", values="quantity", aggfunc="sum", observed=True)
    uoms = sorted(str(c) for c in wide.columns)
    wide.columns = [f"uom:{c}" for c in wide.columns]
    out = df.merge(wide.reset_index(), on=keys, how="left")
    for u in uoms:
        out[f"uom:{u}"] = out[f"uom:{u}"].fillna(0.0)
    return out, uoms


def _with_uoms(cols: list[Col], uoms: list[str]) -> list[Col]:
    """The per-unit-of-measure number columns go right after the "Output per Satuan" text."""
    if not uoms:
        return cols
    at = next((i + 1 for i, c in enumerate(cols) if c[0] == "quantity_detail"), len(cols))
    return cols[:at] + [(f"uom:{u}", f"Output ({u})", "dec") for u in uoms] + cols[at:]


def _closed_label(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["closed_label"] = ["Ditutup" if c else "Belum ditutup" for c in df["is_closed"]]
    return df


def build_xlsx(r: Rollup, meta: PacketMeta) -> bytes:
    """One sheet per view, headers frozen, numbers formatted; no build time inside, so rebuilds stay alike."""
    buf = io.BytesIO()
    year, month = (int(x) for x in r.period.split("-"))
    wb = xlsxwriter.Workbook(buf, xlsx_options(in_memory=True))
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
    # A number column per unit of measure: output is summed only within one (never "semua satuan").
    frames["units"], unit_uoms = _per_uom(frames["units"], r.quantities, ["unit_code"])
    frames["asn"], asn_uoms = _per_uom(frames["asn"], r.asn_quantities, ["unit_id", "user_id"])
    extra = {"units": unit_uoms, "asn": asn_uoms}
    for key, sheet_name, title, cols in SHEETS:
        _table_sheet(wb, fmt, sheet_name, title, meta, r.period, frames[key], _with_uoms(cols, extra.get(key, [])))
    _entries_sheet(wb, fmt, r, meta)
    wb.close()
    return buf.getvalue()


def _summary_sheet(wb, fmt: dict, r: Rollup, meta: PacketMeta) -> None:
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
        ("Bukti dukung", s["evidence"], "int"),
        ("Rata-rata kepatuhan pengisian (%)", s["compliance_avg"], "dec"),
        ("Dikembalikan lalu diperbaiki", s["returned_fixed"], "int"),
        ("Entri belum masuk rekapitulasi", s["missing_entries"], "int"),
        ("Indikator Perjanjian Kinerja (lembar Indikator PK)", s["indicators"], "int"),
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


ENTRY_HEADINGS = [("No", 5), ("Tanggal", 12), ("Nama", 28), ("NIP", 21), ("Unit", 8), ("Kode Output", 24),
                  ("Kegiatan", 40), ("Output", 30), ("Jumlah", 10), ("Satuan", 12), ("Bukti Dukung", 9),
                  ("Diverifikasi oleh", 26), ("Waktu Verifikasi", 17)]


def _entries_sheet(wb, fmt: dict, r: Rollup, meta: PacketMeta) -> None:
    """One row per verified entry of the month (Kudus step 4 compiles the Kasubags' softfiles)."""
    ws = wb.add_worksheet("Entri Terverifikasi")
    ws.write(0, 0, f"Entri Terverifikasi — {bulan(r.period)}", fmt["title"])
    ws.write(1, 0, meta.satker_name, fmt["sub"])
    head = 3
    for j, (heading, width) in enumerate(ENTRY_HEADINGS):
        ws.write(head, j, heading, fmt["head"])
        ws.set_column(j, j, width)
    ws.freeze_panes(head + 1, 0)
    rows = r.entry_rows()
    if not rows:
        ws.write(head + 1, 1, "Tidak ada entri terverifikasi untuk bulan ini.", fmt["note"])
        return
    day = wb.add_format({"border": 1, "valign": "top", "num_format": "dd/mm/yyyy"})
    stamp = wb.add_format({"border": 1, "valign": "top", "num_format": "dd/mm/yyyy hh:mm"})
    zone = ZoneInfo(meta.timezone)
    for i, e in enumerate(rows, start=1):
        row = head + i
        ws.write_number(row, 0, i, fmt["int"])
        ws.write_datetime(row, 1, datetime(e.entry_date.year, e.entry_date.month, e.entry_date.day), day)
        for j, text in ((2, e.name), (3, e.nip), (4, e.unit_code), (5, e.output_code), (6, e.activity),
                        (7, e.output)):
            ws.write_string(row, j, text, fmt["wide"] if j in (6, 7) else fmt["text"])
        ws.write_number(row, 8, e.quantity, fmt["dec"] if not float(e.quantity).is_integer() else fmt["int"])
        ws.write_string(row, 9, e.uom, fmt["text"])
        ws.write_number(row, 10, e.evidence, fmt["int"])
        ws.write_string(row, 11, e.verified_by, fmt["text"])
        if e.verified_at is not None:
            local = as_utc(e.verified_at).astimezone(zone).replace(tzinfo=None)
            ws.write_datetime(row, 12, local, stamp)
        else:
            ws.write_blank(row, 12, None, fmt["text"])
    ws.autofilter(head, 0, head + len(rows), len(ENTRY_HEADINGS) - 1)


WIDTHS = {"text": 14, "wide": 40, "int": 13, "dec": 15}


def _table_sheet(wb, fmt: dict, name: str, title: str, meta: PacketMeta, period: str,
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


