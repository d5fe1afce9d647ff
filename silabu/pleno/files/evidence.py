"""The evidence index of a packet (CSV) and, within the size limit, a ZIP of the files."""
from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable

from silabu.core.formatting import angka
from silabu.core.sheets import csv_row
from silabu.pleno.files.meta import PacketMeta
from silabu.pleno.rollup import EvidenceItem


def build_evidence(period: str, meta: PacketMeta, items: list[EvidenceItem],
                   open_blob: Callable[[str], bytes | None]) -> tuple[bytes, bytes | None, dict]:
    """The evidence index CSV and, within the size limit, a ZIP of the files named date_ASN_entry_n.ext."""
    total = sum(i.size for i in items)
    with_zip = bool(items) and total <= meta.zip_max_bytes
    problems: dict[int, str] = {}
    zip_bytes = None
    if with_zip:
        year, month = (int(x) for x in period.split("-"))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for item in items:
                data = open_blob(item.storage_key)
                if data is None:
                    problems[item.evidence_id] = "Berkas tidak ditemukan di penyimpanan"
                    continue
                # Fixed timestamps and modes: the same evidence gives the same ZIP.
                info = zipfile.ZipInfo(item.zip_name, date_time=(year, month, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = (zipfile.ZIP_STORED if item.content_type.startswith("image/")
                                      else zipfile.ZIP_DEFLATED)
                zf.writestr(info, data)
        zip_bytes = buf.getvalue()

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["No", "Tanggal", "Unit", "NIP", "Nama", "ID Entri", "Kode Output", "Kegiatan", "Bukti ke",
                "Nama Berkas dalam ZIP", "Nama Asli", "Jenis", "Ukuran (bita)", "SHA-256", "Tautan", "Keterangan"])
    base = meta.base_url.rstrip("/")
    for i, item in enumerate(items, start=1):
        note = problems.get(item.evidence_id, "" if with_zip else "Hanya tautan: ukuran ZIP melebihi batas")
        w.writerow(csv_row([i, item.entry_date.isoformat(), item.unit_code, item.nip, item.name, item.entry_id,
                    item.output_code, item.activity, item.n, item.zip_name if with_zip and not
                    problems.get(item.evidence_id) else "", item.original_name, item.content_type, item.size,
                    item.sha256, f"{base}/api/v1/evidence/{item.evidence_id}/file", note]))
    info = {"count": len(items), "total_bytes": total, "zip": with_zip, "zip_max_bytes": meta.zip_max_bytes,
            "missing_blobs": len(problems)}
    if not items:
        info["message"] = "Tidak ada bukti dukung pada entri terverifikasi bulan ini."
    elif not with_zip:
        info["message"] = (f"Total bukti {angka(total / 1024 / 1024, 1)} MB melebihi batas ZIP "
                           f"{angka(meta.zip_max_bytes / 1024 / 1024, 0)} MB; indeks memuat tautan saja.")
    return ("\ufeff" + out.getvalue()).encode("utf-8"), zip_bytes, info


