"""What every mailops module shares: the SendCloud connection options and the one place
where an expected failure (a ``MailopsError``) becomes ``fail_json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.module_utils.mailops.errors import MailopsError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.sendcloud.client import Account, SendCloudClient

SENDCLOUD_ARGS: dict[str, dict[str, Any]] = {
    "edition": {"type": "str", "default": "domestic", "choices": ["domestic", "overseas"]},
    "api_base": {"type": "str"},
    "api_user": {"type": "str", "required": True},
    "api_key": {"type": "str", "required": True, "no_log": True},
    "timeout": {"type": "float", "default": 15.0},
}


def sendcloud_client(params: dict[str, Any], http: HttpClient | None = None) -> SendCloudClient:
    """``http``: a connection to share with other clients of the same run (one TCP/TLS
    connection for all of a tenant's SendCloud calls); a new one by default."""
    account = Account.build(
        params["edition"], params["api_user"], params["api_key"], params.get("api_base")
    )
    return SendCloudClient(account, http or HttpClient("SendCloud", timeout=params["timeout"]))


def invocation_without(params: dict[str, Any], *bulk: str) -> dict[str, Any]:
    """The ``invocation`` to return instead of every argument: without the ``bulk`` ones (every
    tenant's results), which would otherwise travel back to the controller and into the
    registered result a second time."""
    return {"module_args": {name: value for name, value in params.items() if name not in bulk}}


def run(module: Any, work: Callable[[], dict[str, Any]]) -> None:
    try:
        result = work()
    except MailopsError as error:
        module.fail_json(msg=str(error), error=error.to_dict())
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.get("failed"):  # a refusal that still reports what it found (mailops_plan)
        result.pop("failed")
        module.fail_json(**result)
    module.exit_json(**result)
