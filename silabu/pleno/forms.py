"""Reading the pleno pages' forms."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OUTCOME_FIELDS = ("berita_acara_number", "pleno_date", "notes")


def pleno_outcome(form: Mapping[str, Any]) -> dict[str, str]:
    """The pleno's outcome as typed: Berita Acara number, pleno date, notes (kept to show again with errors)."""
    return {k: str(form.get(k, "") or "") for k in OUTCOME_FIELDS}
