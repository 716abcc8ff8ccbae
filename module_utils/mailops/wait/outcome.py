"""A tenant's outcome of the shared wait, as ``mailops_wait`` returns it and the tenant's finish
pass reads it: what the wait found, or the error it failed with, kept as plain data so that the
error is raised again, with the same message, on the tenant's own host."""

from __future__ import annotations

from typing import Any, NoReturn

from ansible.module_utils.mailops import errors
from ansible.module_utils.mailops.errors import MailopsError


def error_data(error: MailopsError) -> dict[str, Any]:
    return {"type": type(error).__name__, "message": error.message, "hint": error.hint,
            "code": error.code, "provider_message": error.provider_message}


def raise_failure(data: dict[str, Any], partial: dict[str, Any]) -> NoReturn:
    """Raise the error ``data`` describes (its type, message and hint), with ``partial``: what
    the stage had done before it failed."""
    kind = getattr(errors, str(data.get("type")), None)
    if not (isinstance(kind, type) and issubclass(kind, MailopsError)):
        kind = MailopsError
    error = kind(str(data["message"]), code=data.get("code"),
                 provider_message=data.get("provider_message"), hint=data.get("hint"))
    error.partial = partial
    raise error
