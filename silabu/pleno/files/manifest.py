"""manifest.json: every other file of the packet with its size and sha256."""
from __future__ import annotations

import json

from silabu.pleno.files.meta import BuiltFile, PacketMeta


def build_manifest(meta: PacketMeta, files: list[BuiltFile], summary: dict, evidence_info: dict) -> bytes:
    """manifest.json: every other file of the packet with its size and sha256."""
    doc = {
        "satker": {"code": meta.satker_code, "name": meta.satker_name},
        "month": meta.period,
        "version": meta.version,
        "built_at": meta.built_at.isoformat(),
        "data_sha256": meta.data_sha256,
        "files": [{"name": f.name, "content_type": f.content_type, "size": f.size, "sha256": f.sha256}
                  for f in files],
        "evidence": evidence_info,
        "summary": {k: summary[k] for k in ("activities", "asn_count", "units_closed", "units_total",
                                            "missing_entries", "is_empty") if k in summary},
    }
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


