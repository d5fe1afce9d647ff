"""What every PDF SILABU prints shares: embedded Unicode fonts, the kop surat, the signature block, the footer.

The three producers (the Kasubag's softfile, the pleno packet, the LKj) build their own content with reportlab
and take these pieces from here, so a letterhead or a signature looks the same on every paper the office signs.
Fonts are TrueType and embedded (DejaVu Sans from the system, else reportlab's bundled Vera): names, activities
and NIPs are free text, and a reader without Helvetica still sees them.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
DEJAVU = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "italic": "DejaVuSans-Oblique.ttf",
          "bold_italic": "DejaVuSans-BoldOblique.ttf"}
VERA = {"regular": "Vera.ttf", "bold": "VeraBd.ttf", "italic": "VeraIt.ttf", "bold_italic": "VeraBI.ttf"}
FAMILY = "SilabuSans"
INSTITUTION = "KOMISI PEMILIHAN UMUM"


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    italic: str
    bold_italic: str


_FONTS: Fonts | None = None


def fonts() -> Fonts:
    """The registered font family (registered once per process); ``<b>`` and ``<i>`` in paragraphs map onto it."""
    global _FONTS
    if _FONTS is not None:
        return _FONTS
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    files = None
    for folder in FONT_DIRS:
        candidate = {k: folder / v for k, v in DEJAVU.items()}
        if all(p.is_file() for p in candidate.values()):
            files = candidate
            break
    if files is None:
        import reportlab

        folder = Path(reportlab.__file__).parent / "fonts"
        files = {k: folder / v for k, v in VERA.items()}
    names = Fonts(FAMILY, f"{FAMILY}-Bold", f"{FAMILY}-Italic", f"{FAMILY}-BoldItalic")
    for key, name in (("regular", names.regular), ("bold", names.bold), ("italic", names.italic),
                      ("bold_italic", names.bold_italic)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(files[key])))
    addMapping(FAMILY, 0, 0, names.regular)
    addMapping(FAMILY, 1, 0, names.bold)
    addMapping(FAMILY, 0, 1, names.italic)
    addMapping(FAMILY, 1, 1, names.bold_italic)
    _FONTS = names
    return names


@dataclass(frozen=True)
class Letterhead:
    """The satker's kop surat: its name, and the lines under it (address, contact)."""

    satker_name: str
    address: str = ""
    city: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    logo: bytes | None = None  # PNG, drawn left of the text

    @property
    def lines(self) -> list[str]:
        contact = "  ".join(part for part in (f"Telepon {self.phone}" if self.phone else "",
                                              f"Email: {self.email}" if self.email else "",
                                              f"Laman: {self.website}" if self.website else "") if part)
        return [line for line in (self.address, contact) if line]


@dataclass(frozen=True)
class Signer:
    """One signature block: "Mengetahui," above the title, the name underlined, the NIP below."""

    title: str
    name: str
    nip: str = ""
    lead: str = ""  # "Mengetahui,", "Disusun oleh,"; empty for none


def letterhead_of(satker: object | None) -> Letterhead:
    """The letterhead from a Satker row (or the neutral one when the installation has none yet)."""
    if satker is None:
        return Letterhead("Sekretariat KPU")
    read_logo = getattr(satker, "logo_bytes", None)
    return Letterhead(getattr(satker, "name", "") or "", getattr(satker, "address", "") or "",
                      getattr(satker, "city", "") or "", getattr(satker, "phone", "") or "",
                      getattr(satker, "email", "") or "", getattr(satker, "website", "") or "",
                      read_logo() if callable(read_logo) else None)


def paragraph(text: object, style) -> Flowable:
    """Free text as a paragraph: escaped, line breaks kept."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def letterhead(head: Letterhead, width: float, *, base_size: float = 10) -> list[Flowable]:
    """KOMISI PEMILIHAN UMUM / the satker in capitals / its address, under a double rule, centred on ``width``."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import HRFlowable

    f = fonts()
    center = ParagraphStyle("SilabuKop", fontName=f.regular, fontSize=base_size - 1.5, leading=base_size + 1.5,
                            alignment=TA_CENTER)
    top = ParagraphStyle("SilabuKop1", parent=center, fontName=f.bold, fontSize=base_size + 1,
                         leading=base_size + 4)
    big = ParagraphStyle("SilabuKop2", parent=center, fontName=f.bold, fontSize=base_size + 4,
                         leading=base_size + 7)
    out: list[Flowable] = [paragraph(INSTITUTION, top), paragraph(head.satker_name.upper(), big)]
    out += [paragraph(line, center) for line in head.lines]
    if head.logo:
        # The logo left of the centred text, as KPU letterheads print it.
        from reportlab.lib.units import mm
        from reportlab.platypus import Image, Table, TableStyle

        side = 20 * mm
        logo = Image(io.BytesIO(head.logo), width=side, height=side, kind="proportional")
        table = Table([[logo, out, ""]], colWidths=[side + 2 * mm, width - 2 * side - 4 * mm, side + 2 * mm])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        out = [table]
    out += [HRFlowable(width=width, thickness=2, color=colors.black, spaceBefore=4, spaceAfter=1),
            HRFlowable(width=width, thickness=0.6, color=colors.black, spaceAfter=8)]
    return out


def signature_blocks(signers: Sequence[Signer], place_date: str, width: float, *, size: float = 9,
                     align: str = "RIGHT") -> Flowable:
    """Signature blocks side by side (one on the right when alone); the place and date above the last one.

    An empty name leaves a dotted line to write on; the NIP line always shows, so it can be filled by hand.
    """
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, Paragraph, Table, TableStyle

    f = fonts()
    style = ParagraphStyle("SilabuSign", fontName=f.regular, fontSize=size, leading=size * 1.3)
    cells = []
    for i, s in enumerate(signers):
        top = f"{escape(place_date)}<br/>" if i == len(signers) - 1 and place_date else "<br/>"
        lead = f"{escape(s.lead)}<br/>" if s.lead else ""
        name = escape(s.name) if s.name else "...................................."
        text = (f"{top}{lead}{escape(s.title)}<br/><br/><br/><br/><br/>"
                f"<u><b>{name}</b></u><br/>NIP. {escape(s.nip) if s.nip else ''}")
        cells.append(Paragraph(text, style))
    column = min(width / max(1, len(cells)), width * 0.48) if len(cells) > 1 else width * 0.42
    table = Table([cells], colWidths=[column] * len(cells), hAlign=align if len(cells) == 1 else "CENTER")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return KeepTogether([table])


def footer(left: str, *, page_width: float, margin: float, y: float, size: float = 7.5) -> Callable:
    """An onPage callback writing ``left`` and "Halaman N" at the foot of every page."""
    from reportlab.lib import colors

    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(fonts().regular, size)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(margin, y, left)
        canvas.drawRightString(page_width - margin, y, f"Halaman {doc.page}")
        canvas.restoreState()

    return draw
