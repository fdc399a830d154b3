"""The API's errors: one exception carrying the HTTP status, the error code and the message, and
the JSON every error answers with (docs/http-api.md, "Errors")."""

from __future__ import annotations

from typing import Any

CODES = {400: "bad_json", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
         413: "too_large", 415: "unsupported_media_type", 421: "misdirected", 422: "invalid", 429: "rate_limited",
         500: "internal", 503: "unavailable"}


class ApiError(Exception):
    """A refused call: ``status`` with ``{"error": {"code", "message", "details"}}``."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None, recorded: bool = False):
        super().__init__(message)
        self.recorded = recorded  # the refusal is on record in the workspace: a replay answers it again
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": CODES.get(self.status, "error"), "message": self.message, "details": self.details}}


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, headers={"WWW-Authenticate": "Bearer"})


def invalid(path: str, message: str) -> ApiError:
    return ApiError(422, f"{path}: {message}", [{"path": path, "message": message}])
