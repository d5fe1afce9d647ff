"""Reading the LKj pages' forms: raw fields in, the services' arguments out; the rules stay in the services."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from silabu.catalog.models import Indicator
from silabu.core.formatting import plain_number

TARGET_COUNTS = {"month": 12, "quarter": 4}


def indicator_values(indicator: Indicator | None = None) -> dict:
    """An indicator as its form shows it (a new one: higher is better, summed)."""
    from silabu.lkj.services import output_codes_of

    if indicator is None:
        return {"polarity": "+", "consolidation": "sum", "measure": "sum_quantity"}
    return {"code": indicator.code, "name": indicator.name, "unit": indicator.unit,
            "sasaran_code": indicator.sasaran_code, "sasaran": indicator.sasaran,
            "target_year": plain_number(indicator.target_year), "polarity": indicator.polarity.value,
            "consolidation": indicator.consolidation.value, "position": indicator.position,
            "output_codes": "\n".join(c.code for c in output_codes_of(indicator)),
            "measure": indicator.measure.value if indicator.measure else "sum_quantity",
            "target_renstra": plain_number(indicator.target_renstra) if indicator.target_renstra is not None else ""}


def target_values(form: Mapping[str, Any], kind: str) -> dict[int, str]:
    """The Rencana Aksi targets of one kind as typed (month 1-12, quarter 1-4)."""
    return {i: str(form.get(f"{kind}_{i}", "") or "") for i in range(1, TARGET_COUNTS.get(kind, 4) + 1)}


def uploaded(files: Any, field: str, fallback_name: str) -> tuple[str, bytes] | None:
    """(name, bytes) of a chosen file, or None when the field was left empty."""
    upload = files.get(field)
    if upload is None or not upload.filename:
        return None
    return upload.filename or fallback_name, upload.read()
