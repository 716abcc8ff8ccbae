"""The DNS provider options: every provider's own (module_utils/mailops/dns/providers/<name>.py
declares them; tests/unit/dns/test_provider_plugins.py checks these docs against it).

``mailops_dns_provider`` documents them at the top level (M(dns_record_set)),
``mailops_dns_provider.stage`` inside the C(dns) option of the stage modules."""

from __future__ import annotations

from textwrap import indent

PROVIDER = r"""
provider:
  description: The DNS provider of the zone (docs/dns.md, one section each).
  type: str
  required: true
  choices: [cloudflare, dnspod, manual, powerdns, rfc2136, route53]
"""

PROVIDER_OPTIONS = r"""
cloudflare_api_token:
  description: Cloudflare API token with Zone > DNS > Edit on the zone (provider cloudflare); the environment variable C(CLOUDFLARE_API_TOKEN) when not set.
  type: str
cloudflare_api_base_url:
  description: Cloudflare API base URL, C(/client/v4) included (only for a local emulator, the sandbox's); else C(CLOUDFLARE_BASE_URL), else Cloudflare's.
  type: str
dnspod_secret_id:
  description: Tencent Cloud SecretId (provider dnspod).
  type: str
dnspod_secret_key:
  description: Tencent Cloud SecretKey (provider dnspod).
  type: str
dnspod_api_endpoint:
  description: DNSPod API endpoint host (C(dnspod.intl.tencentcloudapi.com) for the international site).
  type: str
  default: dnspod.tencentcloudapi.com
dnspod_api_scheme:
  description: URL scheme of the DNSPod API (C(http) only for the local sandbox).
  type: str
  default: https
  choices: [https, http]
manual_change_dir:
  description: Directory where provider C(manual) writes the change request (one Markdown file per tenant and zone).
  type: str
powerdns_api_url:
  description: PowerDNS API base URL, the webserver's address (e.g. C(http://127.0.0.1:8081)); the environment variable C(PDNS_SERVER_URL) when not set.
  type: str
powerdns_api_key:
  description: PowerDNS API key (the server's C(api-key)); the environment variable C(PDNS_API_KEY) when not set.
  type: str
powerdns_server_id:
  description: PowerDNS server id in the API path.
  type: str
  default: localhost
rfc2136_server:
  description: Primary server (IP or host name) accepting dynamic updates.
  type: str
rfc2136_port:
  description: Its port.
  type: int
  default: 53
rfc2136_key_name:
  description: TSIG key name.
  type: str
rfc2136_key_secret:
  description: TSIG key secret (base64).
  type: str
rfc2136_key_algorithm:
  description: TSIG algorithm.
  type: str
  default: hmac-sha256
route53_access_key_id:
  description: AWS access key id; else C(AWS_ACCESS_KEY_ID), a profile, or an instance role (boto3's chain).
  type: str
route53_secret_access_key:
  description: AWS secret access key; else C(AWS_SECRET_ACCESS_KEY).
  type: str
route53_session_token:
  description: AWS session token of temporary credentials; else C(AWS_SESSION_TOKEN).
  type: str
route53_profile:
  description: AWS profile (C(~/.aws/config)); else C(AWS_PROFILE).
  type: str
route53_endpoint_url:
  description: Route 53 API endpoint (only for a local emulator, the sandbox's moto); else C(AWS_ENDPOINT_URL_ROUTE_53).
  type: str
route53_hosted_zone_id:
  description: Hosted zone id, when the zone's name is not enough (a public and a private zone of one name).
  type: str
"""

STAGE_DNS_OPTIONS = r"""
tenant: {description: "Tenant id (manual change files, messages).", type: str, default: ""}
zone: {description: "The zone; found by the provider or an SOA lookup when omitted.", type: str}
ttl: {description: "TTL of created records.", type: int, default: 600}
on_conflict: {description: "What a foreign record in the way causes (see M(dns_record_set)).", type: str, default: keep_and_fail, choices: [keep_and_fail, keep_and_warn, replace]}
nameservers: {description: "Nameservers (C(host[:port])) to ask instead of the zone's NS.", type: list, elements: str, default: []}
propagation_timeout: {description: "Seconds to wait until every nameserver serves the records.", type: float, default: 600}
"""


class ModuleDocFragment:
    DOCUMENTATION = "options:\n" + indent(PROVIDER + PROVIDER_OPTIONS, "  ")

    STAGE = r"""
options:
  dns:
    description:
      - The tenant's DNS provider; every option of M(dns_record_set) except C(records)
        and C(state), plus the propagation timeout.
    type: dict
    required: true
    suboptions:
""" + indent(STAGE_DNS_OPTIONS + PROVIDER + PROVIDER_OPTIONS, " " * 6)
