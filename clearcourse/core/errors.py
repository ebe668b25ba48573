"""One domain error type, mapped to HTTP in one place (pages: form errors; API: 4xx JSON).

Messages are constants so tests can assert them exactly.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused action: ``code`` is stable, ``message`` is for people, ``field`` names the input at fault."""

    status = 400

    def __init__(self, message: str, *, code: str = "invalid", field: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.field = field
        self.extra = extra or {}

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.extra:
            body.update(self.extra)
        return {"error": body}


class NotFoundError(DomainError):
    """Outside the user's scope or absent: the two are indistinguishable on purpose."""

    status = 404

    def __init__(self, message: str = "Not found.", **kwargs: Any) -> None:
        super().__init__(message, code=kwargs.pop("code", "not_found"), **kwargs)


class ConflictError(DomainError):
    status = 409


class PermissionDeniedError(DomainError):
    status = 403
