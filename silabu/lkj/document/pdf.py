"""The LKj as PDF (reportlab): the same elements as the DOCX, with a table of contents, a list of tables and
the verification code (QR and short code) on the cover, in every footer and on the last page."""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from silabu.core import pdf
from silabu.core.formatting import tanggal
from silabu.lkj.document.docx import _qr_png
from silabu.lkj.document.elements import (
    Contents,
    Cover,
    DocumentMeta,
    Heading,
    PageBreak,
    Signature,
    TableEl,
    Text,
    Verification,
    build_elements,
)
from silabu.lkj.document.narrative import Block


def _fonts() -> tuple[str, str, str]:
    """(regular, bold, italic): the family every SILABU PDF embeds (``core.pdf``)."""
    f = pdf.fonts()
    return f.regular, f.bold, f.italic


def _markup(runs: Sequence[tuple[str, bool]]) -> str:
    return "".join(f"<b>{escape(t)}</b>" if bold else escape(t) for t, bold in runs)


def render_pdf(snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> bytes:
    """The PDF with the same content, a table of contents, a list of tables and the verification code."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Frame,
        Image,
        ListFlowable,
        ListItem,
        NextPageTemplate,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus.tableofcontents import TableOfContents

    regular, bold, italic = _fonts()
    base = ParagraphStyle("LkjBody", fontName=regular, fontSize=10.5, leading=14.5, alignment=TA_JUSTIFY,
                          spaceAfter=6)
    styles = {
        "h1": ParagraphStyle("LkjH1", parent=base, fontName=bold, fontSize=14, leading=18, alignment=TA_CENTER,
                             spaceBefore=4, spaceAfter=12, keepWithNext=1),
        "h2": ParagraphStyle("LkjH2", parent=base, fontName=bold, fontSize=12, leading=16, spaceBefore=10, spaceAfter=6,
                             keepWithNext=1),
        "h3": ParagraphStyle("LkjH3", parent=base, fontName=bold, fontSize=10.5, leading=14, spaceBefore=8,
                             spaceAfter=4, keepWithNext=1),
        "plain": ParagraphStyle("LkjPlain", parent=base, fontName=bold, fontSize=14, leading=18, alignment=TA_CENTER,
                                spaceAfter=10),
        "caption": ParagraphStyle("LkjCaption", parent=base, fontName=bold, fontSize=9.5, leading=12,
                                  alignment=TA_CENTER, spaceBefore=6, spaceAfter=4, keepWithNext=1),
        "cell": ParagraphStyle("LkjCell", parent=base, fontSize=9, leading=11, alignment=0, spaceAfter=0),
        "cell_small": ParagraphStyle("LkjCellS", parent=base, fontSize=7.5, leading=9.2, alignment=0, spaceAfter=0),
        "cover": ParagraphStyle("LkjCover", parent=base, fontName=bold, fontSize=16, leading=22, alignment=TA_CENTER),
        "cover_big": ParagraphStyle("LkjCoverBig", parent=base, fontName=bold, fontSize=24, leading=30,
                                    alignment=TA_CENTER),
        "center": ParagraphStyle("LkjCenter", parent=base, alignment=TA_CENTER),
        "small": ParagraphStyle("LkjSmall", parent=base, fontSize=8.5, leading=11),
    }
    heading_level = {"LkjH1": 0, "LkjH2": 1, "LkjH3": 2}
    width, height = A4
    margins = dict(left=3.5 * cm, right=2.5 * cm, top=3 * cm, bottom=2.5 * cm)
    usable = width - margins["left"] - margins["right"]
    footer_text = (f"Kode verifikasi {meta.code} · {meta.url}" if meta.code else meta.status_label)

    class LkjDoc(BaseDocTemplate):
        def afterFlowable(self, flowable):
            if isinstance(flowable, Paragraph):
                name = flowable.style.name
                text = flowable.getPlainText()
                if name in heading_level and getattr(flowable, "_lkj_toc", True):
                    key = f"h{id(flowable)}"
                    self.canv.bookmarkPage(key)
                    self.canv.addOutlineEntry(text, key, level=heading_level[name], closed=True)
                    self.notify("TOCEntry", (heading_level[name], text, self.page, key))
                elif name == "LkjCaption":
                    key = f"t{id(flowable)}"
                    self.canv.bookmarkPage(key)
                    self.notify("TableEntry", (0, text, self.page, key))

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawCentredString(width / 2, 1.3 * cm, f"{footer_text} · Halaman {doc.page}")
        canvas.restoreState()

    qr_png = _qr_png(meta.url) if meta.code and meta.url else None

    def on_cover(canvas, doc):
        if qr_png is not None:
            size = 3.2 * cm
            canvas.drawImage(ImageReader(io.BytesIO(qr_png)), width - margins["right"] - size, 1.4 * cm, size, size)
            canvas.setFont(regular, 8)
            canvas.drawRightString(width - margins["right"], 1.1 * cm, f"Kode verifikasi {meta.code}")
        else:
            canvas.setFont(regular, 8)
            canvas.drawRightString(width - margins["right"], 1.1 * cm, meta.status_label)

    frame = Frame(margins["left"], margins["bottom"], usable, height - margins["top"] - margins["bottom"], id="body")
    doc = LkjDoc(io.BytesIO(), pagesize=A4, leftMargin=margins["left"], rightMargin=margins["right"],
                 topMargin=margins["top"], bottomMargin=margins["bottom"],
                 title=f"Laporan Kinerja {snapshot['subject']} Tahun {snapshot['year']}",
                 author=snapshot["subject"], creator="SILABU",
                 subject=(f"Kode verifikasi {meta.code}" if meta.code else meta.status_label),
                 keywords=["LKj", snapshot["report_code"], str(snapshot["year"])] + ([meta.code] if meta.code else []))
    doc.addPageTemplates([PageTemplate(id="cover", frames=[frame], onPage=on_cover),
                          PageTemplate(id="body", frames=[frame], onPage=on_page)])

    toc_styles = [ParagraphStyle(f"LkjToc{i}", parent=base, fontSize=10 - i * 0.5, leading=13, leftIndent=i * 14,
                                 firstLineIndent=0, alignment=0, spaceAfter=0) for i in range(3)]
    story: list = []
    for el in build_elements(snapshot, narrative, meta):
        if isinstance(el, Cover):
            story.append(NextPageTemplate("body"))
            story.append(Spacer(1, 4 * cm))
            story.append(Paragraph("LAPORAN KINERJA", styles["cover_big"]))
            story.append(Spacer(1, 0.4 * cm))
            for line in el.lines[1:] + [f"TAHUN {el.year}"]:
                story.append(Paragraph(escape(line), styles["cover"]))
            story.append(Spacer(1, 7 * cm))
            story.append(Paragraph(escape(el.subject.upper()), styles["cover"]))
            if el.place:
                story.append(Paragraph(escape(el.place.upper()), styles["cover"]))
            story.append(Paragraph(str(el.year + 1), styles["cover"]))
            story.append(Spacer(1, 0.6 * cm))
            story.append(Paragraph(escape(meta.status_label), styles["center"]))
        elif isinstance(el, PageBreak):
            story.append(RLPageBreak())
        elif isinstance(el, Heading):
            para = Paragraph(escape(el.text), styles[f"h{el.level}"] if el.toc or el.level > 1 else styles["plain"])
            para._lkj_toc = el.toc
            story.append(para)
        elif isinstance(el, Text):
            story.extend(_pdf_blocks(el.blocks, base, ListFlowable, ListItem, Paragraph))
        elif isinstance(el, Contents):
            story.append(TableOfContents(levelStyles=toc_styles, dotsMinLevel=0,
                                         notifyKind="TOCEntry" if el.kind == "toc" else "TableEntry"))
            story.append(Spacer(1, 0.6 * cm))
        elif isinstance(el, TableEl):
            cell_style = styles["cell_small"] if el.small else styles["cell"]
            head_style = ParagraphStyle(f"{cell_style.name}H", parent=cell_style, fontName=bold, alignment=TA_CENTER)
            aligned = {c: ParagraphStyle(f"{cell_style.name}{c}", parent=cell_style,
                                         alignment={"l": 0, "c": 1, "r": 2}[c]) for c in "lcr"}
            data = [[Paragraph(escape(h), head_style) for h in el.header]]
            for r_index, row in enumerate(el.rows):
                cells = []
                for i, text in enumerate(row):
                    if el.group_column == i and r_index > 0 and text == el.rows[r_index - 1][i]:
                        cells.append("")
                    else:
                        cells.append(Paragraph(escape(text), aligned[(el.align or "")[i:i + 1] or "l"]))
                data.append(cells)
            total = sum(el.widths)
            table = Table(data, colWidths=[usable * w / total for w in el.widths], repeatRows=1)
            commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#555555")),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9D9D9")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
            if el.group_column is not None:
                col = el.group_column
                start = 1
                for r_index in range(1, len(el.rows) + 1):
                    last = r_index == len(el.rows) or el.rows[r_index][col] != el.rows[r_index - 1][col]
                    if last:
                        if r_index > start:
                            commands.append(("SPAN", (col, start), (col, r_index)))
                        start = r_index + 1
            table.setStyle(TableStyle(commands))
            story.append(Paragraph(escape(f"Tabel {el.number}. {el.caption}"), styles["caption"]))
            story.append(table)
            story.append(Spacer(1, 0.4 * cm))
        elif isinstance(el, Signature):
            lines = [escape(el.place_date), escape(el.label), "<br/><br/><br/>",
                     f"<b>{escape(el.name)}</b>" if el.name else "(.................................)"]
            if el.nip:
                lines.append(escape(f"NIP {el.nip}"))
            if el.paraf:
                lines.append(f"<font size=7>{escape(el.paraf)}</font>")
            sig = Table([["", Paragraph("<br/>".join(lines), styles["cell"])]], colWidths=[usable * 0.5, usable * 0.5])
            story.append(Spacer(1, 0.4 * cm))
            story.append(sig)
        elif isinstance(el, Verification):
            story.append(CondPageBreak(6 * cm))
            story.append(Paragraph("Verifikasi Dokumen", styles["h2"]))
            if el.code and el.url:
                size = 3.4 * cm
                drawing = Image(io.BytesIO(_qr_png(el.url)), width=size, height=size)
                text = Paragraph(f"Kode verifikasi: <b>{escape(el.code)}</b><br/>Periksa keaslian dokumen ini di "
                                 f"{escape(el.url)}. Halaman tersebut menampilkan versi, status dan sidik sha256 "
                                 f"berkasnya.<br/>Disusun oleh SILABU pada {escape(tanggal(el.compiled_at))}.",
                                 styles["cell"])
                story.append(Table([[drawing, text]], colWidths=[size + 0.4 * cm, usable - size - 0.4 * cm],
                                   style=[("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
                for line in el.record or []:
                    story.append(Paragraph(escape(line), base))
            else:
                story.append(Paragraph(escape(f"{el.status_label}: dokumen ini belum dikompilasi sebagai versi dan "
                                              "belum memiliki kode verifikasi."), base))
    doc.multiBuild(story)
    return doc.filename.getvalue()


def _pdf_blocks(blocks: Sequence[Block], style, ListFlowable, ListItem, Paragraph) -> list:
    out: list = []
    bullets: list = []

    def flush() -> None:
        if bullets:
            out.append(ListFlowable(list(bullets), bulletType="bullet", start="•", leftIndent=14, bulletFontSize=8))
            bullets.clear()

    for block in blocks:
        para = Paragraph(_markup(block.runs), style)
        if block.kind == "bullet":
            bullets.append(ListItem(para, leftIndent=14))
        else:
            flush()
            out.append(para)
    flush()
    return out
