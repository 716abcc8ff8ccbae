#!/usr/bin/python
from __future__ import annotations

DOCUMENTATION = r"""
module: mailops_tenant
short_description: Onboard one tenant in one call; in check mode, its plan
description:
  - Runs the onboarding stages of one tenant in order, each with the code of its own module -
    the preflight checks (M(mailops_preflight)); the sending domain at SendCloud, its records at
    the DNS provider, the propagation and verification waits (M(mailops_sending_domain)); the
    batch and trigger API users with their keys captured once (M(sendcloud_apiuser)); the
    platform binding (M(platform_binding)) - and returns each stage's result.
  - One module execution per tenant instead of one per stage; C(onboard.yml) runs it twice, in
    check mode for the plan, then for the tenants that have something to do.
  - In check mode nothing is written or waited for; C(changed) and the diff (one entry per
    changed object, stage by stage) are what the apply will do. An up-to-date tenant costs one
    call each of C(userinfo/get), C(domain/list), the zone listing, C(apiuser/list) and the
    binding C(GET).
  - Fails before anything is written on every preflight problem at once; a failing stage's
    error names the stage.
  - The platform binding is read right after the preflight (unless O(preflight_done), as the plan of
    this run read it); a tenant bound to another domain than its inventory's gets a warning
    and C(stages.rebind_pending) instead of a plan, and nothing is written (unless
    O(binding.allow_domain_change)). In the audit (O(continue_after_failed_stage)), the
    sending-domain stage still runs, for the bound domain, and its result is returned beside
    C(stages.rebind_pending).
options:
  from_inventory:
    description:
      - Build every other option from this tenant's variables, the inventory contract (README,
        C(roles/tenant/meta/argument_specs.yml)), as each stage role builds its own module's
        arguments (C(module_utils/mailops/tenant_inputs.py)); options given as well win.
      - The action plugin reads each variable once and renders them in one pass. Written out as
        arguments, the defaults they go through (C(tenant_id), the API user names, the credential
        file) are rendered again at every reference, many templates per task.
      - Handled by the action plugin (C(action_plugins/mailops_tenant.py)), which the project's
        C(ansible.cfg) configures; the module itself ignores it.
    type: bool
    default: false
  inventory_spec:
    description:
      - With O(from_inventory), a role's C(meta/argument_specs.yml) whose C(main) entry point the
        variables are first validated against, with the message of Ansible's own role argument
        validation, in this task instead of a task of its own (one worker less per tenant).
      - Handled by the action plugin, as O(from_inventory).
    type: path
  preflight:
    description: The options of M(mailops_preflight) other than the SendCloud account.
    type: dict
    required: true
    suboptions:
      tenant_id:
        description: Tenant id (for messages).
        type: str
        required: true
      sending_domain:
        description: The sending domain from the inventory.
        type: str
        required: true
      zone:
        description: The DNS zone; found by SOA lookup when omitted.
        type: str
      nameservers:
        description: Nameservers (host[:port]) to ask instead of the system resolver.
        type: list
        default: []
        elements: str
      allow_existing_mx:
        description: Allow a sending domain that already has MX records not at SendCloud.
        type: bool
        default: false
      sender_address:
        description: Sender address.
        type: str
        required: true
      reply_to_address:
        description: Reply-To address.
        type: str
        required: true
      sender_domain_mismatch:
        description: What a sender address outside the sending domain causes.
        type: str
        default: fail
        choices:
        - warn
        - fail
      api_user_names:
        description: API user names per role (batch, trigger).
        type: dict
        required: true
      require_kyc:
        description: Fail when enterprise verification is incomplete.
        type: bool
        default: false
      min_quota:
        description: Warn when less of today's quota remains.
        type: int
        default: 0
      min_balance:
        description: Warn when the available balance is lower (domestic).
        type: float
      check_account:
        description: Read the SendCloud account.
        type: bool
        default: true
  preflight_done:
    description:
      - The C(preflight) this module returned in check mode earlier in the same run (the plan);
        given, the preflight checks are not repeated.
    type: dict
  check_keys:
    description:
      - With the preflight, check that every stored API key still authenticates (one
        C(userinfo/get) per key, as M(sendcloud_key_check)); fail, naming the key, when refused.
      - "In a plan (check mode) that writes no DNS record, also check the DNS credentials without
        writing (RFC 2136, a signed prerequisite-only UPDATE; docs/dns.md). The audit
        (O(continue_after_failed_stage) in check mode) always checks them and reports a refusal."
    type: bool
    default: false
  domain:
    description: The C(domain) option of M(mailops_sending_domain); its C(name) is replaced by preflight's normalised sending domain.
    type: dict
    required: true
    suboptions:
      name:
        description: The sending domain.
        type: str
        required: true
      click_tracking:
        description: Click tracking on, which makes the tracking CNAME required where the edition has
          one.
        type: bool
        default: false
      verify_layout:
        description: The verify bit layout; C(auto) infers it.
        type: str
        default: auto
        choices:
        - auto
        - domestic_v1
        - domestic
        - overseas
      verify_timeout:
        description: Seconds to wait for SendCloud's verification.
        type: float
        default: 900
      verify_interval:
        description: First verification poll interval in seconds (grows by 1.5x up to 30).
        type: float
        default: 10
  dns:
    description: The C(dns) option of M(mailops_sending_domain); an empty C(zone) is filled from preflight.
    type: dict
    required: true
  api_users:
    description: The options of M(sendcloud_apiuser) other than the SendCloud account; C(domain) is replaced by preflight's.
    type: dict
    required: true
    suboptions:
      tenant_id:
        description: The tenant (names the credential file and lock).
        type: str
        required: true
      domain:
        description: The verified sending domain to bind the API users to.
        type: str
        required: true
      names:
        description: API user names per role.
        type: dict
        required: true
        suboptions:
          batch:
            description: Name of the batch (marketing) API user.
            type: str
            required: true
          trigger:
            description: Name of the trigger (notification) API user.
            type: str
            required: true
      tracking:
        description: Tracking options for both API users.
        type: dict
        default: {}
        suboptions:
          open:
            description: Open tracking.
            type: bool
            default: true
          click:
            description: Click tracking.
            type: bool
            default: false
          unsubscribe:
            description: Unsubscribe link.
            type: bool
            default: true
      credentials_file:
        description: The tenant's vaulted credential file.
        type: path
        required: true
      vault_password_file:
        description: File holding the vault password for the credential file.
        type: path
        required: true
      vault_id:
        description: Vault id label written in the file header.
        type: str
        default: default
      key_store:
        description: Where the API keys are kept, as M(sendcloud_apiuser)'s O(sendcloud_apiuser#module:key_store) says.
        type: dict
        default: {}
        suboptions:
          kind: {description: "C(file) or C(vault).", type: str, choices: [file, vault], default: file}
          url: {description: "The store's address; default C(VAULT_ADDR).", type: str}
          token: {description: "Its token; default C(VAULT_TOKEN).", type: str}
          role_id: {description: "AppRole role id, instead of a token.", type: str}
          secret_id: {description: "AppRole secret id.", type: str}
          mount: {description: "The KV v2 engine's mount.", type: str, default: secret}
          path: {description: "The tenant's folder in it.", type: str}
          ca_cert: {description: "CA bundle for the store's TLS certificate; default C(VAULT_CACERT).", type: str}
          verify: {description: "Verify the store's TLS certificate.", type: bool, default: true}
          timeout: {description: "Seconds per request to the store.", type: float, default: 15.0}
      allow_domain_change:
        description: Re-point existing API users bound to another domain (used by rebind.yml only).
        type: bool
        default: false
      lock_timeout:
        description: Seconds to wait for another run holding the tenant lock.
        type: float
        default: 120
  binding:
    description: The options of M(platform_binding); C(sending_domain) is replaced by preflight's.
    type: dict
    required: true
    suboptions:
      tenant_id:
        description: The tenant id at the platform.
        type: str
        required: true
      api_url:
        description: Base URL of the platform API (e.g. https://platform.example/api).
        type: str
        required: true
      token:
        description: Bearer token for the platform API.
        type: str
        required: true
      sending_domain:
        description: The sending domain.
        type: str
        required: true
      edition:
        description: SendCloud edition.
        type: str
        default: domestic
        choices:
        - domestic
        - overseas
      api_user_names:
        description: The API user names per role.
        type: dict
        required: true
        suboptions:
          batch:
            description: Batch API user.
            type: str
            required: true
          trigger:
            description: Trigger API user.
            type: str
            required: true
      sender_address:
        description: Sender (From) address.
        type: str
        required: true
      sender_name:
        description: Sender display name, 1-64 characters (the platform's limit).
        type: str
        required: true
      reply_to_address:
        description: Reply-To address.
        type: str
        required: true
      credentials_file:
        description: The tenant's vaulted credential file.
        type: path
        required: true
      vault_password_file:
        description: File holding its vault password.
        type: path
        required: true
      vault_id:
        description: Vault id label.
        type: str
        default: default
      key_store:
        description: Where the API keys are kept, as M(sendcloud_apiuser)'s O(sendcloud_apiuser#module:key_store) says.
        type: dict
        default: {}
        suboptions:
          kind: {description: "C(file) or C(vault).", type: str, choices: [file, vault], default: file}
          url: {description: "The store's address; default C(VAULT_ADDR).", type: str}
          token: {description: "Its token; default C(VAULT_TOKEN).", type: str}
          role_id: {description: "AppRole role id, instead of a token.", type: str}
          secret_id: {description: "AppRole secret id.", type: str}
          mount: {description: "The KV v2 engine's mount.", type: str, default: secret}
          path: {description: "The tenant's folder in it.", type: str}
          ca_cert: {description: "CA bundle for the store's TLS certificate; default C(VAULT_CACERT).", type: str}
          verify: {description: "Verify the store's TLS certificate.", type: bool, default: true}
          timeout: {description: "Seconds per request to the store.", type: float, default: 15.0}
      allow_domain_change:
        description: Allow switching a bound tenant to another domain (rebind only).
        type: bool
        default: false
      timeout:
        description: Seconds per HTTP request.
        type: float
        default: 15.0
  wait:
    description: Wait for DNS propagation and SendCloud's verification (never in check mode).
    type: bool
    default: true
  defer_wait:
    description:
      - Leave the wait to M(mailops_wait), which waits for every tenant of the run at once
        (C(onboard.yml)'s apply). The sending-domain stage looks once (one DNS round, and one
        SendCloud read once the records are served); when that is not enough, the call ends
        there and returns RV(wait), and the API users and the binding are left to the finish
        pass (O(resume)).
    type: bool
    default: false
  resume:
    description:
      - The finish pass, after M(mailops_wait) - the result this module returned with
        O(defer_wait) (its stages up to the wait); the stages after the wait run now. Given
        with O(waited).
    type: dict
  resume_from:
    description:
      - The finish pass, written short - the names of this host's registered variables holding
        O(resume) (C(result)) and the M(mailops_wait) result whose C(tenants) entry for this host
        is O(waited) (C(wait)). The action plugin reads both as Ansible stored them; through a
        template the whole registered result would be rendered again for every tenant.
      - Handled by the action plugin, as O(from_inventory).
    type: dict
    suboptions:
      result: {description: "The variable this module's first call registered, e.g. C(tenant_result).", type: str, required: true}
      wait: {description: "The variable M(mailops_wait) registered, e.g. C(tenant_wait).", type: str, required: true}
  waited:
    description:
      - With O(resume), this tenant's outcome of M(mailops_wait) (its RV(mailops_wait#module:tenants)
        entry); a failed wait fails the C(sending_domain) stage here with the error the stage's
        own wait gives.
    type: dict
  report_change:
    description:
      - V(false) reports C(changed=false) whatever the tenant's changes (RV(needs_apply) still
        says them). The plan pass of an apply run sets it, as the apply pass reports the changes.
      - What C(changed_when) would do, without it. A C(changed_when) costs each tenant's task
        CPU in the worker, however simple its condition (docs/bench-history.md).
    type: bool
    default: true
  continue_after_failed_stage:
    description:
      - In check mode (C(playbooks/audit.yml)), a stage that fails does not stop the others; its
        error is returned in RV(failed_stages) and the stages after it still run, so the audit
        reports all it can see. Outside check mode an apply always stops at the first failing
        stage.
    type: bool
    default: false
  inventory_host:
    description:
      - The tenant's inventory host name, for the commands its messages give (C(rebind.yml -l HOST));
        set by O(from_inventory).
    type: str
  rebind_audit_log:
    description:
      - The rebind audit log (journal) of the tenant's inventory, read to report an old domain
        that still serves after a rebind (C(old domain X serves until T)); set by O(from_inventory).
    type: path
extends_documentation_fragment: [mailops_sendcloud_account, mailops_dns_provider.stage, mailops_attributes, mailops_in_process]
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
requirements:
  - python >= 3.12
  - requests
  - dnspython
  - cryptography
seealso:
  - module: mailops_preflight
  - module: mailops_sending_domain
  - module: sendcloud_apiuser
  - module: platform_binding
  - module: mailops_plan
author: mailops maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Onboard this tenant from its inventory variables, validated first (as roles/tenant does)
  mailops_tenant:
    from_inventory: true
    inventory_spec: "{{ role_path }}/meta/argument_specs.yml"
  register: tenant_result

- name: Onboard this tenant, every stage in one call
  mailops_tenant:
    sendcloud: {api_user: "{{ sendcloud_api_user }}", api_key: "{{ sendcloud_api_key }}"}
    preflight: {tenant_id: acme, sending_domain: news.acme.example, sender_address: marketing@news.acme.example,
                reply_to_address: service@acme.example, api_user_names: {batch: acme_batch, trigger: acme_trigger}}
    domain: {name: news.acme.example}
    dns: {provider: dnspod, dnspod_secret_id: "{{ dnspod_secret_id }}", dnspod_secret_key: "{{ dnspod_secret_key }}"}
    api_users: {tenant_id: acme, domain: news.acme.example, names: {batch: acme_batch, trigger: acme_trigger},
                credentials_file: credentials/acme.vault.yml, vault_password_file: .vault_pass}
    binding: {tenant_id: acme, api_url: "https://platform.example/api", token: "{{ platform_api_token }}",
              sending_domain: news.acme.example, api_user_names: {batch: acme_batch, trigger: acme_trigger},
              sender_address: marketing@news.acme.example, reply_to_address: service@acme.example,
              credentials_file: credentials/acme.vault.yml, vault_password_file: .vault_pass}
  register: tenant_result
"""

RETURN = r"""
preflight:
  description: What M(mailops_preflight) returns (normalised sending_domain, zone, account, notes).
  returned: success
  type: dict
stages:
  description:
    - Per stage (C(sending_domain), C(api_users), C(binding)), what its own module returns,
      without the diff.
    - For a tenant bound to another domain than O(binding.sending_domain), only
      C(rebind_pending) (C(bound_domain), C(sending_domain)) - a rebind (C(rebind.yml)), never
      done here, so no stage runs and nothing is to apply; with O(continue_after_failed_stage),
      also C(sending_domain), of the bound domain.
  returned: success
  type: dict
failed_stages:
  description:
    - With O(continue_after_failed_stage) in check mode, each stage that failed with its error
      (the stage is then not in RV(stages)); otherwise empty.
  returned: success
  type: dict
timings:
  description: Seconds spent in each stage (C(preflight), C(sending_domain), C(api_users), C(binding)).
  returned: success
  type: dict
needs_apply:
  description: Something is (or would be) written, or the domain is not verified yet.
  returned: success
  type: bool
wait:
  description:
    - With O(defer_wait), what is left to wait for (records, nameservers, domain, deadlines; no
      secret), for M(mailops_wait); empty when nothing is.
  returned: success
  type: dict
report_warnings:
  description:
    - Every warning about this tenant, for its report; those of its plan's preflight too, which an
      apply pass given O(preflight_done) does not show again.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.mailops.module_glue import run  # noqa: E402
from ansible.module_utils.mailops.stages.tenant import TENANT_ARGS, converge_tenant  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec=TENANT_ARGS, supports_check_mode=True)
    run(module, lambda: converge_tenant(module.params, module.check_mode))


if __name__ == "__main__":
    main()
