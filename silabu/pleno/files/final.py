"""What finalizing issues: the hasil-pleno PDF and the final manifest (Kudus step 5's own output).

"Softfile Dokumen Data Kinerja ASN Hasil Rapat Pleno Laporan Bulanan": the Berita Acara number and date, the
attendance and notes as recorded, a FINAL mark, the summary the pleno agreed on, what was missing and why (when
the pleno finalized an incomplete month), the packet's files with their sha256, and the signature blocks. The final
manifest lists every file of the version, the hasil-pleno PDF included, so its sha256 covers that too.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from silabu.core import pdf
from silabu.core.formatting import angka, bulan, persen, tanggal, waktu
from silabu.pleno.files.meta import BuiltFile, PacketMeta

FINAL_MARK = "FINAL"
TITLE = "BERITA ACARA HASIL RAPAT PLENO LAPORAN BULANAN"
SUBTITLE = "Softfile Dokumen Data Kinerja ASN Hasil Rapat Pleno Laporan Bulanan"


@dataclass
class Outcome:
    """The pleno's outcome as recorded on the packet."""

    berita_acara_number: str
    pleno_date: date
    notes: str
    finalized_at: datetime
    finalized_by: str
    presented_at: datetime | None
    incomplete_reason: str | None = None
    incomplete: dict[str, Any] | None = None
    chair: pdf.Signer | None = None  # who leads the pleno and signs the Berita Acara (the Ketua)
    correction: str = ""  # a correction pleno: which final version it replaces, and why


def stems(meta: PacketMeta) -> tuple[str, str]:
    return f"hasil-pleno-{meta.stem}.pdf", f"manifest-final-{meta.stem}.json"


def build_final(meta: PacketMeta, summary: dict, outcome: Outcome, files: list[tuple[str, str, int, str]]
                ) -> list[BuiltFile]:
    """The hasil-pleno PDF and the final manifest; ``files`` are (name, content_type, size, sha256) as built."""
    pdf_name, manifest_name = stems(meta)
    report = BuiltFile(pdf_name, "application/pdf", hasil_pleno_pdf(meta, summary, outcome, files))
    listed = [*files, (report.name, report.content_type, report.size, report.sha256)]
    doc = {
        "satker": {"code": meta.satker_code, "name": meta.satker_name},
        "month": meta.period,
        "version": meta.version,
        "status": "final",
        "built_at": meta.built_at.isoformat(),
        "data_sha256": meta.data_sha256,
        "berita_acara_number": outcome.berita_acara_number,
        "pleno_date": outcome.pleno_date.isoformat(),
        "presented_at": outcome.presented_at.isoformat() if outcome.presented_at else None,
        "finalized_at": outcome.finalized_at.isoformat(),
        "finalized_by": outcome.finalized_by,
        "notes": outcome.notes,
        "correction": outcome.correction or None,
        "incomplete": None if not outcome.incomplete_reason else {"reason": outcome.incomplete_reason,
                                                                   **(outcome.incomplete or {})},
        "files": [{"name": n, "content_type": t, "size": s, "sha256": h} for n, t, s, h in listed],
    }
    manifest = BuiltFile(manifest_name, "application/json",
                         json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))
    return [report, manifest]


def hasil_pleno_pdf(meta: PacketMeta, summary: dict, outcome: Outcome, files: list[tuple[str, str, int, str]]
                    ) -> bytes:
    """A4: kop surat, FINAL mark, Berita Acara number and date, outcome, agreed summary, files, signatures."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    f = pdf.fonts()
    base = ParagraphStyle("base", fontName=f.regular, fontSize=9.5, leading=12.5)
    cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5)
    right = ParagraphStyle("right", parent=cell, alignment=2)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    h1 = ParagraphStyle("h1", parent=base, fontName=f.bold, fontSize=12, leading=15, alignment=TA_CENTER)
    h2 = ParagraphStyle("h2", parent=base, fontName=f.bold, fontSize=10, leading=13, spaceBefore=8, spaceAfter=3,
                        keepWithNext=1)
    mark = ParagraphStyle("mark", parent=base, fontName=f.bold, fontSize=14, leading=18, alignment=TA_CENTER,
                          textColor=colors.HexColor("#1E7B3C"))
    width = A4[0] - 4 * cm

    def p(text: Any, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    def grid(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")))
        t.setStyle(TableStyle(style))
        return t

    s = summary
    story: list = pdf.letterhead(meta.letterhead, width)
    story += [p(TITLE, h1), p(SUBTITLE, center), p(f"Bulan {bulan(meta.period)} · paket versi {meta.version}", center),
              Spacer(1, 4), p(f"{FINAL_MARK} — Nomor {outcome.berita_acara_number}", mark), Spacer(1, 6)]

    story.append(p("A. Rapat Pleno", h2))
    rows = [[p("Nomor Berita Acara"), p(outcome.berita_acara_number)],
            [p("Tanggal pleno"), p(tanggal(outcome.pleno_date))],
            [p("Paket dipaparkan"), p(waktu(outcome.presented_at, meta.timezone) if outcome.presented_at else "–")],
            [p("Difinalkan"), p(f"{waktu(outcome.finalized_at, meta.timezone)} oleh {outcome.finalized_by}")],
            [p("Kehadiran dan catatan pleno"), p(outcome.notes or "–")]]
    if outcome.correction:
        rows.append([p("Koreksi"), p(outcome.correction)])
    story.append(grid(rows, [5 * cm, width - 5 * cm], header=False))

    story.append(p("B. Ringkasan yang Disepakati", h2))
    quantities = "; ".join(f"{angka(v)} {k}" for k, v in (s.get("quantity_by_unit") or {}).items()) or "–"
    agreed = [[p("Unit yang bulannya sudah ditutup"), p(f"{s.get('units_closed', 0)} dari {s.get('units_total', 0)}",
                                                          right)],
              [p("Jumlah ASN"), p(angka(s.get("asn_count", 0), 0), right)],
              [p("Kegiatan terverifikasi"), p(angka(s.get("activities", 0), 0), right)],
              [p("Output per satuan"), p(quantities, right)],
              [p("Bukti dukung"), p(angka(s.get("evidence", 0), 0), right)],
              [p("Rata-rata kepatuhan pengisian"),
               p(persen(s["compliance_avg"]) if s.get("compliance_avg") is not None else "–", right)],
              [p("Entri belum masuk rekapitulasi"), p(angka(s.get("missing_entries", 0), 0), right)]]
    story.append(grid(agreed, [9 * cm, width - 9 * cm], header=False))

    story.append(p("C. Kelengkapan Data", h2))
    if outcome.incomplete_reason:
        detail = outcome.incomplete or {}
        story.append(p("Pleno memfinalkan paket ini walaupun data bulan ini belum lengkap. "
                       + str(detail.get("message", "")), base))
        gaps = [[p(h) for h in ("Unit", "Bulan unit", "Entri di luar paket", "Terverifikasi di luar paket")]]
        for u in detail.get("units", []):
            gaps.append([p(f"{u['code']} – {u['name']}"), p("Ditutup" if u.get("is_closed") else "Belum ditutup"),
                         p(angka(u.get("entries", 0), 0), right), p(angka(u.get("verified_not_in_packet", 0), 0), right)])
        story.append(grid(gaps, [7 * cm, 3 * cm, 3.5 * cm, width - 13.5 * cm]))
        story += [Spacer(1, 3), p(f"Alasan (sebagaimana dicatat pleno): {outcome.incomplete_reason}", base)]
    else:
        story.append(p("Seluruh unit sudah menutup bulan dan semua entri terverifikasi termuat dalam paket.", base))

    story.append(p("D. Berkas Paket", h2))
    rows = [[p(h) for h in ("Berkas", "Ukuran", "SHA-256")]]
    rows += [[p(n), p(f"{angka(size, 0)} bita", right), p(h, ParagraphStyle("mono", parent=cell, fontSize=6.5))]
             for n, _, size, h in files]
    story.append(grid(rows, [6.2 * cm, 2.3 * cm, width - 8.5 * cm]))
    story.append(p(f"Sidik data (sha256): {meta.data_sha256}", ParagraphStyle("sm", parent=cell, fontSize=7)))

    story.append(Spacer(1, 14))
    place = f"{meta.satker_city}, " if meta.satker_city else ""
    signers = [pdf.Signer(sig.title, sig.name, sig.nip, "Disusun oleh," if not sig.title.startswith("Sekretaris")
                          else "Sekretaris Rapat,") for sig in meta.signatories]
    if outcome.chair is not None:
        signers.append(outcome.chair)
    story.append(pdf.signature_blocks(signers, f"{place}{tanggal(outcome.pleno_date)}", width))

    footer = pdf.footer(f"SILABU · {meta.satker_name} · Hasil Pleno {bulan(meta.period)} · v{meta.version} · "
                        f"{FINAL_MARK}", page_width=A4[0], margin=2 * cm, y=1.1 * cm)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, topMargin=1.5 * cm,
                            bottomMargin=1.8 * cm, title=f"Hasil Rapat Pleno {bulan(meta.period)} — {FINAL_MARK}",
                            author=meta.satker_name, subject=f"Berita Acara {outcome.berita_acara_number}",
                            creator="SILABU", invariant=1, lang="id-ID")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()

