"""The sending-domain stage: the domain at SendCloud, the records it asks for at the tenant's DNS
provider, the wait until every authoritative nameserver serves them, and SendCloud's verification.

Each part is also a module of its own (``sendcloud_domain``, ``dns_record_set``,
``dns_propagation``); ``run_sending_domain`` chains them so that a tenant costs one module run
for the whole stage: on Ansible, each module run costs more than the API calls it makes.

With ``defer_wait`` the stage looks once (one DNS round, and one SendCloud read once the records
are served) and, when that is not enough, returns the wait to do instead of doing it
(``wait``, module_utils/mailops/wait/spec.py): ``mailops_wait`` then waits for every tenant of
the run at once, so that a run of N tenants pays the services' delays once, not N / forks times.
"""

from __future__ import annotations

import time
from typing import Any

from ansible.module_utils.mailops.artifacts import KNOWN_AFTER_APPLY
from ansible.module_utils.mailops.dns.nameserver import DEFAULT_MAX_INTERVAL
from ansible.module_utils.mailops.dns.record_set import (
    RECORD_SET_ARGS,
    propagation_nameservers,
    records_to_await,
    run_propagation,
    run_record_set,
)
from ansible.module_utils.mailops.errors import MailopsError, WaitTimeoutError
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.module_glue import SENDCLOUD_ARGS, sendcloud_client
from ansible.module_utils.mailops.names import domain_key
from ansible.module_utils.mailops.sendcloud.domain import DomainService, DomainState

LAYOUTS = ["auto", "domestic_v1", "domestic", "overseas"]

DOMAIN_OPTIONS: dict[str, dict[str, Any]] = {
    "name": {"type": "str", "required": True},
    "click_tracking": {"type": "bool", "default": False},
    "verify_layout": {"type": "str", "default": "auto", "choices": LAYOUTS},
    "verify_timeout": {"type": "float", "default": 900},
    "verify_interval": {"type": "float", "default": 10},
}

DNS_OPTIONS: dict[str, dict[str, Any]] = {
    **{name: spec for name, spec in RECORD_SET_ARGS.items() if name not in ("records", "state")},
    "propagation_timeout": {"type": "float", "default": 600},
}

SENDING_DOMAIN_ARGS: dict[str, dict[str, Any]] = {
    "sendcloud": {"type": "dict", "required": True, "options": SENDCLOUD_ARGS},
    "domain": {"type": "dict", "required": True, "options": DOMAIN_OPTIONS},
    "dns": {"type": "dict", "required": True, "options": DNS_OPTIONS},
    "wait": {"type": "bool", "default": True},
    "defer_wait": {"type": "bool", "default": False},
    "resume": {"type": "dict"},
    "waited": {"type": "dict"},
}


def domain_diff(state: DomainState) -> dict[str, Any]:
    # a planned domain's generated names and values, as the zone's diff shows them
    records = [{k: KNOWN_AFTER_APPLY if v is None and k in ("name", "value") else v
                for k, v in record.items()} for record in state.records]
    after = {"domain": state.name, "records": records}
    return {"before": {} if state.created else after, "after": after,
            "before_header": f"SendCloud domain {state.name}",
            "after_header": f"SendCloud domain {state.name}"}


def wait_propagated(awaited: list[dict[str, Any]], records: dict[str, Any],
                    dns: dict[str, Any]) -> dict[str, Any]:
    """Wait until every nameserver serves the ``awaited`` records (the propagation result)."""
    try:
        return run_propagation(
            {"records": awaited, "zone": records["zone"],
             "nameservers": dns["nameservers"], "timeout": dns["propagation_timeout"],
             "interval": DEFAULT_MAX_INTERVAL}, False)
    except WaitTimeoutError as error:
        if records.get("change_file"):  # provider manual: a human has the change to make
            error.hint = (f"apply the change request {records['change_file']} at the "
                          "zone's DNS provider, then run again")
            error.args = (error.format(),)
        raise


def look_once(state: DomainState, records: dict[str, Any], awaited: list[dict[str, Any]],
              not_awaited: list[str], params: dict[str, Any],
              service: DomainService) -> dict[str, Any]:
    """One DNS round and, once every nameserver serves the ``awaited`` records, one SendCloud
    read: what the wait would find at its first try. Returns the results to keep
    (``propagation``, ``verification``, ``domain``), or ``wait``: what is left to wait for."""
    from ansible.module_utils.mailops.dns.propagation import wait_for_records
    from ansible.module_utils.mailops.dns.records import record_from_dict
    from ansible.module_utils.mailops.wait.spec import wait_spec
    dns = params["dns"]
    wanted = [record_from_dict(entry, records["zone"], 0) for entry in awaited]
    nameservers, warnings = propagation_nameservers(
        {"nameservers": dns["nameservers"], "zone": records["zone"]}, wanted)
    started = time.time()
    served = wait_for_records(wanted, nameservers, timeout=dns["propagation_timeout"],
                              max_rounds=1, raise_on_timeout=False)
    found: dict[str, Any] = {"warnings": warnings}
    if served.complete:
        found["propagation"] = {"changed": False, **served.to_dict()}
        if state.verified_except(not_awaited):
            return found
        polled = service.read(state.name)
        if polled is not None and polled.verified_except(not_awaited):
            return {**found, "verification": {"polls": 1}, "domain": polled}
    found["wait"] = wait_spec(state, records, awaited, not_awaited, params, nameservers,
                              started, propagated=served.complete)
    return found


def run_sending_domain(params: dict[str, Any], check_mode: bool,
                       sendcloud_http: HttpClient | None = None) -> dict[str, Any]:
    """Ensure the domain and its records; unless ``check_mode`` or ``wait`` is false, wait for
    propagation (when records changed or the domain is unverified) and for verification.
    Given ``resume`` (this stage's deferred result) and ``waited`` (its outcome of
    ``mailops_wait``), the stage as the wait left it, nothing asked again."""
    if params.get("resume") is not None:
        done = after_wait(params["resume"], params.get("waited") or {})
        return {**done, "changed": False, "diff": [], "warnings": []}
    domain, dns = params["domain"], params["dns"]
    name = domain_key(domain["name"])
    service = DomainService(sendcloud_client(params["sendcloud"], sendcloud_http),
                            domain["click_tracking"], domain["verify_layout"])
    state = service.ensure(name, check_mode)
    records = run_record_set(dict(dns, records=state.records, state="present"), check_mode)
    dns_diff = records.pop("diff")
    warnings = records.pop("warnings")
    # a record left unwritten (a foreign one kept in its place) is never waited for, neither
    # its propagation nor SendCloud's verification of its item: what SendCloud says of that
    # item is reported as it is
    awaited = records_to_await(state.records, records)
    not_awaited = sorted({r["purpose"] for r in state.records if r not in awaited})
    result: dict[str, Any] = {
        "changed": state.created or records["changed"], "domain_created": state.created,
        "domain": state.to_result(), "records": state.records, "dns": records,
        "records_to_await": awaited, "not_awaited": not_awaited,
        "propagation": None, "verification": None,
    }
    diffs = [domain_diff(state)] if state.created else []
    if records["changed"]:
        diffs.append(dns_diff)
    waits = params["wait"] and not check_mode
    verified = state.verified_except(not_awaited)
    if waits and params.get("defer_wait") and (records["changed"] or not verified):
        found = look_once(state, records, awaited, not_awaited, params, service)
        warnings += found.pop("warnings")
        if "domain" in found:
            state = found.pop("domain")
            result.update(domain=state.to_result(), records=state.records)
        result.update(found)
        waits = False
    try:
        if waits and (records["changed"] or not verified):
            propagation = wait_propagated(awaited, records, dns)
            warnings += propagation.pop("warnings")
            result["propagation"] = propagation
        if waits and not verified:
            from ansible.module_utils.mailops.sendcloud.diagnose import wait_verified_explained
            state, polls = wait_verified_explained(service, name, domain["verify_timeout"],
                                                   domain["verify_interval"], dns["nameservers"],
                                                   not_awaited)
            result.update(domain=state.to_result(), records=state.records,
                          verification={"polls": polls})
    except MailopsError as error:
        # the domain and the records are written: the applied record and the report say so
        error.partial = {"stage_result": dict(result)}
        raise
    result["diff"] = diffs
    result["warnings"] = warnings
    return result


def after_wait(result: dict[str, Any], waited: dict[str, Any]) -> dict[str, Any]:
    """The stage's result once ``mailops_wait`` has waited for it (``waited``: its outcome for
    the tenant); its error, if the wait failed, raised as the stage's own wait raises it."""
    from ansible.module_utils.mailops.wait.outcome import raise_failure
    done = {key: value for key, value in result.items() if key != "wait"}
    for key in ("propagation", "verification"):
        if waited.get(key) is not None:
            done[key] = waited[key]
    if waited.get("domain"):
        done.update(domain=waited["domain"], records=waited["domain"]["records"])
    if waited.get("error"):
        raise_failure(waited["error"], {"stage_result": done})
    return done
