"""The printable pleno material: letterhead, summary, charts, a page per unit, signatures."""
from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

from silabu.core import pdf
from silabu.core.clock import as_utc, zone
from silabu.core.formatting import angka, bulan, persen, tanggal, waktu
from silabu.pleno.files.meta import PacketMeta
from silabu.pleno.rollup import Rollup


def build_pdf(r: Rollup, meta: PacketMeta) -> bytes:
    """The printable pleno material: letterhead, summary, charts, a page per unit, signatures."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    f = pdf.fonts()
    base = ParagraphStyle("base", parent=styles["Normal"], fontName=f.regular, fontSize=9, leading=11.5)
    cell = ParagraphStyle("cell", parent=base, fontSize=8, leading=9.5)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    h1 = ParagraphStyle("h1", parent=base, fontName=f.bold, fontSize=12, leading=15, alignment=TA_CENTER,
                        spaceBefore=6, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=base, fontName=f.bold, fontSize=10.5, leading=13, spaceBefore=8,
                        spaceAfter=4, keepWithNext=1)
    s = r.summary()
    brand = colors.HexColor("#8B1A1A")

    def p(text: Any, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(str(text)), style)

    def table(header: list[str], rows: list[list[Any]], widths: list[float], numeric_from: int = 1,
              head_style: ParagraphStyle = cell) -> Table:
        data = [[Paragraph(f"<b>{escape(h)}</b>", head_style) for h in header]]
        # Paragraphs (wrapping) only where text may be long: plain strings are an order of magnitude faster.
        limits = [int(w / cm * 6) for w in widths]  # characters of 8 pt text that fit without wrapping
        data += [[v if isinstance(v, Paragraph) else (str(v) if len(str(v)) <= limits[j] else p(v))
                  for j, v in enumerate(row)] for row in rows]
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), f.regular, 8),
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
    story += pdf.letterhead(meta.letterhead, A4[0] - 3.6 * cm)
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
              num(u.activities, 0), p(u.quantity_detail or "–"), num(u.evidence, 0), pct(u.compliance),
              num(u.returned_fixed, 0), num(u.missing_entries, 0)] for u in r.units.itertuples(index=False)]
    story.append(table(["Unit", "Bulan", "ASN", "Kegiatan", "Output per satuan", "Bukti", "Kepatuhan",
                        "Diperbaiki", "Belum rekap"], urows or [["Tidak ada unit.", "", "", "", "", "", "", "", ""]],
                       [4.2 * cm, 1.5 * cm, 1.1 * cm, 1.5 * cm, 2.4 * cm, 1.2 * cm, 1.7 * cm, 1.6 * cm, 1.6 * cm],
                       numeric_from=2))
    if not r.units.empty:
        story.append(Spacer(1, 8))
        story.append(KeepTogether([p("C. Grafik Kepatuhan dan Kegiatan per Unit", h2), _chart(r.units)]))

    story.append(p("D. Perbandingan dengan Bulan Lalu" + (f" ({bulan(r.previous_period)})" if r.previous_period else ""),
                   h2))
    crows = [[c.unit_code, num(c.activities_prev, 0), num(c.activities, 0), _signed(c.activities_change, 0),
              pct(c.compliance_prev), pct(c.compliance), _signed(c.compliance_change)]
             for c in r.comparison.itertuples(index=False)]
    story.append(table(["Unit", "Kegiatan lalu", "Kegiatan ini", "Selisih", "Kepatuhan lalu", "Kepatuhan ini",
                        "Selisih (poin)"], crows or [["–", "", "", "", "", "", ""]],
                       [2.2 * cm, 2.3 * cm, 2.3 * cm, 2 * cm, 2.7 * cm, 2.7 * cm, 2.6 * cm]))
    if not r.quantity_comparison.empty:
        story.append(Spacer(1, 4))
        qrows = [[q.unit_code, q.uom, num(q.quantity_prev), num(q.quantity), _signed(q.quantity_change)]
                 for q in r.quantity_comparison.itertuples(index=False)]
        story.append(table(["Unit", "Satuan", "Output lalu", "Output ini", "Selisih"], qrows,
                           [2.2 * cm, 4 * cm, 3 * cm, 3 * cm, 2.6 * cm], numeric_from=2))

    story.append(p("E. Indikator Perjanjian Kinerja: Target dan Realisasi", h2))
    if r.indicators.empty:
        story.append(p("Belum ada indikator Perjanjian Kinerja untuk tahun ini.", base))
    else:
        story.append(p(f"Realisasi dihitung dengan aturan LKj (cara mengukur dan satuan tiap indikator); "
                       f"{bulan(r.period)} dihitung seakan paket ini final, bulan sebelumnya hanya yang paketnya "
                       f"final. Kumulatif: Januari s.d. {bulan(r.period)}.", base))
        story.append(Spacer(1, 3))
        small_head = ParagraphStyle("small_head", parent=cell, fontSize=7, leading=8.5)
        irows = [[Paragraph(f"{escape(str(i.indicator_code))} {escape(str(i.indicator))}<br/>"
                            f"<font size=6.5 color='#555555'>{escape(str(i.report_code))}</font>", cell),
                  i.indicator_unit, num(i.target_month), num(i.realisasi_month), num(i.target_to_date),
                  num(i.realisasi_to_date), pct(i.capaian_to_date), p(i.note or "–")]
                 for i in r.indicators.itertuples(index=False)]
        story.append(table(["Indikator", "Satuan", "Target bulan ini", "Realisasi bulan ini", "Target s.d. bulan ini",
                            "Realisasi s.d. bulan ini", "Capaian s.d. bulan ini", "Keterangan"], irows,
                           [4.6 * cm, 1.4 * cm] + [1.7 * cm] * 5 + [2.9 * cm], numeric_from=2, head_style=small_head))
        story.append(Spacer(1, 2))

    if not r.missing.empty:
        story.append(p("F. Entri yang Belum Masuk Rekapitulasi", h2))
        mrows = [[m.unit_code, m.reason, m.status, num(m.entries, 0), num(m.asn_count, 0)]
                 for m in r.missing.itertuples(index=False)]
        story.append(table(["Unit", "Alasan", "Status", "Entri", "ASN"], mrows,
                           [2 * cm, 7 * cm, 3 * cm, 2.5 * cm, 2.5 * cm], numeric_from=3))

    story.append(Spacer(1, 18))
    story.append(_signatures(meta, A4[0] - 3.6 * cm))

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

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(f.regular, 7.5)
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


def _chart(units: pd.DataFrame):
    """Two bar charts side by side: compliance % and verified activities per unit."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    names = [str(c) for c in units["unit_code"]]
    compliance = [0.0 if pd.isna(v) else float(v) for v in units["compliance"]]
    activities = [int(v) for v in units["activities"]]
    d = Drawing(500, 200)

    def bars(x: int, title: str, series: list[list[float]], top: float, fills: list[str]) -> None:
        c = VerticalBarChart()
        c.x, c.y, c.width, c.height = x, 35, 200, 130
        c.data = series
        c.categoryAxis.categoryNames = names
        c.categoryAxis.labels.fontSize = 7
        c.categoryAxis.labels.fontName = pdf.fonts().regular
        c.valueAxis.labels.fontName = pdf.fonts().regular
        c.barLabels.fontName = pdf.fonts().regular
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
        d.add(String(x, 180, title, fontName=pdf.fonts().bold, fontSize=8.5))

    bars(20, "Kepatuhan pengisian (%)", [compliance], 100, ["#1E7B3C"])
    # Output is not drawn: units of measure differ between units, and are never added up (see B and D).
    bars(270, "Kegiatan terverifikasi", [activities], _nice(max(activities + [1])), ["#8B1A1A"])
    return d


def _nice(top: float) -> float:
    for step in (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000, 100000, 500000, 1000000):
        if top <= step:
            return step
    return top * 1.1


def _signatures(meta: PacketMeta, width: float):
    place = f"{meta.satker_city}, " if meta.satker_city else ""
    when = tanggal(as_utc(meta.built_at).astimezone(zone(meta.timezone)).date())
    signers = [pdf.Signer(sig.title, sig.name, sig.nip, "Mengetahui," if sig.title.startswith("Sekretaris")
                          else "Disusun oleh,") for sig in meta.signatories]
    return pdf.signature_blocks(signers, f"{place}{when}", width)
