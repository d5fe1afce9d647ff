"""Service-level errors. Services raise them; pages flash them, the API turns them into its error body."""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, code: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        self.details = details or {}


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_error"

    def __init__(self, fields: dict[str, str], message: str | None = None, **kw: Any) -> None:
        super().__init__(message or "Data tidak valid: " + "; ".join(fields.values()), fields=fields, **kw)


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "Data tidak ditemukan.", **kw: Any) -> None:
        super().__init__(message, **kw)


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "Anda tidak berwenang melakukan tindakan ini.", **kw: Any) -> None:
        super().__init__(message, **kw)


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class FileRejected(ServiceError):
    status = 422
    code = "file_rejected"


class UnsupportedFile(FileRejected):
    status = 415
    code = "unsupported_file_type"


class FileTooLarge(FileRejected):
    status = 413
    code = "file_too_large"


class StorageFull(ServiceError):
    status = 507
    code = "storage_full"
