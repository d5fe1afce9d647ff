"""The packet's files: XLSX workbook, printable PDF, evidence index (CSV + ZIP) and the manifest.

Everything here turns a ``Rollup`` (and a few facts about the satker and the build) into bytes; nothing is
queried, stored or committed here. Headings and texts are Bahasa Indonesia; numbers use Indonesian separators.
"""
from __future__ import annotations

from collections.abc import Callable

from silabu.pleno.files.evidence import build_evidence
from silabu.pleno.files.manifest import build_manifest
from silabu.pleno.files.meta import (
    CSV_TYPE,
    JSON_TYPE,
    PDF_TYPE,
    XLSX_TYPE,
    ZIP_TYPE,
    BuiltFile,
    PacketMeta,
    Signatory,
)
from silabu.pleno.files.pdf import build_pdf
from silabu.pleno.files.xlsx import build_xlsx
from silabu.pleno.rollup import Rollup

__all__ = ["CSV_TYPE", "JSON_TYPE", "PDF_TYPE", "XLSX_TYPE", "ZIP_TYPE", "BuiltFile", "PacketMeta", "Signatory",
           "build_all", "build_evidence", "build_manifest", "build_pdf", "build_xlsx"]


def build_all(r: Rollup, meta: PacketMeta, open_blob: Callable[[str], bytes | None],
              extra: list[BuiltFile] | None = None) -> tuple[list[BuiltFile], dict]:
    """Every file of one packet version (``extra``: the units' softfiles), manifest last; returns the files and
    the evidence facts."""
    stem = meta.stem
    files = [BuiltFile(f"rekap-{stem}.xlsx", XLSX_TYPE, build_xlsx(r, meta)),
             BuiltFile(f"bahan-pleno-{stem}.pdf", PDF_TYPE, build_pdf(r, meta))]
    csv_bytes, zip_bytes, info = build_evidence(r.period, meta, r.evidence_items(), open_blob)
    files.append(BuiltFile(f"indeks-bukti-{stem}.csv", CSV_TYPE, csv_bytes))
    if zip_bytes is not None:
        files.append(BuiltFile(f"bukti-{stem}.zip", ZIP_TYPE, zip_bytes))
    files += extra or []
    files.append(BuiltFile(f"manifest-{stem}.json", JSON_TYPE, build_manifest(meta, files, r.summary(), info)))
    return files, info


