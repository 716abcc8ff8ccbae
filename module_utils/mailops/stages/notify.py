"""The body of the ``mailops_notify`` module: compose the event's message and send it to every
target; nothing here fails the run (a message that cannot be built or delivered is a warning)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.module_utils.mailops import notify
from ansible.module_utils.mailops.errors import ValidationError

NOTIFY_ARGS: dict[str, dict[str, Any]] = {
    "targets": {"type": "list", "elements": "str", "default": [], "no_log": True},
    "event": {"type": "str", "required": True, "choices": list(notify.EVENTS)},
    "record_file": {"type": "path"},
    "rebind": {"type": "dict"},
    "report": {"type": "str", "required": True},
}


def event_record(params: dict[str, Any]) -> dict[str, Any]:
    if params["event"] in ("apply", "audit"):
        if not params["record_file"]:
            raise ValidationError(f"event {params['event']} needs record_file (its applied.json or audit.json)")
        return json.loads(Path(params["record_file"]).read_text())
    if not params["rebind"]:
        raise ValidationError(f"event {params['event']} needs rebind (tenant, ticket, old_domain, new_domain)")
    return params["rebind"]


def run_notify(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    try:
        title, body = notify.message(params["event"], event_record(params), params["report"])
    except (OSError, ValueError, ValidationError) as error:
        return {"changed": False, "sent": 0, "title": "", "body": "",
                "warnings": [f"no notification sent: {error}"]}
    targets = params["targets"] or []
    if check_mode or not targets:
        return {"changed": False, "sent": 0, "title": title, "body": body}
    sent, warnings = notify.send(targets, title, body)
    return {"changed": False, "sent": sent, "title": title, "body": body, "warnings": warnings}
