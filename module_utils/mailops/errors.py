"""Error types shared by every mailops module.

One type per failure class. Each error formats a message that names *what* failed, the *cause*
and the *fix*, and carries the provider's own code and message when there is one. Modules turn
any ``MailopsError`` into ``fail_json(msg=str(error))`` at one place, so no traceback reaches the
user for an expected failure.
"""

from __future__ import annotations


class MailopsError(Exception):
    """Base class: an expected failure with a readable message."""

    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        provider_message: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.provider_message = provider_message
        self.hint = hint if hint is not None else self.default_hint
        # what the module had done before it failed (mailops_tenant: the stages it completed),
        # returned beside the error so the report and the applied record can say so
        self.partial: dict[str, object] = {}
        super().__init__(self.format())

    def format(self) -> str:
        parts = [self.message.rstrip(".") + "."]
        if self.code or self.provider_message:
            provider_said = " ".join(p for p in (self.code, self.provider_message) if p)
            parts.append(f"Provider said: {provider_said}.")
        if self.hint:
            parts.append(f"Fix: {self.hint.rstrip('.')}.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "error": type(self).__name__,
            "message": str(self),
            "code": self.code,
            "provider_message": self.provider_message,
        }


class AuthError(MailopsError):
    default_hint = "check the credentials (and their permissions) in the inventory or vault"


class NotFoundError(MailopsError):
    default_hint = "check the name in the inventory and that it exists in this account"


class ConflictError(MailopsError):
    default_hint = ""


class RateLimitedError(MailopsError):
    default_hint = "wait and run again, or run fewer tenants at once (--forks)"


class TransientError(MailopsError):
    default_hint = "the service or network failed temporarily; run again (the run is resumable)"


class ValidationError(MailopsError):
    default_hint = ""


class WaitTimeoutError(MailopsError):
    default_hint = "wait longer (raise the timeout) or fix the records named above"
