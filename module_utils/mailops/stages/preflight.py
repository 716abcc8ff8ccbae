"""The preflight stage: the inventory entry, the domain's DNS and the SendCloud account, checked
before anything is written (the body of the ``mailops_preflight`` module)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops import preflight
from ansible.module_utils.mailops.dns.nameserver import parse_nameserver
from ansible.module_utils.mailops.dns.records import Record
from ansible.module_utils.mailops.errors import (
    AuthError,
    MailopsError,
    NotFoundError,
    ValidationError,
)
from ansible.module_utils.mailops.http import HttpClient
from ansible.module_utils.mailops.inventory_values import value_problems
from ansible.module_utils.mailops.module_glue import SENDCLOUD_ARGS, sendcloud_client
from ansible.module_utils.mailops.sendcloud.account import account_info

PREFLIGHT_OPTIONS: dict[str, dict[str, Any]] = {
    "tenant_id": {"type": "str", "required": True},
    "sending_domain": {"type": "str", "required": True},
    "zone": {"type": "str"},
    "nameservers": {"type": "list", "elements": "str", "default": []},
    "allow_existing_mx": {"type": "bool", "default": False},
    "sender_address": {"type": "str", "required": True},
    "reply_to_address": {"type": "str", "required": True},
    "sender_domain_mismatch": {"type": "str", "default": "fail", "choices": ["warn", "fail"]},
    "api_user_names": {"type": "dict", "required": True},
    "require_kyc": {"type": "bool", "default": False},
    "min_quota": {"type": "int", "default": 0},
    "min_balance": {"type": "float"},
    "check_account": {"type": "bool", "default": True},
}

PREFLIGHT_ARGS: dict[str, dict[str, Any]] = dict(SENDCLOUD_ARGS, **PREFLIGHT_OPTIONS)


class PreflightFailed(ValidationError):
    """Every problem found, not only the first, so one run shows the whole fix list."""

    def __init__(self, problems: list[str], zone: str | None = None,
                 bad_values: set[str] | frozenset[str] = frozenset()) -> None:
        self.problems = problems
        # for the other credential checks: the zone found before the failure, and the
        # variables whose values are not to be used
        self.zone = zone
        self.bad_values = bad_values
        super().__init__(f"preflight found {len(problems)} problem(s): " + " | ".join(problems),
                         hint="")

    def to_dict(self) -> dict[str, Any]:
        return dict(super().to_dict(), problems=self.problems)


def served_mx(domain: str, nameservers: list[str]) -> list[str]:
    servers = [parse_nameserver(ns) for ns in nameservers]
    if not servers:
        import dns.resolver
        try:
            return [r.exchange.to_text(omit_final_dot=True)
                    for r in dns.resolver.resolve(domain, "MX")]
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
    from ansible.module_utils.mailops.dns.propagation import query_served
    values = query_served(servers[0], Record(domain, "MX", None), timeout=5.0)
    return [value.split()[-1] for value in values]


def mail_findings(params: dict[str, Any], domain: str, zone: str | None) -> preflight.Findings:
    """Does the domain already receive mail elsewhere? (one MX query)"""
    findings = preflight.Findings(params["tenant_id"])
    preflight.check_existing_mail(domain, zone, served_mx(domain, params["nameservers"]),
                                  params["allow_existing_mx"], findings)
    return findings


def check_mail_before_writing(params: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """The mail check that ``run_preflight(check_mail=False)`` left for when a write is planned:
    it guards SendCloud's MX and SPF from being written over a domain that receives mail."""
    findings = mail_findings(params, result["sending_domain"], result["zone"])
    if findings.errors:
        raise PreflightFailed(findings.errors)
    return findings.warnings


def find_zone_of(domain: str, params: dict[str, Any]) -> str:
    if params["zone"]:
        return params["zone"]
    from ansible.module_utils.mailops.dns.zone import find_zone
    return find_zone(domain, [parse_nameserver(n) for n in params["nameservers"]] or None)


def check_values(params: dict[str, Any], values: dict[str, Any] | None,
                 findings: preflight.Findings) -> set[str]:
    """The values of the preflight's own options, and ``values`` (more of the tenant's, by
    inventory name), that a type check cannot judge; the names of those that are bad."""
    own = {"tenant_id": params["tenant_id"], "dns_nameservers": params["nameservers"],
           "sendcloud_api_base": params.get("api_base")}
    bad = value_problems({**own, **(values or {})})
    for name, problems in bad.items():
        for problem, fix in problems:
            findings.error(name, problem, fix)
    return set(bad)


def account_of(params: dict[str, Any], sendcloud_http: HttpClient | None,
               findings: preflight.Findings) -> dict[str, Any] | None:
    """The SendCloud account; a failure to read it is one more problem, beside the others."""
    try:
        return account_info(sendcloud_client(params, sendcloud_http))
    except AuthError as error:
        findings.errors.append(f"tenant {findings.tenant}: sendcloud_api_user/sendcloud_api_key: {error}")
    except MailopsError as error:
        findings.errors.append(f"tenant {findings.tenant}: sendcloud account: {error}")
    return None


def run_preflight(params: dict[str, Any], check_mail: bool = True,
                  sendcloud_http: HttpClient | None = None,
                  values: dict[str, Any] | None = None) -> dict[str, Any]:
    """``params``: the SendCloud connection options and ``PREFLIGHT_OPTIONS``; ``values``: more
    of the tenant's values to check, by inventory name (``inventory_values.CHECKS``). Every
    problem found is reported at once; a bad value is not used (no zone lookup through a bad
    nameserver, no account read at a bad URL). ``check_mail=False`` leaves the MX query to
    ``check_mail_before_writing``, for a caller that knows whether it will write."""
    findings = preflight.Findings(params["tenant_id"])
    bad_values = check_values(params, values, findings)
    domain = preflight.normalise_domain(params["sending_domain"], findings)
    problems_before = len(findings.errors)
    preflight.check_domain(domain, findings)
    domain_is_valid = len(findings.errors) == problems_before
    preflight.check_api_user_names(params["api_user_names"], findings)
    mismatch_fails = params["sender_domain_mismatch"] == "fail"
    preflight.check_address("sender_address", params["sender_address"], domain, findings,
                            must_match_domain=True, mismatch_is_error=mismatch_fails)
    preflight.check_address("reply_to_address", params["reply_to_address"], domain, findings,
                            must_match_domain=False, mismatch_is_error=False)
    zone = None
    if domain_is_valid and "dns_nameservers" not in bad_values:
        # the DNS checks too, whatever else is wrong: every problem at once
        try:
            zone = find_zone_of(domain, params)
        except NotFoundError as error:
            findings.error("sending_domain", error.message, error.hint)
    if zone is not None and check_mail:
        mail = mail_findings(params, domain, zone)
        findings.errors += mail.errors
        findings.warnings += mail.warnings
    account = None
    if params["check_account"] and "sendcloud_api_base" not in bad_values:
        account = account_of(params, sendcloud_http, findings)
        if account is not None:
            preflight.check_account(account, params, findings)
    if findings.errors:
        raise PreflightFailed(findings.errors, zone, bad_values)
    return {"changed": False, "sending_domain": domain, "zone": zone, "account": account,
            "mail_checked": check_mail, "notes": findings.notes, "warnings": findings.warnings}
