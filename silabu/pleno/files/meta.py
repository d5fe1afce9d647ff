"""Facts about a packet build that are not data (who, when, which version, the letterhead), and a built file."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from silabu.core.pdf import Letterhead

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
CSV_TYPE = "text/csv"
ZIP_TYPE = "application/zip"
JSON_TYPE = "application/json"

# Stored as the file format wants them (',' thousands, '.' decimals); Excel and LibreOffice show them with the
# reader's locale, so an Indonesian installation shows 1.234 and 1.234,50.
FMT_INT = "#,##0"
FMT_DEC = "#,##0.00"


@dataclass
class Signatory:
    title: str
    name: str
    nip: str


@dataclass
class PacketMeta:
    """Facts about the build that are not data: who, when, which version, the letterhead."""

    period: str
    version: int
    built_at: datetime
    timezone: str
    satker_name: str
    satker_code: str
    satker_address: str
    satker_city: str
    data_sha256: str
    signatories: list[Signatory] = field(default_factory=list)
    base_url: str = ""
    zip_max_bytes: int = 200 * 1024 * 1024
    kop: Letterhead | None = None  # the satker's full kop surat (contact lines, logo)

    @property
    def letterhead(self) -> Letterhead:
        return self.kop or Letterhead(self.satker_name, self.satker_address, self.satker_city)

    @property
    def stem(self) -> str:
        return f"{self.period}-v{self.version}"


@dataclass
class BuiltFile:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)
