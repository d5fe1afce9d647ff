"""Reading the pleno pages' forms."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OUTCOME_FIELDS = ("berita_acara_number", "pleno_date", "notes", "reason")


def pleno_outcome(form: Mapping[str, Any]) -> dict[str, str]:
    """The pleno's outcome as typed: Berita Acara number, pleno date, notes (kept to show again with errors)."""
    data = {k: str(form.get(k, "") or "") for k in OUTCOME_FIELDS}
    data["acknowledge_incomplete"] = "1" if form.get("acknowledge_incomplete") in ("1", "on", "true") else ""
    return data
