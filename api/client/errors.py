"""The client's errors: the API's refusals, and documents refused before they are signed.

Tree::

    SandanApiError          the service answered an error (or never answered: status 0)
    DocumentProblems        a document fails the CEB schema locally; nothing was signed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["DocumentProblem", "DocumentProblems", "SandanApiError"]


class SandanApiError(Exception):
    """Raised when the service refuses a request, or cannot be reached (``status`` 0)."""

    def __init__(self, status: int, error: str, field: str | None, message: str) -> None:
        super().__init__(f"{status} {error}" + (f" ({field})" if field else "") + f": {message}")
        self.status = status
        self.error = error
        self.field = field
        self.message = message

    @classmethod
    def from_response(cls, response: httpx.Response) -> SandanApiError:
        """The error of an answer with the API's ``{"error", "message", "field"}`` body."""
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("error"), str):
            text = response.text.strip()[:200] or response.reason_phrase
            return cls(response.status_code, f"http_{response.status_code}", None, text)
        field = body.get("field")
        return cls(
            response.status_code,
            body["error"],
            field if isinstance(field, str) else None,
            str(body.get("message", "")),
        )

    def as_dict(self) -> dict[str, Any]:
        """``{"status", "error", "field", "message"}``, for JSON output."""
        return {
            "status": self.status,
            "error": self.error,
            "field": self.field,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class DocumentProblem:
    """One reason a document fails the CEB schema: the field's dotted path and why."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class DocumentProblems(ValueError):
    """Raised instead of signing a document that fails the schema; lists every problem."""

    def __init__(self, problems: list[DocumentProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems
