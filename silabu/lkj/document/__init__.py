"""The LKj document: elements per chapter (``elements``), written as DOCX (``docx``) and as PDF (``pdf``)."""
from silabu.lkj.document.docx import render_docx
from silabu.lkj.document.elements import DocumentMeta, build_elements
from silabu.lkj.document.narrative import narrative_html, parse_narrative
from silabu.lkj.document.pdf import render_pdf

__all__ = ["DocumentMeta", "build_elements", "narrative_html", "parse_narrative", "render_docx", "render_pdf"]
