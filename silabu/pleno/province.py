"""A province (or KPU RI) and its children: each child's month (verification progress, compliance, its packet),
and the province's roll-up of the children's final packets, built, versioned, presented and finalized like a
satker's own packet (``Packet.kind == "provinsi"``, the same present/finalize rules in ``pleno.services``).

The roll-up reads only what each child's pleno made final: a child whose month is not final yet is listed as
such, and the province's pleno must acknowledge that (with a reason) to finalize without it, as a satker's pleno
does for an open unit.
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from silabu.accounts.models import Role, Satker, User, UserRole
from silabu.accounts.tenancy import children_of, current_satker, satker_scope
from silabu.catalog.calendar import MonthCalendar
from silabu.core.clock import as_utc, local_today, parse_period, utcnow
from silabu.core.errors import Forbidden
from silabu.core.formatting import angka, bulan, persen, tanggal
from silabu.entries.compliance import compliance_pct, filled_day_sql, working_days
from silabu.entries.models import Entry
from silabu.extensions import db
from silabu.pleno import services
from silabu.pleno.files.meta import PDF_TYPE, XLSX_TYPE, BuiltFile
from silabu.pleno.models import Packet, PacketStatus


@dataclass
class ChildMonth:
    """One child satker's month as its province sees it."""

    satker: Satker
    period: str
    units_total: int = 0
    units_closed: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"draft": 0, "submitted": 0, "verified": 0,
                                                            "returned": 0, "total": 0})
    asn_count: int = 0
    asn_filling: int = 0
    compliance_avg: float | None = None
    latest: Packet | None = None
    final: Packet | None = None

    @property
    def progress(self) -> float | None:
        from silabu.verification.services.oversight import verification_progress

        return verification_progress(self.counts)

    @property
    def packet_label(self) -> str:
        if self.final is not None:
            return f"Final v{self.final.version}"
        if self.latest is not None:
            state = "Dipaparkan" if self.latest.status == PacketStatus.PRESENTED else "Draf"
            return f"{state} v{self.latest.version}"
        return "Belum disusun"

    def as_row(self) -> dict[str, Any]:
        """The child's line of the roll-up: what its final packet says (nothing when it has none)."""
        s = (self.final.summary or {}) if self.final is not None else {}
        return {"code": self.satker.code, "name": self.satker.name,
                "final_version": self.final.version if self.final else None,
                "berita_acara_number": self.final.berita_acara_number if self.final else None,
                "pleno_date": self.final.pleno_date.isoformat() if self.final and self.final.pleno_date else None,
                "data_sha256": self.final.data_sha256 if self.final else None,
                "units_total": int(s.get("units_total", 0)), "units_closed": int(s.get("units_closed", 0)),
                "asn_count": int(s.get("asn_count", 0)), "asn_with_entries": int(s.get("asn_with_entries", 0)),
                "activities": int(s.get("activities", 0)), "evidence": int(s.get("evidence", 0)),
                "compliance_avg": s.get("compliance_avg"), "quantity_by_unit": s.get("quantity_by_unit") or {}}


def assert_province(satker: Satker | None) -> Satker:
    if satker is None or not children_of(satker):
        raise Forbidden("Halaman ini untuk KPU Provinsi atau KPU RI yang memiliki satker di bawahnya.")
    return satker


def children_progress(province: Satker, period: str) -> list[ChildMonth]:
    """Every child of ``province``: its month's verification progress, compliance and packets (read in its scope)."""
    year, month = parse_period(period)
    out = []
    for child in children_of(province):
        with satker_scope(child):
            out.append(_child_month(child, period, year, month))
    return out


def children_not_final(province: Satker, period: str) -> tuple[list[Satker], list[Satker]]:
    """(all children, those without a final packet for ``period``): one query, for the province's home page."""
    children = children_of(province)
    final = set(db.session.scalars(
        select(Packet.satker_id).where(Packet.satker_id.in_([c.id for c in children]), Packet.period == period,
                                       Packet.kind == services.SATKER_PACKET, Packet.status == PacketStatus.FINAL)
        .execution_options(all_satkers=True))) if children else set()
    return children, [c for c in children if c.id not in final]


def _child_month(child: Satker, period: str, year: int, month: int) -> ChildMonth:
    from silabu.verification.services.oversight import oversight

    row = ChildMonth(child, period)
    today = local_today(child.timezone)  # the child's own day (WIB, WITA or WIT)
    units = oversight(period, today)
    row.units_total = len(units)
    row.units_closed = sum(1 for u in units if u.is_closed)
    for u in units:
        for key in row.counts:
            row.counts[key] += u.counts.get(key, 0)
    cal = MonthCalendar(year, month)
    until = today if (year, month) == (today.year, today.month) else None
    days = len(working_days(cal, until))
    asn_ids = list(db.session.scalars(select(User.id).join(UserRole, UserRole.user_id == User.id)
                                      .where(UserRole.role == Role.ASN, User.is_active_account.is_(True))))
    row.asn_count = len(asn_ids)
    filled = dict(db.session.execute(
        select(Entry.user_id, func.count(func.distinct(filled_day_sql(cal, until))))
        .where(Entry.period == period, Entry.user_id.in_(asn_ids)).group_by(Entry.user_id)).all()) if asn_ids else {}
    row.asn_filling = sum(1 for n in filled.values() if n)
    shares = [compliance_pct(int(filled.get(uid, 0)), days) for uid in asn_ids]
    shares = [s for s in shares if s is not None]
    row.compliance_avg = round(sum(shares) / len(shares), 2) if shares else None
    row.latest = services.latest_packet(period)
    row.final = services.final_packet(period)
    return row


@dataclass
class ChildrenCompleteness:
    """Children without a final packet for the month: what a province's pleno acknowledges to finalize anyway."""

    period: str
    children_total: int
    missing: list[dict[str, Any]]

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def entries_missing(self) -> int:
        return 0

    @property
    def gaps(self) -> list[Any]:
        return [_Gap(m["code"]) for m in self.missing]

    @property
    def message(self) -> str:
        if self.is_complete:
            return "Seluruh satker di bawah sudah memfinalkan paket pleno bulan ini."
        names = "; ".join(f"{m['code']} {m['name']}" for m in self.missing)
        return f"{len(self.missing)} dari {self.children_total} satker belum memfinalkan paket pleno bulan ini: {names}."

    def as_json(self) -> dict[str, Any]:
        return {"children_total": self.children_total, "open_units": len(self.missing), "entries_missing": 0,
                "units": [{"code": m["code"], "name": m["name"], "is_closed": False, "entries": 0,
                           "verified_not_in_packet": 0} for m in self.missing],
                "message": self.message}


@dataclass
class _Gap:
    code: str


def children_completeness(period: str, packet: Packet | None = None,
                          children: list[ChildMonth] | None = None) -> ChildrenCompleteness:
    """Which children ``packet`` holds no final packet of; without a packet, a build now (from ``children`` when the
    caller has read them already)."""
    if packet is not None:
        rows = (packet.summary or {}).get("children", [])
    else:
        rows = [c.as_row() for c in (children if children is not None
                                     else children_progress(current_satker(), period))]
    missing = [{"code": r["code"], "name": r["name"]} for r in rows if r.get("final_version") is None]
    return ChildrenCompleteness(period, len(rows), missing)


def build_province_packet(period: str, actor: User | None, *, correction_reason: str | None = None,
                          now: datetime | None = None, progress=None) -> Packet:
    """The province's roll-up of its children's final packets for ``period`` as version N+1 (flushed).
    ``progress(percent, message)`` hears of the steps (a background task)."""
    progress = progress or (lambda percent, message: None)
    services.require_manager(actor)
    province = assert_province(current_satker())
    services.assert_month_started(period, now)
    version, supersedes, why = services.next_version(period, services.PROVINCE_PACKET, actor, correction_reason)
    built_at = as_utc(now) if now is not None else utcnow()
    progress(10, "Membaca paket final satker di bawah.")
    rows = [c.as_row() for c in children_progress(province, period)]
    progress(60, "Menyusun berkas rekap (XLSX, PDF).")
    summary = _summary(period, rows)
    data_sha = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    stem = f"rekap-provinsi-{province.code}-{period}-v{version}"
    meta = services.packet_meta(period, version, built_at, data_sha)
    built = [BuiltFile(f"{stem}.xlsx", XLSX_TYPE, province_xlsx(province, period, version, rows, summary)),
             BuiltFile(f"{stem}.pdf", PDF_TYPE, province_pdf(meta, rows, summary))]
    return services.publish_packet(period, services.PROVINCE_PACKET, version, built, summary=summary,
                                   data_sha=data_sha, built_at=built_at, actor=actor, supersedes=supersedes, why=why)


def _summary(period: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    final = [r for r in rows if r["final_version"] is not None]
    asn = sum(r["asn_count"] for r in final)
    weighted = [(r["compliance_avg"], r["asn_count"]) for r in final if r["compliance_avg"] is not None]
    weight = sum(n for _, n in weighted)
    quantities: dict[str, float] = {}
    for r in final:
        for uom, q in r["quantity_by_unit"].items():
            quantities[uom] = round(quantities.get(uom, 0) + float(q), 2)
    missing = [r["code"] for r in rows if r["final_version"] is None]
    return {"month": period, "kind": "provinsi", "children": rows, "children_total": len(rows),
            "children_final": len(final), "children_missing": missing,
            "units_total": sum(r["units_total"] for r in final), "units_closed": sum(r["units_closed"] for r in final),
            "asn_count": asn, "asn_with_entries": sum(r["asn_with_entries"] for r in final),
            "activities": sum(r["activities"] for r in final), "evidence": sum(r["evidence"] for r in final),
            # Weighted by each child's ASN: the province's average ASN, not the average satker.
            "compliance_avg": round(sum(c * n for c, n in weighted) / weight, 2) if weight else None,
            "quantity_by_unit": dict(sorted(quantities.items())), "missing_entries": 0,
            "is_empty": not final,
            "message": (f"{len(missing)} satker belum memfinalkan paket bulan ini: {', '.join(missing)}."
                        if missing else "Seluruh satker di bawah sudah memfinalkan paket bulan ini.")}


HEADERS = ["Kode Satker", "Satker", "Paket Final", "Nomor Berita Acara", "Tanggal Pleno", "Bulan Unit Ditutup",
           "Jumlah ASN", "ASN Mengisi", "Kegiatan Terverifikasi", "Bukti Dukung", "Kepatuhan Pengisian (%)"]


def _cells(r: dict[str, Any]) -> list[Any]:
    final = r["final_version"] is not None
    return [r["code"], r["name"], f"v{r['final_version']}" if final else "Belum final",
            r["berita_acara_number"] or "", r["pleno_date"] or "",
            f"{r['units_closed']}/{r['units_total']}" if final else "", r["asn_count"] if final else None,
            r["asn_with_entries"] if final else None, r["activities"] if final else None,
            r["evidence"] if final else None, r["compliance_avg"] if final else None]


def province_xlsx(province: Satker, period: str, version: int, rows: list[dict[str, Any]], summary: dict) -> bytes:
    """One sheet: a line per child (its final packet's figures), the totals, and who is not final yet.
    Every text cell is written as text: a satker name never becomes a formula."""
    import xlsxwriter

    from silabu.core.sheets import xlsx_options

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, xlsx_options())
    bold = wb.add_format({"bold": True})
    head = wb.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1, "text_wrap": True})
    dec = wb.add_format({"num_format": "#,##0.00"})
    ws = wb.add_worksheet("Rekap Provinsi")
    ws.write_string(0, 0, f"Rekapitulasi Paket Pleno {bulan(period)} — {province.name} (versi {version})", bold)
    ws.write_string(1, 0, summary["message"])
    for col, title in enumerate(HEADERS):
        ws.write_string(3, col, title, head)
    for i, r in enumerate(rows, start=4):
        for col, value in enumerate(_cells(r)):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(i, col, value)
            else:
                ws.write_number(i, col, value, dec if isinstance(value, float) else None)
    total = 4 + len(rows)
    ws.write_string(total, 1, "Jumlah (satker yang sudah final)", bold)
    ws.write_string(total, 2, f"{summary['children_final']}/{summary['children_total']}", bold)
    ws.write_string(total, 5, f"{summary['units_closed']}/{summary['units_total']}", bold)
    for col, key in ((6, "asn_count"), (7, "asn_with_entries"), (8, "activities"), (9, "evidence")):
        ws.write_number(total, col, summary[key], bold)
    if summary["compliance_avg"] is not None:
        ws.write_number(total, 10, summary["compliance_avg"], dec)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 10, 14)
    wb.close()
    return buf.getvalue()


def province_pdf(meta, rows: list[dict[str, Any]], summary: dict) -> bytes:
    """A4 landscape: the province's letterhead, the children's table, the totals, who is not final, signatures."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from silabu.core import pdf

    styles = getSampleStyleSheet()
    f = pdf.fonts()
    base = ParagraphStyle("base", parent=styles["Normal"], fontName=f.regular, fontSize=9, leading=11.5)
    cell = ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9)
    right = ParagraphStyle("right", parent=cell, alignment=TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=base, fontName=f.bold, fontSize=12, leading=15, alignment=TA_CENTER)
    center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
    page = landscape(A4)
    width = page[0] - 3 * cm

    def p(text: object, style=cell):
        return pdf.paragraph(text, style)

    story: list = pdf.letterhead(meta.letterhead, width)
    story += [p("REKAPITULASI PAKET PLENO SATKER DI BAWAH", h1),
              p(f"Bulan {bulan(meta.period)} · versi {meta.version}", center), Spacer(1, 6),
              p(summary["message"], base), Spacer(1, 4)]
    table = [[p(h) for h in HEADERS]]
    for r in rows:
        table.append([p(v) if isinstance(v, str) or v is None else
                      p(persen(v) if i == 10 else angka(v, 0), right) for i, v in enumerate(_cells(r))])
    table.append([p(""), p("Jumlah (satker yang sudah final)"),
                  p(f"{summary['children_final']}/{summary['children_total']}"), p(""), p(""),
                  p(f"{summary['units_closed']}/{summary['units_total']}"),
                  p(angka(summary["asn_count"], 0), right), p(angka(summary["asn_with_entries"], 0), right),
                  p(angka(summary["activities"], 0), right), p(angka(summary["evidence"], 0), right),
                  p(persen(summary["compliance_avg"]) if summary["compliance_avg"] is not None else "–", right)])
    widths = [1.8, 5.2, 1.8, 3.4, 2.0, 1.9, 1.6, 1.6, 2.2, 1.6]
    widths = [w * cm for w in widths] + [width - sum(widths) * cm]
    t = Table(table, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
                           ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [t, Spacer(1, 6)]
    story.append(p(f"Sidik data (sha256): {meta.data_sha256}", cell))
    story.append(Spacer(1, 12))
    place = f"{meta.satker_city}, " if meta.satker_city else ""
    signers = [pdf.Signer(sig.title, sig.name, sig.nip, "Disusun oleh," if i == 0 else "Mengetahui,")
               for i, sig in enumerate(meta.signatories)]
    story.append(pdf.signature_blocks(signers, f"{place}{tanggal(as_utc(meta.built_at).date())}", width))
    footer = pdf.footer(f"SILABU · {meta.satker_name} · Rekap Provinsi {bulan(meta.period)} · v{meta.version}",
                        page_width=page[0], margin=1.5 * cm, y=1.0 * cm)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=page, leftMargin=1.5 * cm, rightMargin=1.5 * cm, topMargin=1.2 * cm,
                            bottomMargin=1.6 * cm, title=f"Rekapitulasi Paket Pleno {bulan(meta.period)}",
                            author=meta.satker_name, creator="SILABU", invariant=1, lang="id-ID")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def province_packet_versions(period: str) -> list[Packet]:
    return services.packet_versions(period, services.PROVINCE_PACKET)

