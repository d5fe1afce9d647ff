"""The surat pengantar that *Kirim* issues with the signed LKj (Kupang step 15, Banten step 9), as DOCX and PDF.

A kabupaten/kota sends its LKj to the Sekretaris of its KPU Provinsi; a province sends it to the Biro
Perencanaan and the Inspektorat of KPU RI (Banten). The letter is signed by whoever signed the LKj, with the
title that carries the institution ("Sekretaris KPU Kabupaten Kudus").
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from silabu.core.formatting import tanggal

# BPS province codes, the first two digits of a KPU kabupaten/kota satker code (3319: Kudus, Jawa Tengah).
PROVINCES = {
    "11": "Aceh", "12": "Sumatera Utara", "13": "Sumatera Barat", "14": "Riau", "15": "Jambi",
    "16": "Sumatera Selatan", "17": "Bengkulu", "18": "Lampung", "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau", "31": "DKI Jakarta", "32": "Jawa Barat", "33": "Jawa Tengah", "34": "DI Yogyakarta",
    "35": "Jawa Timur", "36": "Banten", "51": "Bali", "52": "Nusa Tenggara Barat", "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat", "62": "Kalimantan Tengah", "63": "Kalimantan Selatan", "64": "Kalimantan Timur",
    "65": "Kalimantan Utara", "71": "Sulawesi Utara", "72": "Sulawesi Tengah", "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara", "75": "Gorontalo", "76": "Sulawesi Barat", "81": "Maluku", "82": "Maluku Utara",
}
NATIONAL_RECIPIENTS = ("Kepala Biro Perencanaan KPU RI", "Inspektur Utama KPU RI")  # Biro Perencanaan, Inspektorat
RECIPIENT_SEPARATOR = ";"
DEFAULT_ATTACHMENT = "1 (satu) berkas"


def province_of(satker: object | None) -> str | None:
    """The province of a kabupaten/kota satker, from its parent code or the first digits of its own code."""
    if satker is None:
        return None
    code = str(getattr(satker, "parent_code", "") or getattr(satker, "code", "") or "")[:2]
    return PROVINCES.get(code)


def default_recipients(satker: object | None) -> list[str]:
    """Whom the LKj goes to: the KPU Provinsi's Sekretaris, or for a province the Biro Perencanaan and Inspektorat."""
    if satker is not None and getattr(satker, "level", "") == "provinsi":
        return list(NATIONAL_RECIPIENTS)
    province = province_of(satker)
    return [f"Sekretaris KPU Provinsi {province}" if province else "Sekretaris KPU Provinsi"]


def split_recipients(text: str) -> list[str]:
    """"A; B" (or one per line) -> ["A", "B"]."""
    parts = [" ".join(p.split()) for p in text.replace("\n", RECIPIENT_SEPARATOR).split(RECIPIENT_SEPARATOR)]
    return [p for p in parts if p]


def default_subject(title: str, subject_name: str, year: int) -> str:
    """"Penyampaian Laporan Kinerja Sekretariat KPU Kabupaten Kudus Tahun 2026"."""
    base = title.split(" (")[0]
    return f"Penyampaian {base} {subject_name} Tahun {year}" if subject_name not in base else \
        f"Penyampaian {base} Tahun {year}"


@dataclass(frozen=True)
class CoverLetter:
    """Everything the letter says; the DOCX and the PDF are two renderings of the same text."""

    satker_name: str
    city: str
    number: str
    letter_date: date
    attachment: str
    subject: str
    recipients: Sequence[str]
    report_name: str  # "Laporan Kinerja Sekretariat KPU Kabupaten Kudus Tahun 2026"
    version: int
    signed_date: date
    verification_code: str
    verification_url: str
    pdf_sha256: str
    signer_title: str
    signer_name: str
    signer_nip: str
    head: object | None = None  # the Satker row, for the kop surat of the PDF
    copies: Sequence[str] = ()  # tembusan

    @property
    def place_date(self) -> str:
        return f"{self.city}, {tanggal(self.letter_date)}" if self.city else tanggal(self.letter_date)

    @property
    def fields(self) -> list[tuple[str, str]]:
        return [("Nomor", self.number), ("Sifat", "Biasa"), ("Lampiran", self.attachment), ("Perihal", self.subject)]

    @property
    def addressee(self) -> list[str]:
        if len(self.recipients) == 1:
            return [f"Yth. {self.recipients[0]}", "di Tempat"]
        return ["Yth."] + [f"{i}. {r}" for i, r in enumerate(self.recipients, 1)] + ["di Tempat"]

    @property
    def body(self) -> list[str]:
        return [
            "Dengan hormat,",
            f"Bersama ini kami sampaikan {self.report_name} (versi {self.version}) yang telah ditandatangani pada "
            f"tanggal {tanggal(self.signed_date)}, sebagai bahan evaluasi akuntabilitas kinerja sesuai Peraturan "
            "Menteri PANRB Nomor 53 Tahun 2014.",
            f"Keaslian dokumen dapat diperiksa dengan kode verifikasi {self.verification_code} di "
            f"{self.verification_url}, dengan sidik sha256 PDF final:",
            self.pdf_sha256,  # a line of its own: a hash broken over two lines cannot be compared
            "Demikian disampaikan, atas perhatian dan kerja samanya diucapkan terima kasih.",
        ]


def render_docx(letter: CoverLetter) -> bytes:
    """The letter as an editable Word document (kop surat as text under a double rule)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    moment = datetime.combine(letter.letter_date, time(0, 0))
    doc.core_properties.created = doc.core_properties.modified = moment
    doc.core_properties.title = letter.subject
    doc.core_properties.author = letter.satker_name
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)

    def centred(text: str, size: float, bold: bool = False):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(text)
        run.bold, run.font.size = bold, Pt(size)
        return p

    centred("KOMISI PEMILIHAN UMUM", 12, bold=True)
    last = centred(letter.satker_name.upper(), 14, bold=True)
    address = getattr(letter.head, "address", "") if letter.head is not None else ""
    if address:
        last = centred(address, 9)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "double"), ("w:sz", "6"), ("w:space", "4"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    last._p.get_or_add_pPr().append(borders)
    doc.add_paragraph()

    table = doc.add_table(rows=len(letter.fields), cols=4)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    widths = (Cm(2.4), Cm(0.5), Cm(8.1), Cm(5.0))
    for i, (label, value) in enumerate(letter.fields):
        cells = table.rows[i].cells
        for cell, width, text in zip(cells, widths, (label, ":", value, letter.place_date if i == 0 else "")):
            cell.width = width
            cell.text = text
        if i == 0:
            cells[3].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph()
    for line in letter.addressee:
        p = doc.add_paragraph(line)
        p.paragraph_format.space_after = Pt(0)
    doc.add_paragraph()
    for text in letter.body:
        p = doc.add_paragraph(text)
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    for text in ("", letter.signer_title, "", "", "", letter.signer_name, f"NIP. {letter.signer_nip}"):
        p = doc.add_paragraph()
        p.paragraph_format.left_indent = Cm(9.0)
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(text)
        if text == letter.signer_name:
            run.bold = run.underline = True
    if letter.copies:
        doc.add_paragraph()
        doc.add_paragraph("Tembusan:").paragraph_format.space_after = Pt(0)
        for i, copy in enumerate(letter.copies, 1):
            doc.add_paragraph(f"{i}. {copy}").paragraph_format.space_after = Pt(0)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_pdf(letter: CoverLetter) -> bytes:
    """The letter as PDF on the satker's kop surat (the same letterhead as every PDF SILABU prints)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

    from silabu.core import pdf

    f = pdf.fonts()
    margin = 2.5 * cm
    width = A4[0] - 2 * margin - 12  # the frame keeps 6 pt of padding on each side
    text = ParagraphStyle("SuratIsi", fontName=f.regular, fontSize=11, leading=15, alignment=4, spaceAfter=6)
    plain = ParagraphStyle("SuratBaris", parent=text, alignment=0, spaceAfter=0)
    right = ParagraphStyle("SuratKanan", parent=plain, alignment=2)
    story = list(pdf.letterhead(pdf.letterhead_of(letter.head) if letter.head is not None
                                else pdf.Letterhead(letter.satker_name), width))
    rows = [[pdf.paragraph(label, plain), pdf.paragraph(":", plain), pdf.paragraph(value, plain),
             pdf.paragraph(letter.place_date if i == 0 else "", right)]
            for i, (label, value) in enumerate(letter.fields)]
    table = Table(rows, colWidths=[2.4 * cm, 0.5 * cm, width - 7.9 * cm, 5.0 * cm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    story += [table, Spacer(1, 12)]
    story += [pdf.paragraph(line, plain) for line in letter.addressee] + [Spacer(1, 12)]
    fingerprint = ParagraphStyle("SuratSidik", parent=plain, fontSize=10, splitLongWords=0, spaceAfter=6)
    story += [pdf.paragraph(line, fingerprint if line == letter.pdf_sha256 else text)
              for line in letter.body] + [Spacer(1, 6)]
    story.append(pdf.signature_blocks([pdf.Signer(letter.signer_title, letter.signer_name, letter.signer_nip)], "",
                                      width, size=10))
    if letter.copies:
        story += [Spacer(1, 12), pdf.paragraph("Tembusan:", plain)]
        story += [pdf.paragraph(f"{i}. {c}", plain) for i, c in enumerate(letter.copies, 1)]
    out = io.BytesIO()
    footer = pdf.footer(f"Surat pengantar {letter.number}", page_width=A4[0], margin=margin, y=1.2 * cm)
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=1.8 * cm,
                                 bottomMargin=2.0 * cm, title=letter.subject, author=letter.satker_name,
                                 invariant=1)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
