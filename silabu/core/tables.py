"""Reading an uploaded table (CSV or the first sheet of an XLSX): the admin pages, the LKj import, the command
line and the demo loader all read their files here, so each refuses the same damaged files with the same words.

- CSV: UTF-8 with or without BOM (else Latin-1), comma or semicolon, whichever the first lines use more.
- XLSX: the first sheet, its first row the column names.
- A record wider than its header is refused (a separator inside an unquoted value shifts every column after it).
- A NIP column holding numbers is refused: a spreadsheet keeps about 15 digits of a number, so an 18-digit NIP
  typed as a number has become another NIP, possibly a valid one of someone else.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from silabu.core.errors import ValidationFailed

EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm")
SHOWN_LINES = 10


@dataclass
class Table:
    """The data rows of a table (column names lower-cased) and, for each, its line (CSV) or row (XLSX) in the file."""

    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def line_of(self, index: int) -> int:
        return self.lines[index] if 0 <= index < len(self.lines) else index + 2

    def relabel(self, errors: list[tuple[int, str]]) -> list[tuple[int, str]]:
        """Importers number rows as if no blank line existed (first data row = 2); give the file's own numbers."""
        return [(self.line_of(n - 2), message) for n, message in errors]


def read_table(filename: str, content: bytes, field_name: str = "file") -> Table:
    """The rows of an uploaded CSV/XLSX; refuses other kinds and unreadable files with a message for the field."""
    name = (filename or "").strip().lower()
    if not name:
        raise ValidationFailed({field_name: "Pilih berkas CSV atau XLSX untuk diunggah."})
    if not name.endswith(EXTENSIONS):
        raise ValidationFailed({field_name: "Unggah berkas CSV atau XLSX."})
    if not content:
        raise ValidationFailed({field_name: "Berkas kosong."})
    is_zip = content[:2] == b"PK"
    if name.endswith((".csv", ".txt")) and is_zip:
        raise ValidationFailed({field_name: "Berkas ini bukan CSV. Simpan sebagai CSV atau unggah sebagai XLSX."})
    try:
        return _xlsx(content, field_name) if is_zip or name.endswith((".xlsx", ".xlsm")) else _csv(content, field_name)
    except ValidationFailed:
        raise
    except Exception as exc:
        raise ValidationFailed({field_name: "Berkas tidak dapat dibaca sebagai tabel CSV/XLSX."}) from exc


def require_columns(table: Table, required: list[tuple[str, ...]], field_name: str = "file") -> None:
    """Refuse a table without data rows or without a column (each tuple lists accepted names of one column)."""
    if not table.rows:
        raise ValidationFailed({field_name: "Berkas tidak berisi baris data (baris pertama harus judul kolom)."})
    present = set().union(*(r.keys() for r in table.rows))
    missing = [names[0] for names in required if not present & set(names)]
    if missing:
        raise ValidationFailed({field_name: "Kolom wajib tidak ditemukan: " + ", ".join(missing)
                                            + ". Periksa baris judul kolom."})


def _shown(lines: list[int]) -> str:
    return ", ".join(str(n) for n in lines[:SHOWN_LINES]) + (" …" if len(lines) > SHOWN_LINES else "")


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def _csv(content: bytes, field_name: str) -> Table:
    text = _decode(content)
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    table, too_wide = Table(), []
    previous = reader.line_num
    for record in reader:
        start, previous = previous + 1, reader.line_num
        if len(record) > len(header) and any(v.strip() for v in record[len(header):]):
            too_wide.append(start)
        if any(v.strip() for v in record):
            table.rows.append({h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header) if h})
            table.lines.append(start)
    if too_wide:
        raise ValidationFailed({field_name: f"Baris {_shown(too_wide)} berisi lebih banyak kolom daripada baris judul. "
                                            "Periksa pemisah (koma/titik koma) dan beri tanda kutip pada isian yang "
                                            "mengandung pemisah."})
    return table


def _xlsx(content: bytes, field_name: str) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise ValidationFailed({field_name: "Berkas XLSX tidak dapat dibaca."}) from None
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    if not rows:
        return Table()
    header = [str(h or "").strip().lower() for h in rows[0]]
    _refuse_numeric_nips(header, rows[1:], field_name)
    table = Table()
    for number, row in enumerate(rows[1:], start=2):
        if row is None or all(v in (None, "") for v in row):
            continue
        table.rows.append({header[i]: _cell(v) for i, v in enumerate(row) if i < len(header) and header[i]})
        table.lines.append(number)
    return table


def _refuse_numeric_nips(header: list[str], rows: list[tuple], field_name: str) -> None:
    if "nip" not in header:
        return
    col = header.index("nip")
    bad = [number for number, row in enumerate(rows, start=2)
           if row is not None and col < len(row) and isinstance(row[col], (int, float))
           and not isinstance(row[col], bool) and abs(row[col]) >= 10 ** 15]
    if bad:
        raise ValidationFailed({field_name: f"Kolom NIP berisi angka, bukan teks (baris {_shown(bad)}). Spreadsheet "
                                            "membulatkan angka 18 digit sehingga NIP berubah. Format kolom NIP "
                                            "sebagai Teks, ketik ulang NIP-nya, lalu unggah lagi."})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
