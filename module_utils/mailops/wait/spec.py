"""What a tenant leaves to wait for when its sending-domain stage defers the wait: the records,
the nameservers to ask, the domain at SendCloud and the deadlines; no secret (``mailops_wait``'s
action plugin reads each tenant's SendCloud key from the inventory itself).

It travels in the tenant task's registered result, from ``mailops_tenant`` to ``mailops_wait``.
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.mailops.dns.nameserver import Nameserver
from ansible.module_utils.mailops.sendcloud.domain import DomainState


def wait_spec(state: DomainState, records: dict[str, Any], awaited: list[dict[str, Any]],
              not_awaited: list[str], params: dict[str, Any], nameservers: list[Nameserver],
              started: float, propagated: bool) -> dict[str, Any]:
    """``awaited``: the records to wait for (not those a foreign record is kept in place of),
    ``not_awaited``: their items, which SendCloud's verification is not waited for;
    ``started``: when the wait began (time.time()), for the deadlines; ``propagated``: every
    nameserver served the records already (only SendCloud's verification is left)."""
    dns, domain, sendcloud = params["dns"], params["domain"], params["sendcloud"]
    return {
        "domain": state.name,
        "records": awaited,
        "not_awaited": not_awaited,
        "zone": records["zone"],
        "nameservers": [{"host": ns.host, "port": ns.port, "address": ns.address}
                        for ns in nameservers],
        "change_file": records.get("change_file"),
        "started_at": started,
        "propagated": propagated,
        "propagation_timeout": dns["propagation_timeout"],
        "verify": not state.verified_except(not_awaited),
        "verify_timeout": domain["verify_timeout"],
        "verify_interval": domain["verify_interval"],
        "verify_layout": state.layout,
        "click_tracking": domain["click_tracking"],
        "nameserver_labels": list(dns["nameservers"]),
        "sendcloud": {name: sendcloud.get(name)
                      for name in ("edition", "api_base", "api_user", "timeout")},
    }


def spec_nameservers(spec: dict[str, Any]) -> list[Nameserver]:
    return [Nameserver(entry["host"], entry["port"], entry["address"])
            for entry in spec["nameservers"]]
