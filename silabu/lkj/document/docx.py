"""The LKj as DOCX (python-docx), for the team to lay out further in Word or LibreOffice."""
from __future__ import annotations

import io
import re
import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from silabu.core.formatting import tanggal
from silabu.lkj.document.charts import Figure, to_png
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


def render_docx(snapshot: Mapping[str, Any], narrative: Mapping[str, str], meta: DocumentMeta) -> bytes:
    """The DOCX draft: Word styles (Heading 1-3, Caption) so the TOC and list-of-tables fields work when updated."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(3.5), Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(3), Cm(2.5)
    usable = 21.0 - 3.5 - 2.5
    styles = doc.styles
    styles["Normal"].font.name = "Arial"
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    for name, size in (("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11)):
        st = styles[name]
        st.font.name, st.font.size, st.font.bold = "Arial", Pt(size), True
        st.font.color.rgb = RGBColor(0, 0, 0)
    styles["Caption"].font.size = Pt(10)
    styles["Caption"].font.color.rgb = RGBColor(0, 0, 0)
    from docx.enum.style import WD_STYLE_TYPE

    for style_name, size in ((CELL_STYLE, 10), (CELL_SMALL_STYLE, 8)):
        cell_style = styles.add_style(style_name, WD_STYLE_TYPE.PARAGRAPH)
        cell_style.base_style = styles["Normal"]
        cell_style.font.size = Pt(size)
        cell_style.paragraph_format.space_after = Pt(0)
        cell_style.paragraph_format.line_spacing = 1.0
    # Ask Word to refresh the TOC/list of tables when the file is opened.
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)
    doc.core_properties.title = document_title(snapshot)
    doc.core_properties.author = snapshot["subject"]
    doc.core_properties.subject = (f"Kode verifikasi {meta.code}" if meta.code else meta.status_label)
    doc.core_properties.keywords = f"LKj; {snapshot['report_code']}; {snapshot['year']}" + (
        f"; {meta.code}" if meta.code else "")

    _docx_footer(section, meta, OxmlElement, qn, Pt, WD_ALIGN_PARAGRAPH)
    _page_numbers(section, "lowerRoman", OxmlElement, qn)
    for el in build_elements(snapshot, narrative, meta):
        if isinstance(el, Cover):
            _docx_letterhead(doc, snapshot, Pt, OxmlElement, qn, WD_ALIGN_PARAGRAPH)
            _docx_cover(doc, el, meta, Pt, Cm, WD_ALIGN_PARAGRAPH)
        elif isinstance(el, PageBreak):
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif isinstance(el, SectionBreak):
            from docx.enum.section import WD_SECTION

            body = doc.add_section(WD_SECTION.NEW_PAGE)
            _page_numbers(body, "decimal", OxmlElement, qn)
        elif isinstance(el, Title):
            for line in el.lines:
                p = doc.add_paragraph()
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = p.add_run(line)
                run.bold = True
                run.font.size = Pt(12)
        elif isinstance(el, Figure):
            caption = _styled(doc, "Caption")
            caption.add_run("Gambar ")
            _docx_field(caption, "SEQ Gambar \\* ARABIC", str(el.number), OxmlElement, qn)
            caption.add_run(f". {el.caption}")
            caption.paragraph_format.keep_with_next = True
            doc.add_picture(io.BytesIO(_chart_png(el)), width=Cm(usable))
            if el.note and el.kind == "bar":
                note = doc.add_paragraph(el.note)
                for run in note.runs:
                    run.font.size = Pt(8)
        elif isinstance(el, Signatures):
            _docx_signatures(doc, el, Pt)
        elif isinstance(el, Heading):
            if el.toc:
                _styled(doc, f"Heading{el.level}").add_run(el.text)
            else:
                p = _styled(doc, "TOCHeading") if el.level == 1 else doc.add_paragraph()
                run = p.add_run(el.text)
                run.bold = True
                run.font.size = Pt(14 if el.level == 1 else 11)
        elif isinstance(el, Text):
            _docx_blocks(doc, el.blocks, el.italic, WD_ALIGN_PARAGRAPH)
        elif isinstance(el, Contents):
            p = doc.add_paragraph()
            instr = {"toc": 'TOC \\o "1-3" \\h \\z \\u', "tables": 'TOC \\h \\z \\c "Tabel"',
                     "figures": 'TOC \\h \\z \\c "Gambar"'}[el.kind]
            placeholder = ("Klik kanan di sini lalu pilih Perbarui Bidang (Update Field) untuk menampilkan "
                           + {"toc": "daftar isi.", "tables": "daftar tabel.", "figures": "daftar gambar."}[el.kind])
            _docx_field(p, instr, placeholder, OxmlElement, qn)
        elif isinstance(el, TableEl):
            _docx_table(doc, el, usable, Pt, Cm, OxmlElement, qn, WD_TABLE_ALIGNMENT, WD_ALIGN_PARAGRAPH)
        elif isinstance(el, Signature):
            _docx_signature(doc, el, Pt, Cm)
        elif isinstance(el, Verification):
            _docx_verification(doc, el, Pt, Cm)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


CELL_STYLE, CELL_STYLE_ID = "LKj Sel Tabel", "LKjSelTabel"
CELL_SMALL_STYLE, CELL_SMALL_STYLE_ID = "LKj Sel Tabel Kecil", "LKjSelTabelKecil"


def _styled(doc, style_id: str):
    """A new paragraph with a style set by its id (python-docx's lookup by name is slow on every call)."""
    p = doc.add_paragraph()
    p._p.get_or_add_pPr().get_or_add_pStyle().val = style_id
    return p


def _set_table_style(table, style_id: str, OxmlElement, qn) -> None:
    tbl_pr = table._tbl.tblPr
    style = tbl_pr.find(qn("w:tblStyle"))
    if style is None:
        style = OxmlElement("w:tblStyle")
        tbl_pr.insert(0, style)
    style.set(qn("w:val"), style_id)


def _docx_field(paragraph, instr: str, placeholder: str, OxmlElement, qn) -> None:
    """A Word field (TOC, SEQ, PAGE) with a cached result shown until the field is updated."""
    def fld(kind: str):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    run = paragraph.add_run()
    run._r.append(fld("begin"))
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instr} "
    run._r.append(text)
    run = paragraph.add_run()
    run._r.append(fld("separate"))
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    run._r.append(fld("end"))


def _docx_footer(section, meta: DocumentMeta, OxmlElement, qn, Pt, WD_ALIGN_PARAGRAPH) -> None:
    footer = section.footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    label = (f"Kode verifikasi {meta.code} · {meta.url}" if meta.code else meta.status_label)
    run = p.add_run(label + " · Halaman ")
    run.font.size = Pt(8)
    _docx_field(p, "PAGE", "1", OxmlElement, qn)
    for r in p.runs:
        r.font.size = Pt(8)


def _docx_letterhead(doc, snapshot: Mapping[str, Any], Pt, OxmlElement, qn, WD_ALIGN_PARAGRAPH) -> None:
    """The kop surat as the PDFs print it (``core.pdf.letterhead``): institution, satker, address and contact,
    over a double rule."""
    from silabu.core import pdf

    satker = snapshot.get("satker") or {}
    head = pdf.Letterhead(satker.get("name") or "Sekretariat KPU", satker.get("address") or "",
                          satker.get("city") or "", satker.get("phone") or "", satker.get("email") or "",
                          satker.get("website") or "")
    lines = [(pdf.INSTITUTION, 12, True), (head.satker_name.upper(), 15, True)] + [(line, 9, False)
                                                                                  for line in head.lines]
    for i, (text, size, bold) in enumerate(lines):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(text)
        run.bold, run.font.size = bold, Pt(size)
        if i == len(lines) - 1:
            borders = OxmlElement("w:pBdr")
            bottom = OxmlElement("w:bottom")
            for key, value in (("w:val", "thinThickSmallGap"), ("w:sz", "18"), ("w:space", "4"),
                               ("w:color", "000000")):
                bottom.set(qn(key), value)
            borders.append(bottom)
            p._p.get_or_add_pPr().append(borders)


def _docx_cover(doc, el: Cover, meta: DocumentMeta, Pt, Cm, WD_ALIGN_PARAGRAPH) -> None:
    for _ in range(3):
        doc.add_paragraph()
    for i, line in enumerate(["LAPORAN KINERJA"] + el.lines[1:] + [f"TAHUN {el.year}"]):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(line)
        run.bold = True
        run.font.size = Pt(22 if i == 0 else 16)
    for _ in range(6):
        doc.add_paragraph()
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(el.subject.upper() + (f"\n{el.place.upper()}" if el.place else "") + f"\n{el.issued_year}")
    run.bold = True
    run.font.size = Pt(13)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(meta.status_label + (f" · Kode verifikasi {meta.code}" if meta.code else ""))
    run.font.size = Pt(9)


def _docx_blocks(doc, blocks: Sequence[Block], italic: bool, WD_ALIGN_PARAGRAPH) -> None:
    for block in blocks:
        p = _styled(doc, "ListBullet") if block.kind == "bullet" else doc.add_paragraph()
        if block.kind == "para":
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        for text, bold in block.runs:
            run = p.add_run(text)
            run.bold = bold
            run.italic = italic


def _docx_table(doc, el: TableEl, usable_cm: float, Pt, Cm, OxmlElement, qn, WD_TABLE_ALIGNMENT,
                WD_ALIGN_PARAGRAPH) -> None:
    caption = _styled(doc, "Caption")
    caption.add_run("Tabel ")
    _docx_field(caption, "SEQ Tabel \\* ARABIC", str(el.number), OxmlElement, qn)
    caption.add_run(f". {el.caption}")
    table = doc.add_table(rows=1, cols=len(el.header))
    _set_table_style(table, "TableGrid", OxmlElement, qn)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # fixed layout: Word and LibreOffice keep these widths instead of re-flowing
    widths = [Cm(w) for w in docx_widths(el, usable_cm)]
    for i, column in enumerate(table.columns):
        column.width = widths[i]
    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        table._tbl.tblPr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(int(w.twips) for w in widths)))
    align = {"l": WD_ALIGN_PARAGRAPH.LEFT, "r": WD_ALIGN_PARAGRAPH.RIGHT, "c": WD_ALIGN_PARAGRAPH.CENTER}

    style_id = CELL_SMALL_STYLE_ID if el.small else CELL_STYLE_ID

    def fill(cell, text: str, col: int, bold: bool = False) -> None:
        if bold:  # the header row existed before the grid widths; added rows take their widths from the grid
            cell.width = widths[col]
        p = cell.paragraphs[0]
        p._p.get_or_add_pPr().get_or_add_pStyle().val = style_id
        p.alignment = align.get((el.align or "")[col:col + 1] or "l") if not bold else WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        if bold:
            run.bold = True

    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    header_cells = header.cells  # python-docx walks the whole grid on every ``.cells``
    for i, text in enumerate(el.header):
        fill(header_cells[i], text, i, bold=True)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), "D9D9D9")
        header_cells[i]._tc.get_or_add_tcPr().append(shading)
    _docx_body_rows(table, el, [int(w.twips) for w in widths], style_id)
    doc.add_paragraph()


_JC = {"l": "left", "r": "right", "c": "center"}


def _docx_body_rows(table, el: TableEl, twips: list[int], style_id: str) -> None:
    """The table's body rows written as WordprocessingML in one parse: the same XML python-docx's ``add_row``,
    ``add_run`` and vertical ``merge`` give (each cell as wide as its grid column, a repeated value of the group
    column merged into the cell above), without python-docx's per-element child lookups (≈ 80 % of the DOCX's
    render time with the Bab III and lampiran tables)."""
    from xml.sax.saxutils import escape

    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    if not el.rows:
        return
    jc = [_JC.get((el.align or "")[i:i + 1] or "l") for i in range(len(twips))]
    jc = [f'<w:jc w:val="{v}"/>' if v else "" for v in jc]
    group = el.group_column
    out = [f"<w:tbl {nsdecls('w')}>"]
    for r_index, row in enumerate(el.rows):
        out.append("<w:tr>")
        for i in range(len(twips)):
            text = row[i] if i < len(row) else None
            merge = ""
            if group == i:
                starts = r_index == 0 or row[i] != el.rows[r_index - 1][i]
                continues = r_index + 1 < len(el.rows) and el.rows[r_index + 1][i] == row[i]
                if not starts:
                    merge, text = "<w:vMerge/>", None
                elif continues:
                    merge = '<w:vMerge w:val="restart"/>'
            out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{twips[i]}"/>{merge}</w:tcPr>')
            if text is None:
                out.append("<w:p/></w:tc>")
                continue
            out.append(f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/>{jc[i]}</w:pPr>')
            out.append(_docx_run_xml(text, escape))
            out.append("</w:p></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    tbl = table._tbl
    for tr in list(parse_xml("".join(out))):
        tbl.append(tr)


def _docx_run_xml(text: str, escape) -> str:
    """``<w:r>`` of ``text`` as python-docx's ``add_run(text)`` writes it (each tab a ``<w:tab/>``, each CR or LF
    a ``<w:br/>``, space kept where the text starts or ends with one)."""
    if not text:
        return "<w:r/>"
    parts = []
    for chunk in re.split(r"([\t\r\n])", text):
        if chunk == "\t":
            parts.append("<w:tab/>")
        elif chunk in ("\r", "\n"):
            parts.append("<w:br/>")
        elif chunk:
            space = ' xml:space="preserve"' if len(chunk.strip()) < len(chunk) else ""
            parts.append(f"<w:t{space}>{escape(chunk)}</w:t>")
    return "<w:r>" + "".join(parts) + "</w:r>"


PT_CM = 2.54 / 72
CELL_MARGINS_CM = 0.38 + 0.12  # Word's default left+right cell margins (0.19 cm each) and a little slack


def docx_widths(el: TableEl, usable_cm: float) -> list[float]:
    """Column widths in cm so that the longest word of every column fits (Arial measured as Helvetica)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size = 8 if el.small else 10

    def measure(word: str, bold: bool) -> float:
        return stringWidth(word, "Helvetica-Bold" if bold else "Helvetica", size) * PT_CM

    return fit_widths(el, usable_cm, measure, CELL_MARGINS_CM)


def _page_numbers(section, fmt: str, OxmlElement, qn) -> None:
    """Number this section's pages from 1 in ``fmt`` (lowerRoman for the front matter, decimal for the body)."""
    sect_pr = section._sectPr
    pg = sect_pr.find(qn("w:pgNumType"))
    if pg is None:
        pg = OxmlElement("w:pgNumType")
        sect_pr.append(pg)
    pg.set(qn("w:fmt"), fmt)
    pg.set(qn("w:start"), "1")


def _chart_png(fig: Figure) -> bytes:
    """The chart's PNG, encoded once for the same figure (a compile and the signature's re-render draw the same
    charts; a figure is its caption, kind, categories and values, so ``repr`` names it)."""
    key = repr(fig)
    with _CHART_LOCK:
        png = _CHART_PNGS.get(key)
    if png is None:
        png = to_png(fig, 430, 230)
        with _CHART_LOCK:
            _CHART_PNGS[key] = png
            while len(_CHART_PNGS) > CHARTS_KEPT:
                _CHART_PNGS.pop(next(iter(_CHART_PNGS)))
    return png


CHARTS_KEPT = 32
_CHART_PNGS: dict[str, bytes] = {}
_CHART_LOCK = threading.Lock()


def _docx_signatures(doc, el: Signatures, Pt) -> None:
    table = doc.add_table(rows=1, cols=len(el.parties))
    for i, party in enumerate(el.parties):
        cell = table.rows[0].cells[i]
        first = el.place_date if i == len(el.parties) - 1 else ""
        cell.paragraphs[0].add_run(first)
        for line in (party.lead, party.label, "", "", ""):
            cell.add_paragraph(line)
        run = cell.add_paragraph().add_run(party.name or "(.................................)")
        run.bold = bool(party.name)
        run.underline = bool(party.name)
        cell.add_paragraph(f"NIP {party.nip}" if party.nip else "NIP")
    doc.add_paragraph()


def _docx_signature(doc, el: Signature, Pt, Cm) -> None:
    table = doc.add_table(rows=1, cols=2)
    cell = table.rows[0].cells[1]
    lines = [el.place_date, el.label, "", "", "", el.name or "(.................................)"]
    cell.paragraphs[0].add_run(lines[0])
    for line in lines[1:]:
        p = cell.add_paragraph()
        run = p.add_run(line)
        run.bold = line == el.name and bool(line)
    if el.nip:
        cell.add_paragraph(f"NIP {el.nip}")
    if el.paraf:
        run = cell.add_paragraph().add_run(el.paraf)
        run.font.size = Pt(8)
    doc.add_paragraph()


@lru_cache(maxsize=32)
def _qr_png(url: str) -> bytes:
    import qrcode

    image = qrcode.make(url, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _docx_verification(doc, el: Verification, Pt, Cm) -> None:
    _styled(doc, "Heading2").add_run("Verifikasi Dokumen")
    if el.code and el.url:
        doc.add_picture(io.BytesIO(_qr_png(el.url)), width=Cm(3.2))
        doc.add_paragraph(f"Kode verifikasi: {el.code}")
        doc.add_paragraph(f"Periksa keaslian dokumen ini di {el.url} (sidik sha256 berkas ditampilkan di halaman "
                          "tersebut).")
    else:
        doc.add_paragraph(f"{el.status_label}: dokumen ini belum dikompilasi sebagai versi dan belum memiliki kode "
                          "verifikasi.")
    for line in el.record or []:
        doc.add_paragraph(line)
    doc.add_paragraph(f"Disusun oleh SILABU pada {tanggal(el.compiled_at)}.")
