"""What every request may carry, checked once for every page and API call: no NUL byte or lone surrogate in a
query, form field or JSON string (the databases refuse them mid-transaction), no JSON nested past what a person
sends, no number in a URL beyond the databases' integers. Each refusal is a clear 422 or 404, never a 500."""
from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any

from flask import Request
from werkzeug.routing import IntegerConverter

from silabu.core.errors import ValidationFailed
from silabu.core.parsing import INT_MAX

JSON_MAX_DEPTH = 32
BAD_TEXT = "Isian berisi karakter yang tidak sah (NUL atau karakter rusak). Ketik ulang isian tersebut."


def bad_text(value: str) -> bool:
    """A NUL byte or a lone surrogate (half of an emoji, a broken encoding)."""
    return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)


def _check_pairs(pairs: Iterable[tuple[str, str]]) -> None:
    for key, value in pairs:
        if bad_text(key) or bad_text(value):
            raise ValidationFailed({key if not bad_text(key) else "input": BAD_TEXT})


def _check_json(value: Any, depth: int = 0, field: str = "body") -> None:
    if depth > JSON_MAX_DEPTH:
        raise ValidationFailed({"body": "Badan permintaan bersarang terlalu dalam."})
    if isinstance(value, str):
        if bad_text(value):
            raise ValidationFailed({field: BAD_TEXT})
    elif isinstance(value, dict):
        for key, item in value.items():
            if bad_text(str(key)):
                raise ValidationFailed({"body": BAD_TEXT})
            _check_json(item, depth + 1, str(key) if depth == 0 else field)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1, field)


class SilabuRequest(Request):
    """Flask's request, refusing what no form sends when a view reads it (after the view's own access checks)."""

    @cached_property
    def args(self):
        values = super().args
        _check_pairs(values.items(multi=True))
        return values

    def _load_form_data(self) -> None:
        super()._load_form_data()
        _check_pairs(self.form.items(multi=True))

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        try:
            data = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise ValidationFailed({"body": "Badan permintaan bersarang terlalu dalam."}) from None
        if data is not None:
            _check_json(data)
        return data

    @property
    def body_unread(self) -> bool:
        """A body was sent and nothing read it (a refusal answered before looking at the upload)."""
        if not self.content_length:
            return False
        if "form" in self.__dict__ or getattr(self, "_cached_data", None) is not None:
            return False
        stream = self.__dict__.get("stream")
        return stream is None or not getattr(stream, "is_exhausted", False)


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` within the databases' 64-bit integers: a larger number names no row (0), so the view answers
    its own 404. (Refusing it in the converter would make Werkzeug answer 405 when the path has rules for other
    methods.)"""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= INT_MAX else 0
