"""Manual provider: writes a change request for a human; never writes DNS itself."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime

from ansible.module_utils.mailops.artifacts import write_text
from ansible.module_utils.mailops.dns.plan import Change
from ansible.module_utils.mailops.dns.providers.base import (
    ApplyResult,
    BuildContext,
    DNSProvider,
    ProviderInfo,
    ProviderOption,
    ProviderPlugin,
)
from ansible.module_utils.mailops.dns.records import ExistingRecord, Record, relative_name
from ansible.module_utils.mailops.dns.resolver import Nameserver, read_records
from ansible.module_utils.mailops.dns.txt import quote_txt
from ansible.module_utils.mailops.dns.zone import find_zone
from ansible.module_utils.mailops.errors import MailopsError, ValidationError

MANUAL_INFO = ProviderInfo(
    name="manual",
    default_ttl=600,
    min_ttl=0,
    min_ttl_rule="whatever the human's provider allows",
    txt_encoding="presentation",
    bulk_writes=True,
    one_ttl_per_rrset=True,  # read by DNS queries, where an RRset has one TTL
    compares_ttl=False,
)


def zone_file_line(record: Record) -> str:
    """Presentation-format line (TXT split and quoted; MX/CNAME targets absolute)."""
    if record.type == "TXT":
        rdata = quote_txt(record.value or "")
    elif record.type == "MX":
        rdata = f"{record.priority} {record.value}."
    else:
        rdata = f"{record.value}."
    ttl = record.ttl if record.ttl is not None else MANUAL_INFO.default_ttl
    return f"{record.name}. {ttl} IN {record.type} {rdata}"


def render_change_request(tenant: str, zone: str, changes: list[Change]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# DNS change request: {tenant} / zone {zone}",
        "",
        f"Written {stamp} by the mailops `dns_record_set` module (provider `manual`).",
        "Apply these changes at the DNS provider of the zone; the playbook waits until every",
        "authoritative nameserver serves them. Records not listed here must stay as they are.",
        "",
        "| action | name | type | value | TTL |",
        "|---|---|---|---|---|",
    ]
    for change in changes:
        record = change.record
        value = record.value if record.type != "MX" else f"{record.priority} {record.value}"
        if change.action == "update" and change.before is not None:
            value = f"{change.before.value} → {value}"
        host = relative_name(record.name, zone)
        cell = (value or "").replace("|", "\\|")
        lines.append(f"| {change.action} | {host} | {record.type} | `{cell}` | {record.ttl} |")
    lines += ["", "Zone-file lines (presentation format):", "", "```"]
    for change in changes:
        if change.action in ("delete", "update") and change.before is not None:
            lines.append(f"; remove: {zone_file_line(change.before)}")
        if change.after is not None:
            lines.append(zone_file_line(change.after))
    lines += ["```", ""]
    return "\n".join(lines)


CSV_COLUMNS = ("action", "name", "type", "priority", "value", "ttl", "previous_value")


def render_change_csv(zone: str, changes: list[Change]) -> str:
    """The same changes as CSV (one row per change; TXT values unquoted and unsplit, as web
    consoles want them; name relative to the zone, ``@`` for the apex)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for change in changes:
        record = change.record
        previous = change.before.value if change.action == "update" and change.before else ""
        writer.writerow([
            change.action,
            relative_name(record.name, zone),
            record.type,
            record.priority if record.type == "MX" else "",
            record.value or "",
            record.ttl if record.ttl is not None else MANUAL_INFO.default_ttl,
            previous or "",
        ])
    return out.getvalue()


def write_atomically(path: str, content: str) -> None:
    try:
        write_text(path, content, durable=True)
    except OSError as exc:
        raise MailopsError(
            f"cannot write the DNS change request {path}: {exc}",
            hint="make manual_change_dir writable",
        ) from exc


def change_request_notice(path: str) -> str:
    """What the operator reads as soon as the change request is written."""
    return (f"DNS change request for a human: {path} (and {path[: -len('.md')]}.csv): apply it at "
            "the zone's DNS provider. The run waits dns_propagation_timeout for every nameserver "
            "to serve it; to finish later instead, let the wait time out (or stop the run) and "
            "run onboard.yml again once it is applied: the run goes on from what DNS serves, "
            "nothing is written twice")


class ManualProvider(DNSProvider):
    info = MANUAL_INFO

    def __init__(
        self, change_dir: str, tenant: str = "tenant", nameservers: list[Nameserver] | None = None
    ) -> None:
        if not change_dir:
            raise ValidationError(
                "provider manual needs a directory for change requests",
                hint="set manual_change_dir (inventory: dns_manual_change_dir)",
            )
        self.change_dir = change_dir
        self.tenant = tenant
        self.nameservers = nameservers or []

    def find_zone(self, fqdn: str) -> str | None:
        return find_zone(fqdn, self.nameservers or None)

    def list_records(self, zone: str, names: set[str]) -> list[ExistingRecord]:
        servers = self.nameservers
        if not servers:
            from ansible.module_utils.mailops.dns.propagation import discover_nameservers

            servers, _ = discover_nameservers(zone)  # the propagation wait warns about the rest
        return read_records(servers[0], names)

    def change_file(self, zone: str) -> str:
        safe_tenant = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.tenant)
        return os.path.join(self.change_dir, f"{safe_tenant}--{zone}.md")

    def apply_changes(self, zone: str, changes: list[Change]) -> ApplyResult:
        if not changes:
            return ApplyResult(writes=0)
        path = self.change_file(zone)
        write_atomically(path, render_change_request(self.tenant, zone, changes))
        write_atomically(path[: -len(".md")] + ".csv", render_change_csv(zone, changes))
        return ApplyResult(status="pending_human", writes=0, change_file=path,
                           warnings=[change_request_notice(path)])


def build(arguments: dict, context: BuildContext) -> ManualProvider:
    return ManualProvider(**arguments, tenant=context.tenant, nameservers=context.nameservers)


PLUGIN = ProviderPlugin(
    info=MANUAL_INFO,
    options=(
        ProviderOption("manual_change_dir", "change_dir",
                       "Directory where provider C(manual) writes the change request (one "
                       "Markdown file per tenant and zone).", required=True,
                       variable="dns_manual_change_dir"),
    ),
    build=build,
)
