"""Small pieces the admin pages share: paging and the uploaded file."""
from __future__ import annotations

from flask import request

from silabu.core.parsing import int_or_none

PER_PAGE = 50


def page_number() -> int:
    return int_or_none(request.args.get("page"), minimum=1, maximum=100_000) or 1


def uploaded_file() -> tuple[str, bytes]:
    f = request.files.get("file")
    if f is None or not f.filename:
        return "", b""
    return f.filename, f.read()
