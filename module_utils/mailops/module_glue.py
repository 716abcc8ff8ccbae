"""What every mailops module shares: the SendCloud connection options and the one place
where an expected failure (a ``MailopsError``) becomes ``fail_json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.module_utils.mailops.errors import MailopsError, ValidationError
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


# The option with which a run-once task names the hosts whose registered results it reads, in
# place of a template that extracts them from hostvars (the action plugin reads them:
# module_utils/mailops/local_action.py, registered_values).
REGISTERED_ARG: dict[str, Any] = {
    "type": "dict",
    "options": {
        "hosts": {"type": "list", "elements": "str", "required": True},
        "var": {"type": "str", "required": True},
        "key": {"type": "str", "no_log": False},   # a key of the result, not a secret
        "missing": {"type": "str", "choices": ["fail", "skip"], "default": "fail"},
    },
}


def given_or_registered(params: dict[str, Any], option: str) -> dict[str, Any]:
    """The per-host option ``option``; the action plugin has filled it from ``registered``."""
    if params.get("registered") is not None:
        raise ValidationError(
            "registered is read by the action plugin of this module, which did not run",
            hint="keep the project's action_plugins/ in the action plugin path (ansible.cfg)")
    if params.get(option) is None:
        raise ValidationError(f"one of {option} or registered is required")
    return params[option]


def invocation_without(params: dict[str, Any], *bulk: str) -> dict[str, Any]:
    """The ``invocation`` to return instead of every argument: without the ``bulk`` ones (every
    tenant's results), which would otherwise travel back to the controller and into the
    registered result a second time."""
    return {"module_args": {name: value for name, value in params.items() if name not in bulk}}


def run(module: Any, work: Callable[[], dict[str, Any]]) -> None:
    try:
        result = work()
    except MailopsError as error:
        module.fail_json(msg=str(error), error=error.to_dict(), **error.partial)
    for warning in result.pop("warnings", []):
        module.warn(warning)
    if result.get("failed"):  # a refusal that still reports what it found (mailops_plan)
        result.pop("failed")
        module.fail_json(**result)
    module.exit_json(**result)
