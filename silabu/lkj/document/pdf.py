"""The LKj as PDF (reportlab): the same elements as the DOCX, with a table of contents, a list of tables and
the verification code (QR and short code) on the cover, in every footer and on the last page."""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from silabu.core import pdf
from silabu.core.formatting import tanggal
from silabu.lkj.document.charts import Figure, to_reportlab
from silabu.lkj.document.docx import _qr_png
from silabu.lkj.document.elements import (
    Contents,
    Cover,
    DocumentMeta,
    Heading,
    PageBreak,
    SectionBreak,
    Signature,
    Signatures,
    TableEl,
    Text,
    Title,
    Verification,
    build_elements,
    document_title,
    fit_widths,
)
from silabu.lkj.document.narrative import Block


def _fonts() -> tuple[str, str, str]:
    """(regular, bold, italic): the family every SILABU PDF embeds (``core.pdf``)."""
    f = pdf.fonts()
    return f.regular, f.bold, f.italic


def roman(number: int) -> str:
    """Lower-case roman numerals for the front matter's page numbers (i, ii, iii, iv, ...)."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                           (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out += letters
            number -= value
    return out


CELL_PADDING = 6 + 6 + 1  # reportlab's default left and right cell padding, and a point of slack


def _letterhead_of(snapshot: Mapping[str, Any]):
    """The kop surat every SILABU PDF prints (``core.pdf``): the frozen satker fields, the current logo."""
    from silabu.accounts.tenancy import current_satker

    satker = snapshot.get("satker") or {}
    logo = None
    try:
        current = current_satker()
        read_logo = getattr(current, "logo_bytes", None)
        logo = read_logo() if callable(read_logo) else None
    except RuntimeError:  # rendering outside an app context (a stored snapshot): no logo
        logo = None
    return pdf.Letterhead(satker.get("name") or "Sekretariat KPU", satker.get("address") or "",
                          satker.get("city") or "", satker.get("phone") or "", satker.get("email") or "",
                          satker.get("website") or "", logo)


def _markup(runs: Sequence[tuple[str, bool]]) -> str:
    return "".join(f"<b>{escape(t)}</b>" if bold else escape(t) for t, bold in runs)


@lru_cache(maxsize=1)
def _flowables():
    """(Paragraph, CellParagraph, Table) of the LKj, which spend reportlab's time once instead of many times.

    multiBuild lays the whole document out three times (the contents pages need the page numbers of the pass
    before) and reportlab wraps a table's every cell when it measures the rows, again when it draws them and for
    each page a long table splits onto: ≈ 8 line breaks of the same cell text at the same width, and three full
    drawings of which two are thrown away. So:

    - a cell paragraph keeps the lines of its last wrap and gives them back while the width is the same (a cell
      is never split across pages, its rows are, so the lines at a width are always the same);
    - the passes that only find the page numbers (``LkjDoc``: until the contents are satisfied) skip drawing the
      paragraphs and tables, which changes no position; one more pass, laid out the same, draws the file.
    """
    from reportlab.platypus import Paragraph, Table

    class LkjParagraph(Paragraph):
        def draw(self):
            if not getattr(self.canv, "_lkj_layout_only", False):
                super().draw()

    class CellParagraph(LkjParagraph):
        _lkj_wrapped: tuple[float, float, float] | None = None

        def wrap(self, availWidth, availHeight):
            done = self._lkj_wrapped
            if done is not None and done[0] == availWidth:
                self.width, self.height = done[1], done[2]
                return done[1], done[2]
            width, height = super().wrap(availWidth, availHeight)
            self._lkj_wrapped = (availWidth, width, height)
            return width, height

    class LkjTable(Table):
        def draw(self):
            if not getattr(self.canv, "_lkj_layout_only", False):
                super().draw()

    return LkjParagraph, CellParagraph, LkjTable


def render_pdf(snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> bytes:
    """The PDF with the same content, a table of contents, a list of tables and the verification code."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (
        BaseDocTemplate,
        CondPageBreak,
        Frame,
        Image,
        ListFlowable,
        ListItem,
        NextPageTemplate,
        PageTemplate,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus import PageBreak as RLPageBreak
    from reportlab.platypus.tableofcontents import TableOfContents

    Paragraph, Cell, DataTable = _flowables()  # reportlab's, drawn once (see there)

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
        "title": ParagraphStyle("LkjTitle", parent=base, fontName=bold, fontSize=12, leading=16, alignment=TA_CENTER,
                                spaceAfter=2),
        "fig_caption": ParagraphStyle("LkjFigCaption", parent=base, fontName=bold, fontSize=9.5, leading=12,
                                      alignment=TA_CENTER, spaceBefore=6, spaceAfter=4, keepWithNext=1),
        "small": ParagraphStyle("LkjSmall", parent=base, fontSize=8.5, leading=11),
    }
    heading_level = {"LkjH1": 0, "LkjH2": 1, "LkjH3": 2}
    width, height = A4
    margins = dict(left=3.5 * cm, right=2.5 * cm, top=3 * cm, bottom=2.5 * cm)
    usable = width - margins["left"] - margins["right"]
    footer_text = (f"Kode verifikasi {meta.code} · {meta.url}" if meta.code else meta.status_label)

    class LkjDoc(BaseDocTemplate):
        body_start: int | None = None  # the page Bab I starts on (kept from the previous pass of multiBuild)
        body_seen = False

        layout_only = True  # until the contents are satisfied: find the page numbers, draw nothing

        def beforeDocument(self):
            self.body_seen = False
            self.canv._lkj_layout_only = self.layout_only

        def _allSatisfied(self):
            satisfied = super()._allSatisfied()
            if satisfied and self.layout_only:
                self.layout_only = False  # the page numbers are known: one more pass, the same, drawn
                return False
            return satisfied

        def page_label(self, page: int) -> str:
            """i, ii, ... before Bab I; 1, 2, ... from Bab I."""
            if self.body_start is not None and page >= self.body_start:
                return str(page - self.body_start + 1)
            return roman(page)

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
                elif name == "LkjFigCaption":
                    key = f"g{id(flowable)}"
                    self.canv.bookmarkPage(key)
                    self.notify("FigureEntry", (0, text, self.page, key))

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawCentredString(width / 2, 1.3 * cm, f"{footer_text} · Halaman {doc.page_label(doc.page)}")
        canvas.restoreState()

    def on_body_page(canvas, doc):
        if not doc.body_seen:
            doc.body_seen = True
            doc.body_start = doc.page
        on_page(canvas, doc)

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
                 title=document_title(snapshot),
                 author=snapshot["subject"], creator="SILABU",
                 subject=(f"Kode verifikasi {meta.code}" if meta.code else meta.status_label),
                 keywords=["LKj", snapshot["report_code"], str(snapshot["year"])] + ([meta.code] if meta.code else []))
    doc.addPageTemplates([PageTemplate(id="cover", frames=[frame], onPage=on_cover),
                          PageTemplate(id="front", frames=[frame], onPage=on_page),
                          PageTemplate(id="body", frames=[frame], onPage=on_body_page)])

    toc_styles = [ParagraphStyle(f"LkjToc{i}", parent=base, fontSize=10 - i * 0.5, leading=13, leftIndent=i * 14,
                                 firstLineIndent=0, alignment=0, spaceAfter=0) for i in range(3)]
    story: list = []
    for el in build_elements(snapshot, narrative, meta):
        if isinstance(el, Cover):
            story.append(NextPageTemplate("front"))
            story.extend(pdf.letterhead(_letterhead_of(snapshot), usable))
            story.append(Spacer(1, 2.5 * cm))
            story.append(Paragraph("LAPORAN KINERJA", styles["cover_big"]))
            story.append(Spacer(1, 0.4 * cm))
            for line in el.lines[1:] + [f"TAHUN {el.year}"]:
                story.append(Paragraph(escape(line), styles["cover"]))
            story.append(Spacer(1, 7 * cm))
            story.append(Paragraph(escape(el.subject.upper()), styles["cover"]))
            if el.place:
                story.append(Paragraph(escape(el.place.upper()), styles["cover"]))
            story.append(Paragraph(str(el.issued_year), styles["cover"]))
            story.append(Spacer(1, 0.6 * cm))
            story.append(Paragraph(escape(meta.status_label), styles["center"]))
        elif isinstance(el, PageBreak):
            story.append(RLPageBreak())
        elif isinstance(el, SectionBreak):
            story.append(NextPageTemplate("body"))
            story.append(RLPageBreak())
        elif isinstance(el, Title):
            for line in el.lines:
                story.append(Paragraph(escape(line), styles["title"]))
            story.append(Spacer(1, 0.3 * cm))
        elif isinstance(el, Figure):
            story.append(Paragraph(escape(f"Gambar {el.number}. {el.caption}"), styles["fig_caption"]))
            story.append(to_reportlab(el, usable, usable * 230 / 430))
            if el.note and el.kind == "bar":
                story.append(Paragraph(escape(el.note), styles["small"]))
            story.append(Spacer(1, 0.3 * cm))
        elif isinstance(el, Signatures):
            story.append(Spacer(1, 0.4 * cm))
            story.append(pdf.signature_blocks([pdf.Signer(p.label, p.name, p.nip, p.lead) for p in el.parties],
                                              el.place_date, usable))
        elif isinstance(el, Heading):
            para = Paragraph(escape(el.text), styles[f"h{el.level}"] if el.toc or el.level > 1 else styles["plain"])
            para._lkj_toc = el.toc
            story.append(para)
        elif isinstance(el, Text):
            story.extend(_pdf_blocks(el.blocks, base, ListFlowable, ListItem, Paragraph))
        elif isinstance(el, Contents):
            story.append(TableOfContents(levelStyles=toc_styles, dotsMinLevel=0, formatter=doc.page_label,
                                         notifyKind={"toc": "TOCEntry", "tables": "TableEntry",
                                                     "figures": "FigureEntry"}[el.kind]))
            story.append(Spacer(1, 0.6 * cm))
        elif isinstance(el, TableEl):
            cell_style = styles["cell_small"] if el.small else styles["cell"]
            head_style = ParagraphStyle(f"{cell_style.name}H", parent=cell_style, fontName=bold, alignment=TA_CENTER)
            aligned = {c: ParagraphStyle(f"{cell_style.name}{c}", parent=cell_style,
                                         alignment={"l": 0, "c": 1, "r": 2}[c]) for c in "lcr"}
            data = [[Cell(escape(h), head_style) for h in el.header]]
            for r_index, row in enumerate(el.rows):
                cells = []
                for i, text in enumerate(row):
                    if el.group_column == i and r_index > 0 and text == el.rows[r_index - 1][i]:
                        cells.append("")
                    else:
                        cells.append(Cell(escape(text), aligned[(el.align or "")[i:i + 1] or "l"]))
                data.append(cells)
            size = cell_style.fontSize

            def measure(word: str, is_bold: bool, size=size) -> float:
                return stringWidth(word, bold if is_bold else regular, size)

            table = DataTable(data, colWidths=fit_widths(el, usable, measure, CELL_PADDING), repeatRows=1)
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
