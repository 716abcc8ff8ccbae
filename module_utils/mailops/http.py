"""One HTTP helper for every JSON/form API the project calls (SendCloud, the platform).

It owns timeouts, retries and backoff: transient failures (connection errors, timeouts,
5xx, 429) are retried with capped exponential backoff and full jitter, honouring
``Retry-After`` within bounds. Writes are *not* retried blindly: a caller passes
``idempotent=False`` and gets ``AmbiguousWriteError`` when the connection broke after the
request may have reached the server, so it can re-read before trying again.

Enterprise networks reach SaaS APIs through a proxy: ``HTTPS_PROXY``/``HTTP_PROXY``/
``ALL_PROXY`` and ``NO_PROXY``, and ``REQUESTS_CA_BUNDLE`` (or ``CURL_CA_BUNDLE``) for a
TLS-inspecting proxy's CA, are honoured as requests reads them, as the Tencent Cloud SDK does
for DNSPod; ``~/.netrc``, which requests would also read, is not (it could add credentials).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from ansible.module_utils.mailops.errors import (
    MailopsError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from ansible.module_utils.mailops.retries import backoff_delay, call_with_retries


class AmbiguousWriteError(TransientError):
    """The connection failed after a write was sent: it may or may not have committed."""


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random delay up to the capped exponential bound."""
        return backoff_delay(attempt, self.base_delay, self.max_delay, rng=self.rng)


RETRYABLE_STATUS = {429, 500, 502, 503, 504}


@dataclass
class HttpResult:
    status: int
    body: Any
    headers: dict[str, str]


class HttpClient:
    def __init__(
        self,
        service: str,
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        plain_text_errors: bool = False,
    ) -> None:
        """``plain_text_errors``: the service answers some errors in plain text (PowerDNS's
        401 ``Unauthorized``, 404 ``Not Found``), given as the result's body instead of refused."""
        self.service = service
        self.plain_text_errors = plain_text_errors
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self.session.trust_env = False  # no ~/.netrc: the environment's proxy and CA, below
        self.calls = 0

    def request(
        self,
        method: str,
        url: str,
        *,
        action: str,
        idempotent: bool,
        params: dict | None = None,
        data: dict | None = None,
        json_body: Any = None,
        headers: dict | None = None,
    ) -> HttpResult:
        if not url.startswith(("http://", "https://")):
            raise ValidationError(f"{self.service} {action}: {url.split('?')[0]!r} is not an "
                                  "http:// or https:// URL", hint="write the whole URL with its scheme")
        last_error = ""
        for attempt in range(self.retry.attempts):
            try:
                self.calls += 1
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    json=json_body,
                    headers=headers,
                    timeout=self.timeout,
                    **environment_settings(url),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = _describe(exc)
                if not idempotent and _may_have_reached_server(exc):
                    raise AmbiguousWriteError(
                        f"{self.service} {action}: the connection failed after the request was sent "
                        f"({last_error}); it may have been applied",
                        hint="run again: the next run reads what is there and goes on from it",
                    ) from None
                self._pause(attempt, None)
                continue
            if response.status_code in RETRYABLE_STATUS:
                last_error = f"HTTP {response.status_code}"
                if not idempotent and response.status_code != 429:
                    # a 5xx on a write: the server may have committed part of it
                    raise AmbiguousWriteError(
                        f"{self.service} {action}: HTTP {response.status_code} on a write",
                        hint="run again: the next run reads what is there and goes on from it",
                    )
                self._pause(attempt, response.headers.get("Retry-After"))
                continue
            if self.plain_text_errors and response.status_code >= 400 and not _is_json(response):
                return HttpResult(response.status_code, response.text.strip(), dict(response.headers))
            return HttpResult(response.status_code, _parse_body(response), dict(response.headers))
        error_type = RateLimitedError if last_error == "HTTP 429" else TransientError
        raise error_type(
            f"{self.service} {action}: gave up after {self.retry.attempts} attempts; "
            f"last error: {last_error}",
            hint=f"check that {self.service} is reachable at {url.split('?')[0]} and retry the run",
        )

    def _pause(self, attempt: int, retry_after: str | None) -> None:
        if attempt == self.retry.attempts - 1:
            return
        delay = self.retry.backoff(attempt)
        if retry_after:
            try:
                delay = min(max(float(retry_after), delay), self.retry.max_retry_after)
            except ValueError:
                pass
        self.retry.sleep(delay)


def environment_settings(url: str) -> dict[str, Any]:
    """The proxy for ``url`` (none when ``NO_PROXY`` names its host) and the CA bundle, from
    the environment, read at each request as requests does with ``trust_env``."""
    settings: dict[str, Any] = {"proxies": requests.utils.get_environ_proxies(url)}
    variable = next((name for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE") if os.environ.get(name)), None)
    if variable:
        bundle = os.environ[variable]
        if not os.path.exists(bundle):
            raise ValidationError(f"{variable} names {bundle}, which does not exist",
                                  hint=f"point {variable} at the PEM file of the CA to trust, or unset it")
        settings["verify"] = bundle
    return settings


def _may_have_reached_server(exc: Exception) -> bool:
    """A connect timeout or refused connection never reached the server; anything else might."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    text = str(exc)
    return not (
        "Connection refused" in text
        or "NewConnectionError" in text
        or "Name or service not known" in text
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    text = str(exc)
    if "reset" in text.lower() or "aborted" in text.lower():
        return "connection reset"
    if "refused" in text.lower():
        return "connection refused"
    return exc.__class__.__name__


def _is_json(response: requests.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "")


def _parse_body(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise MailopsError(
            f"unexpected non-JSON response (HTTP {response.status_code}) from {response.url.split('?')[0]}",
            hint="check the API base URL in the inventory",
        ) from None


def write_then_reread(write: Callable[[], Any], landed: Callable[[], bool],
                      retry: RetryPolicy) -> Any:
    """Send a write; when its outcome is unknown (the connection broke, or a 5xx), ask
    ``landed()`` — a read — before sending it again, up to ``retry.attempts`` times with capped,
    jittered backoff. Returns the write's result, or None when a re-read found it had landed."""
    return call_with_retries(
        write, attempts=retry.attempts,
        retryable=lambda error: isinstance(error, AmbiguousWriteError),
        unsure=lambda _error: True, landed=landed, landed_result=None,
        pause=lambda attempt: retry.sleep(retry.backoff(attempt)))
