"""Checks that run before any write for a tenant.

Each problem names the tenant, the inventory field, what is wrong and how to fix it.
Problems are collected, not raised one by one, so an operator fixes them all in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.mailops.errors import ValidationError
from ansible.module_utils.mailops.sendcloud.apiusers import NAME_PATTERN

LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
FORBIDDEN_WORDS = ("sendcloud", "ifaxin")
MAILBOX_HOST_LABELS = ("mail", "smtp", "imap", "pop", "pop3", "mx", "exchange", "admin")
SENDCLOUD_MX_SUFFIXES = ("sendcloud.org", "sendcloud.net", "aurorasendcloud.com")
MAX_DOMAIN_LENGTH = 250   # SendCloud's limit (code 41002)


@dataclass
class Findings:
    tenant: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def error(self, field_name: str, problem: str, fix: str) -> None:
        self.errors.append(f"tenant {self.tenant}: {field_name}: {problem}. Fix: {fix}")

    def warn(self, field_name: str, problem: str) -> None:
        self.warnings.append(f"tenant {self.tenant}: {field_name}: {problem}")


def normalise_domain(raw: str, findings: Findings) -> str:
    domain = raw.strip()
    if domain.endswith("."):
        domain = domain.rstrip(".")
        findings.notes.append(f"sending_domain: the trailing dot of '{raw}' was dropped")
    if domain != domain.lower():
        findings.notes.append(f"sending_domain: '{domain}' was lower-cased")
    return domain.lower()


def check_domain(domain: str, findings: Findings) -> None:
    where = "sending_domain"
    if not domain:
        findings.error(where, "is empty", "set the sending domain, e.g. news.example.com")
        return
    if not domain.isascii():
        findings.error(where, f"'{domain}' contains non-ASCII characters",
                       "SendCloud accepts letters, digits and '-' only; use the punycode form "
                       f"(e.g. '{_punycode_hint(domain)}') or an ASCII subdomain")
        return
    if len(domain) > MAX_DOMAIN_LENGTH:
        findings.error(where, f"is {len(domain)} characters long",
                       f"SendCloud accepts at most {MAX_DOMAIN_LENGTH}; choose a shorter domain")
    for word in FORBIDDEN_WORDS:
        if word in domain:
            findings.error(where, f"'{domain}' contains '{word}', which SendCloud refuses",
                           "choose a domain of your own without that word")
    labels = domain.split(".")
    if len(labels) < 2:
        findings.error(where, f"'{domain}' is not a domain name", "use a full name such as news.example.com")
    for label in labels:
        if not LABEL.match(label):
            findings.error(where, f"label '{label}' of '{domain}' is invalid: only letters, digits "
                           "and '-' are allowed (no underscore, space, !$&? or leading/trailing '-')",
                           "rename the label")
    if labels[0] in MAILBOX_HOST_LABELS:
        findings.warn(where, f"'{domain}' is named like a mailbox host ({labels[0]}.); SendCloud "
                      "suggests send., news. or notify.")


def check_address(field_name: str, address: str, domain: str, findings: Findings,
                  must_match_domain: bool, mismatch_is_error: bool) -> None:
    match = ADDRESS.match(address or "")
    if not match:
        findings.error(field_name, f"'{address}' is not a valid e-mail address",
                       "use an address like name@" + domain)
        return
    if must_match_domain and match.group(1).lower() != domain:
        problem = f"'{address}' is not on the sending domain {domain}"
        if mismatch_is_error:
            findings.error(field_name, problem, f"use an address @{domain}")
        else:
            findings.warn(field_name, problem + "; receivers may see it as spoofed")


def check_api_user_names(names: dict[str, str], findings: Findings) -> None:
    for role, name in names.items():
        if not NAME_PATTERN.match(name or ""):
            findings.error(f"sendcloud_api_users.{role}", f"'{name}' is not a valid API user name",
                           "use 6-32 characters of A-Z, a-z, 0-9 and _")
    if len(set(names.values())) != len(names):
        findings.error("sendcloud_api_users", "batch and trigger have the same name",
                       "give each role its own API user")


def foreign_mx(mx_targets: list[str]) -> list[str]:
    return [t for t in mx_targets
            if not any(t.rstrip(".").lower().endswith(s) for s in SENDCLOUD_MX_SUFFIXES)]


def check_existing_mail(domain: str, zone: str | None, mx_targets: list[str], allow_existing_mx: bool,
                        findings: Findings) -> None:
    others = foreign_mx(mx_targets)
    if others and not allow_existing_mx:
        findings.error("sending_domain", f"{domain} already receives mail (MX: {', '.join(others)}); "
                       "SendCloud's MX and SPF there would break that mail",
                       "use a dedicated subdomain such as news." + domain +
                       ", or set allow_existing_mx: true if you are sure")
    elif others:
        findings.warn("sending_domain", f"{domain} has MX records not at SendCloud "
                      f"({', '.join(others)}); allowed by allow_existing_mx")
    if zone and zone == domain:
        findings.warn("sending_domain", f"{domain} is the apex of its zone; a dedicated subdomain "
                      "keeps marketing mail apart from staff mail")


def _punycode_hint(domain: str) -> str:
    from ansible.module_utils.mailops.dns.records import to_idna
    try:
        return to_idna(domain)
    except ValidationError:
        return "xn--..."


def check_account(account: dict[str, Any], thresholds: dict[str, Any], findings: Findings) -> None:
    if account["reputation"] < 0:
        findings.error("sendcloud account", f"reputation is {account['reputation']}, so SendCloud's "
                       "quota is 0 and nothing can be sent",
                       "clean the address lists (invalid addresses and spam reports lower the "
                       "reputation) and contact SendCloud support")
    kyc = account.get("kyc") or {}
    if thresholds.get("require_kyc") and not all(v for v in kyc.values() if v is not None):
        findings.error("sendcloud account", f"enterprise verification is incomplete ({kyc})",
                       "finish website and business verification in the SendCloud console, or "
                       "set preflight_require_kyc: false")
    minimum_quota = int(thresholds.get("min_quota") or 0)
    if account["quota_remaining"] < minimum_quota:
        findings.warn("sendcloud account", f"only {account['quota_remaining']} of today's quota "
                      f"is left (threshold {minimum_quota})")
    minimum_balance = thresholds.get("min_balance")
    available = account.get("available_balance")
    if minimum_balance is not None and available is not None:
        account["balance_low"] = available < float(minimum_balance)   # for the fleet page
        if account["balance_low"]:
            findings.warn("sendcloud account", f"available balance {available} is below {minimum_balance}")
