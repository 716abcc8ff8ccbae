"""One tenant's whole onboarding in one call: preflight, the sending domain with its DNS records,
propagation and verification, the API users with their keys, the platform binding.

Each stage is the code of its own module (``mailops_preflight``, ``mailops_sending_domain``,
``sendcloud_apiuser``, ``platform_binding``); chaining them here costs a tenant one Ansible
module execution instead of one per stage, and on Ansible an execution costs more than the API
calls it makes (docs/bench.md). In check mode this is the plan, by construction what the apply
does: the same functions with ``check_mode=True``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.mailops import rebind
from ansible.module_utils.mailops.errors import AuthError, MailopsError
from ansible.module_utils.mailops.gitops_plan import needs_apply
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.key_store import open_key_store
from ansible.module_utils.mailops.module_glue import SENDCLOUD_ARGS
from ansible.module_utils.mailops.rebind_journal_store import open_rebind_journal
from ansible.module_utils.mailops.sendcloud.keys import check_stored_keys
from ansible.module_utils.mailops.stages.api_users import API_USERS_OPTIONS, run_api_users
from ansible.module_utils.mailops.stages.binding import (
    BINDING_ARGS,
    NOT_READ,
    pending_rebind,
    read_binding,
    run_binding,
)
from ansible.module_utils.mailops.stages.credential_probes import other_credential_problems
from ansible.module_utils.mailops.stages.preflight import (
    PREFLIGHT_OPTIONS,
    PreflightFailed,
    check_mail_before_writing,
    run_preflight,
)
from ansible.module_utils.mailops.stages.sending_domain import (
    DNS_OPTIONS,
    DOMAIN_OPTIONS,
    after_wait,
    run_sending_domain,
)

TENANT_ARGS: dict[str, dict[str, Any]] = {
    "sendcloud": {"type": "dict", "required": True, "options": SENDCLOUD_ARGS},
    "preflight": {"type": "dict", "required": True, "options": PREFLIGHT_OPTIONS},
    "preflight_done": {"type": "dict"},
    "check_keys": {"type": "bool", "default": False},
    "domain": {"type": "dict", "required": True, "options": DOMAIN_OPTIONS},
    "dns": {"type": "dict", "required": True, "options": DNS_OPTIONS},
    "api_users": {"type": "dict", "required": True, "options": API_USERS_OPTIONS},
    "binding": {"type": "dict", "required": True, "options": BINDING_ARGS},
    "wait": {"type": "bool", "default": True},
    "defer_wait": {"type": "bool", "default": False},
    "resume": {"type": "dict"},
    "waited": {"type": "dict"},
    "report_change": {"type": "bool", "default": True},
    "continue_after_failed_stage": {"type": "bool", "default": False},
    "inventory_host": {"type": "str"},
    "from_inventory": {"type": "bool", "default": False},
    "inventory_spec": {"type": "path"},
    # read by the action plugin into resume and waited, as from_inventory; the module ignores it
    "resume_from": {"type": "dict", "options": {"result": {"type": "str", "required": True},
                                                "wait": {"type": "str", "required": True}}},
    "rebind_audit_log": {"type": "path"},
}

def refuse_failing_keys(sendcloud: dict[str, Any], api_users: dict[str, Any],
                        http: HttpClient) -> None:
    """Stored keys that SendCloud refuses: a key reset in the console, to be imported by hand."""
    results = check_stored_keys(sendcloud["edition"], sendcloud.get("api_base"),
                                list(api_users["names"].values()), api_users,
                                sendcloud["timeout"], http)
    failing = [r for r in results if not r["authenticated"] and r["reason"] != "no key stored"]
    if failing:
        raise AuthError(
            f"tenant {api_users['tenant_id']}: the stored key of "
            f"{', '.join(r['name'] for r in failing)} does not authenticate "
            f"({', '.join(r['reason'] for r in failing)})",
            hint="if the key was reset in the SendCloud console, import the new one with "
                 "playbooks/import_key.yml; the run never resets keys itself")


def dns_credential_check(auditing: bool, check_keys: bool) -> str:
    """How a run that writes no record checks the DNS credentials: the audit reports a refusal,
    a plan with preflight_check_keys fails on it, others do not check."""
    return "report" if auditing else "fail" if check_keys else ""


def in_stage(stage: str, work: Callable[[], Any], timings: dict[str, float]) -> Any:
    """Runs one stage, timed (``timings``: seconds per stage); its error says which stage failed."""
    started = time.monotonic()
    try:
        return work()
    except MailopsError as error:
        error.message = f"{stage} stage: {error.message}"
        error.args = (error.format(),)
        raise
    finally:
        timings[stage] = round(timings.get(stage, 0.0) + time.monotonic() - started, 3)


def tenant_values(params: dict[str, Any]) -> dict[str, Any]:
    """The tenant's values, by inventory name, that the preflight checks besides its own."""
    dns = params["dns"]
    provider_values = {"rfc2136": ("rfc2136_server", "rfc2136_port"),
                       "dnspod": ("dnspod_api_endpoint",)}.get(dns["provider"], ())
    return {"dns_ttl": dns["ttl"], "platform_api_url": params["binding"]["api_url"],
            **{name: dns.get(name) for name in provider_values}}


def preflight_of(params: dict[str, Any], check_mode: bool, http: HttpClient) -> dict[str, Any]:
    """The plan of this run already checked the tenant (``preflight_done``): not again. A plan
    (check mode) asks DNS whether the domain receives mail only once it knows it would write."""
    if params["preflight_done"]:
        return params["preflight_done"]
    try:
        preflight = run_preflight({**params["sendcloud"], **params["preflight"]},
                                  check_mail=not check_mode, sendcloud_http=http,
                                  values=tenant_values(params))
    except PreflightFailed as failed:   # every problem at once: the other credentials too
        raise PreflightFailed(failed.problems + other_credential_problems(
            params, failed.zone, platform_checked=False, bad_values=failed.bad_values)) from None
    preflight.pop("changed")
    if params["check_keys"]:
        refuse_failing_keys(params["sendcloud"], params["api_users"], http)
    return preflight


def done_before(error: MailopsError, stage: str, results: dict[str, dict[str, Any]],
                preflight: dict[str, Any], timings: dict[str, float]) -> dict[str, Any]:
    """What an apply did before ``stage`` failed, returned beside the error for the report and
    the applied record: the stages it completed, and what the failed one did before it failed
    when it says (sending_domain: the domain and records, written before a wait timed out). A
    plan's results are predictions, never returned as done."""
    done = {name: {k: v for k, v in result.items() if k not in ("diff", "warnings")}
            for name, result in results.items()}
    if "stage_result" in error.partial:
        done[stage] = error.partial["stage_result"]
    return {"preflight": preflight, "timings": timings, "stages": done}


def rebind_pending_result(message: str, pending: dict[str, str], preflight: dict[str, Any],
                          warnings: list[str], preflight_warnings: list[str],
                          timings: dict[str, float]) -> dict[str, Any]:
    """A tenant bound to another domain than the inventory's: onboarding never moves it, so its
    plan is this warning and nothing to apply, until rebind.yml has run in the change window
    (a merge request that changes the domain keeps the pipeline green meanwhile)."""
    preflight["warnings"] = preflight_warnings
    return {"changed": False, "needs_apply": False, "preflight": preflight,
            "stages": {"rebind_pending": pending}, "failed_stages": {}, "timings": timings,
            "diff": [], "wait": {}, "warnings": warnings + [message],
            "report_warnings": preflight_warnings + [message]}


def rebind_pending_message(params: dict[str, Any], pending: dict[str, str]) -> str:
    host = params["inventory_host"] or "HOST"
    return (f"tenant {params['binding']['tenant_id']} is bound to {pending['bound_domain']}; the "
            f"inventory asks for {pending['sending_domain']}: a change-managed rebind, which "
            "onboard.yml never does, so nothing is planned for this tenant. Run "
            f"'ansible-playbook rebind.yml -l {host} -e rebind_tenants={host} -e change_ticket=ID' "
            "in the change window (docs/rebind.md); to keep the bound domain, put it back in the inventory")


def bound_domain_audit(params: dict[str, Any], bound_domain: str,
                       http: HttpClient) -> dict[str, Callable[[], Any]]:
    """The audit of a tenant whose rebind is pending: the domain that sends until then, the bound
    one (its zone found as for any domain). Its API users and binding wait for the rebind."""
    return {"sending_domain": lambda: run_sending_domain(
        {"sendcloud": params["sendcloud"], "domain": dict(params["domain"], name=bound_domain),
         "dns": dict(params["dns"], zone=None, conflicts_as_findings=True,
                     check_credentials="report"), "wait": False},
        True, http)}


def run_stages(stage_work: dict[str, Callable[[], Any]], results: dict[str, dict[str, Any]],
               timings: dict[str, float], failed_stages: dict[str, str], auditing: bool,
               check_mode: bool, preflight: dict[str, Any]) -> None:
    """Each stage in order, into ``results``. A stage that leaves a wait (``defer_wait``) ends
    the call: the stages after it run in the finish pass, once ``mailops_wait`` has waited."""
    for stage, work in stage_work.items():
        if stage in failed_stages:
            continue
        try:
            results[stage] = in_stage(stage, work, timings)
        except MailopsError as error:
            if auditing:
                failed_stages[stage] = str(error)
                continue
            error.partial = {} if check_mode else done_before(error, stage, results, preflight, timings)
            raise
        if results[stage].get("wait"):
            return


def collect(results: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str], bool]:
    """The stages' diffs (of those that changed), warnings, and whether any changed; the diffs
    and warnings are taken out of each stage's result."""
    diffs: list[dict[str, Any]] = []
    stage_warnings: list[str] = []
    for result in results.values():
        stage_warnings += result.pop("warnings", [])
        diff = result.pop("diff", [])
        if result["changed"]:
            diffs += diff if isinstance(diff, list) else [diff]
    return diffs, stage_warnings, any(result["changed"] for result in results.values())


def later_stages(params: dict[str, Any], domain_name: str, check_mode: bool, http: HttpClient,
                 current_binding: Any) -> dict[str, Callable[[], Any]]:
    binding_params = {**params["binding"], "sending_domain": domain_name}
    return {
        "api_users": lambda: run_api_users(
            {**params["sendcloud"], **params["api_users"], "domain": domain_name}, check_mode, http),
        "binding": lambda: run_binding(binding_params, check_mode, current_binding),
    }


def finish_tenant(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """The apply once ``mailops_wait`` has waited for this tenant: ``resume`` is the result of
    its first call (the stages up to the wait), ``waited`` the wait's outcome for it. A failed
    wait fails the sending_domain stage here, on the tenant's own host, with the message its own
    wait gives; else the API users and the binding follow."""
    earlier, waited = params["resume"], params["waited"] or {}
    preflight = dict(earlier["preflight"])
    timings = {**earlier.get("timings", {})}
    timings["sending_domain"] = round(timings.get("sending_domain", 0.0)
                                      + float(waited.get("seconds", 0.0)), 3)
    results: dict[str, dict[str, Any]] = {}
    try:
        results["sending_domain"] = in_stage(
            "sending_domain", lambda: after_wait(earlier["stages"]["sending_domain"], waited), {})
    except MailopsError as error:
        error.partial = done_before(error, "sending_domain", results, preflight, timings)
        raise
    http = HttpClient("SendCloud", timeout=params["sendcloud"]["timeout"])
    later = later_stages(params, preflight["sending_domain"], check_mode, http, NOT_READ)
    run_stages(later, results, timings, {}, False, check_mode, preflight)
    diffs, stage_warnings, changed = collect({stage: results[stage] for stage in later})
    return {"changed": changed and params["report_change"], "needs_apply": needs_apply(results),
            "preflight": preflight, "stages": results, "failed_stages": {}, "timings": timings,
            "diff": diffs, "wait": {}, "warnings": stage_warnings,
            "report_warnings": list(earlier.get("report_warnings", [])) + stage_warnings}


def retiring_old_domain(params: dict[str, Any], domain_name: str) -> dict[str, Any] | None:
    """The old domain of the tenant's last rebind while it is still served (rebind.yml's grace
    period, from its audit log): shown by the plan, the report and the audit, never drift."""
    if not params["rebind_audit_log"]:
        return None
    journal = open_rebind_journal(params["rebind_audit_log"], None, params["api_users"].get("key_store"))
    entries = journal.entries(params["binding"]["tenant_id"])
    retirement = rebind.retirement_of(entries)
    if retirement is None or retirement.old_domain == domain_name:
        return None
    until = retirement.serves_until
    return {"changed": False, "old_domain": retirement.old_domain,
            "serves_until": until.isoformat() if until else None,
            "due": retirement.due(datetime.now(UTC))}


def converge_tenant(params: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    if params["resume"]:
        return finish_tenant(params, check_mode)
    sendcloud = params["sendcloud"]
    http = HttpClient("SendCloud", timeout=sendcloud["timeout"])  # one connection, every stage
    timings: dict[str, float] = {}
    preflight = dict(in_stage("preflight", lambda: preflight_of(params, check_mode, http), timings))
    # The preflight keeps its warnings: the apply pass, which reuses its plan's preflight,
    # reports them without showing them a second time.
    preflight_warnings = list(preflight.get("warnings", []))
    warnings = [] if params["preflight_done"] else list(preflight_warnings)
    domain_name = preflight["sending_domain"]
    binding_params = {**params["binding"], "sending_domain": domain_name}
    # the audit: a stage that fails is reported and the next ones still run (they read only)
    auditing = check_mode and params["continue_after_failed_stage"]
    failed_stages: dict[str, str] = {}
    current_binding, pending = NOT_READ, None
    # Before any write, unless the plan of this run already looked (preflight_done): a tenant
    # bound to another domain is a rebind, never done here.
    if not binding_params["allow_domain_change"] and (check_mode or not params["preflight_done"]):
        try:
            current_binding = in_stage("binding", lambda: read_binding(binding_params), timings)
        except AuthError as error:
            if not auditing:   # the DNS credentials too, in the same message
                problems = other_credential_problems(params, preflight["zone"], platform_checked=True)
                if problems:
                    raise PreflightFailed([str(error), *problems]) from None
                raise
            failed_stages["binding"] = str(error)
        except MailopsError as error:
            if not auditing:
                raise
            failed_stages["binding"] = str(error)   # not read a second time below
        else:
            pending = pending_rebind(current_binding, domain_name)
    if pending and not auditing:
        return rebind_pending_result(rebind_pending_message(params, pending), pending,
                                     preflight, warnings, preflight_warnings, timings)
    if not check_mode:
        # before the first write: the keys SendCloud will show once need a store that takes them
        in_stage("preflight", lambda: open_key_store(params["api_users"]).probe(), timings)
    stage_work = bound_domain_audit(params, pending["bound_domain"], http) if pending else {
        "sending_domain": lambda: run_sending_domain(
            {"sendcloud": sendcloud, "domain": dict(params["domain"], name=domain_name),
             "dns": dict(params["dns"], zone=params["dns"]["zone"] or preflight["zone"],
                         # the audit reports a conflict keep_and_fail stops on, and goes on
                         conflicts_as_findings=auditing,
                         # credentials proven without a write: always in the audit, when asked
                         # (preflight_check_keys) in a plan
                         check_credentials=dns_credential_check(
                             auditing, params["check_keys"] and check_mode)),
             "wait": params["wait"], "defer_wait": params["defer_wait"]}, check_mode, http),
        **later_stages(params, domain_name, check_mode, http, current_binding),
    }
    results: dict[str, dict[str, Any]] = {}
    run_stages(stage_work, results, timings, failed_stages, auditing, check_mode, preflight)
    wait = results.get("sending_domain", {}).pop("wait", None) or {}
    diffs, stage_warnings, changed = collect(results)
    warnings += stage_warnings
    to_apply = not failed_stages and not pending and needs_apply(results)
    if to_apply and not preflight["mail_checked"]:
        mail_started = time.monotonic()
        mail_warnings = check_mail_before_writing(params["preflight"], preflight)
        warnings += mail_warnings
        preflight_warnings += mail_warnings
        preflight["mail_checked"] = True
        timings["preflight"] += round(time.monotonic() - mail_started, 3)
    preflight["warnings"] = preflight_warnings
    if pending:
        warnings.append(rebind_pending_message(params, pending))
        stage_warnings.append(warnings[-1])
    retiring = None if pending else retiring_old_domain(params, domain_name)
    if retiring:
        results["retiring"] = retiring
    return {"changed": changed and params["report_change"], "needs_apply": to_apply,
            "preflight": preflight,
            "stages": {**results, "rebind_pending": pending} if pending else results,
            "failed_stages": failed_stages,
            "timings": timings, "diff": diffs, "wait": wait,
            "warnings": warnings, "report_warnings": preflight_warnings + stage_warnings}
