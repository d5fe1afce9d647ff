"""Reading the entry pages' forms: raw strings in, raw strings out; the rules stay in ``services``."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from silabu.core.clock import parse_period
from silabu.entries.models import EntryStatus

ENTRY_FIELDS = ("entry_date", "output_code", "activity", "output", "quantity", "unit", "start_time", "end_time")
FILE_FIELDS = ("files", "camera")  # the picker (photos, documents) and the camera button
ACTIONS = ("draft", "submit")


def entry_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The typed values, exactly as sent, so a refused form comes back as the user left it."""
    return {name: str(form.get(name, "") or "") for name in ENTRY_FIELDS}


def submitted_action(form: Mapping[str, Any]) -> str:
    action = form.get("action", "draft")
    return action if action in ACTIONS else "draft"


def uploaded_files(files: MultiDict) -> list[FileStorage]:
    """Files actually chosen: an untouched file input still sends an empty part without a name."""
    return [f for name in FILE_FIELDS for f in files.getlist(name) if f is not None and f.filename]


def evidence_to_remove(form: MultiDict) -> list[int]:
    """Saved evidence the owner marked "Hapus" on the edit form; anything but a positive number is ignored."""
    return [int(v) for v in form.getlist("remove_evidence") if str(v).isdigit() and int(v) > 0]


def form_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Service values (dates, times, Decimals) as the strings the form's inputs take."""
    out = {}
    for name in ENTRY_FIELDS:
        value = data.get(name)
        if value is None:
            out[name] = ""
        elif isinstance(value, date):
            out[name] = value.isoformat()
        elif isinstance(value, time):
            out[name] = value.strftime("%H:%M")
        elif isinstance(value, Decimal):
            out[name] = quantity_text(value)
        else:
            out[name] = str(value)
    return out


def quantity_text(value: Decimal) -> str:
    """1.50 -> '1,5', 3.00 -> '3': the decimal comma the ASN types, without thousands dots the parser would misread."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",")


def values_from_entry(entry: Any) -> dict[str, str]:
    return form_values({"entry_date": entry.entry_date, "output_code": entry.output_code.code,
                        "activity": entry.activity, "output": entry.output, "quantity": entry.quantity,
                        "unit": entry.unit_of_measure, "start_time": entry.start_time, "end_time": entry.end_time})


def blank_values(today: date, args: Mapping[str, Any]) -> dict[str, str]:
    """A new form: dated today, or the day asked for (a link from an empty day), with an optional code."""
    day = parse_day(args.get("tanggal")) or today
    return form_values({"entry_date": day, "output_code": (args.get("kode") or "").strip()[:60]})


def parse_day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def parse_month(value: Any) -> str | None:
    try:
        parse_period(str(value or ""))
    except ValueError:
        return None
    return str(value)


def list_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    """Filters of the entry lists: status, output code (id) and a text search; unknown values are ignored."""
    try:
        status = EntryStatus(args.get("status") or "")
    except ValueError:
        status = None
    try:
        output_code_id = int(args.get("kode") or 0) or None
    except ValueError:
        output_code_id = None
    q = (args.get("q") or "").strip()[:100] or None
    return {"status": status, "output_code_id": output_code_id, "q": q}
