"""The soft-copy archive that *Arsipkan* builds: one ZIP with the signed LKj (PDF, DOCX), the copy signed outside
SILABU when one was uploaded, the cover letter, the supporting evidence of manual realisasi, and a manifest with
the sha256 of every file. The same files give the same ZIP byte for byte: names sorted, fixed timestamps and
permissions, so its own sha256 can be recorded and checked later.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"


@dataclass(frozen=True)
class ArchiveFile:
    name: str  # path inside the ZIP
    data: bytes
    description: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def manifest_of(files: Sequence[ArchiveFile], about: Mapping[str, Any]) -> dict[str, Any]:
    """What the archive holds: the report's particulars and, per file, its name, size and sha256."""
    return {**about, "files": [{"name": f.name, "description": f.description, "size": len(f.data),
                                "sha256": f.sha256} for f in sorted(files, key=lambda f: f.name)]}


def build_zip(files: Sequence[ArchiveFile], about: Mapping[str, Any], stamp: date) -> bytes:
    """The ZIP: the files, ``manifest.json`` and a ``SHA256SUMS`` that ``sha256sum -c`` reads; every entry dated
    ``stamp`` at midnight, so building it again from the same files gives the same bytes."""
    names = [f.name for f in files]
    if len(set(names)) != len(names) or {MANIFEST, CHECKSUMS} & set(names):
        raise ValueError("archive file names must be unique and not reserved")
    manifest = manifest_of(files, about)
    ordered = sorted(files, key=lambda f: f.name)
    sums = "".join(f"{f.sha256}  {f.name}\n" for f in ordered).encode()
    entries = [(f.name, f.data) for f in ordered]
    entries += [(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"),
                (CHECKSUMS, sums)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(max(stamp.year, 1980), stamp.month, stamp.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, whatever system builds it
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return out.getvalue()
