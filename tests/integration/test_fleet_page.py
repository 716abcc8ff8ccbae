"""reports/index.html in a real headless Chromium, after real runs on the sandbox: the three
demo tenants onboarded, then acme's domain changed in the inventory (a pending rebind), initech's
platform failing (a failed tenant) and an audit. The page's own CSP is enforced by the browser,
so the filter, search and sort working also proves the inline script is allowed."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from tests.helpers.browser import ARTIFACTS, browser  # noqa: F401 (fixture)
from tests.helpers.playbook import REPO, run_playbook

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fleet(sandbox, tmp_path_factory):
    sandbox.reset()
    workdir = tmp_path_factory.mktemp("fleet")
    onboarded = run_playbook(sandbox, workdir)
    assert onboarded.returncode == 0, onboarded.output[-3000:]
    inventory = workdir / "inventory"
    shutil.copytree(REPO / "inventories/sandbox", inventory, ignore=shutil.ignore_patterns("credentials"))
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    hosts["tenants"]["hosts"]["acme"].update(sending_domain="mail2.acme.example",
                                             sender_address="marketing@mail2.acme.example")
    (inventory / "hosts.yml").write_text(yaml.safe_dump(hosts))
    sandbox.set_faults([{"component": "platform", "action": "*/tenants/initech/*", "kind": "http_500",
                         "count": 1000}])
    try:
        assert run_playbook(sandbox, workdir, "-i", str(inventory)).returncode != 0
        audited = run_playbook(sandbox, workdir, "-i", str(inventory), playbook="playbooks/audit.yml")
        assert audited.returncode != 0   # initech could not be checked in full
    finally:
        sandbox.clear_faults()
    return workdir / "reports"


@pytest.fixture
def page(browser, fleet):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto((fleet / "index.html").as_uri())
    yield opened
    context.close()
    assert errors == []   # a CSP refusal of the inline style or script shows here


def visible_tenants(page) -> list[str]:
    return page.eval_on_selector_all("#fleet tbody tr:not([hidden])", "rows => rows.map(r => r.id.slice(7))")


def test_the_page_counts_equal_index_json(page, fleet):
    index = json.loads((fleet / "index.json").read_text())["tenants"]
    statuses = {tenant["tenant_id"]: tenant["status"] for tenant in index}
    assert statuses == {"acme": "rebind pending", "globex": "verified and bound", "initech": "failed"}
    assert page.inner_text("#total") == str(len(index))
    for status in ("failed", "refused", "rebind pending", "incomplete", "verified and bound"):
        shown = page.inner_text(f'[data-count="{status}"] strong')
        assert int(shown) == list(statuses.values()).count(status), status
    assert sorted(visible_tenants(page)) == sorted(statuses)
    # those needing action come first
    assert visible_tenants(page)[-1] == "globex"


def test_the_status_filter_and_the_search_show_only_matching_tenants(page):
    page.select_option("#status-filter", "failed")
    assert visible_tenants(page) == ["initech"]
    assert page.inner_text("#shown").startswith("1 of 3")
    page.select_option("#status-filter", "needs-action")
    assert sorted(visible_tenants(page)) == ["acme", "initech"]
    page.select_option("#status-filter", "")
    page.fill("#search", "GLOBEX.example")
    assert visible_tenants(page) == ["globex"]
    page.fill("#search", "mail2.acme")   # the domain a pending rebind moves to
    assert visible_tenants(page) == ["acme"]
    page.fill("#search", "nothing-like-this")
    assert visible_tenants(page) == [] and page.inner_text("#shown").startswith("0 of 3")


def test_a_column_sorts_both_ways(page):
    page.click('th[data-column="tenant"] button')
    assert visible_tenants(page) == ["acme", "globex", "initech"]
    assert page.get_attribute('th[data-column="tenant"]', "aria-sort") == "ascending"
    page.click('th[data-column="tenant"] button')
    assert visible_tenants(page) == ["initech", "globex", "acme"]
    page.click('th[data-column="reputation"] button')   # numbers, not text: 60 < 82.5 < 95
    assert visible_tenants(page) == ["initech", "acme", "globex"]


def test_a_failed_tenant_and_a_pending_rebind_render_as_such(page, fleet):
    initech = page.locator("#tenant-initech")
    assert "failed" in initech.locator("td").nth(0).inner_text()
    error = json.loads((fleet / "initech.json").read_text())["error"]
    assert "HTTP 500" in initech.locator(".error").inner_text() and " Fix: " in error
    assert initech.locator(".fix").inner_text() == "Fix: " + error.split(" Fix: ", 1)[1]
    assert "could not check" in initech.inner_text()   # the audit's failed probe
    acme = page.locator("#tenant-acme")
    assert "rebind pending" in acme.inner_text()
    assert ("Rebind pending: bound to news.acme.example, the inventory asks for mail2.acme.example"
            in acme.inner_text())
    assert page.get_attribute("#tenant-acme a", "href") == "acme.md"
    globex = page.locator("#tenant-globex").inner_text()
    assert "key authenticates" in globex and "no drift" in globex and "SPF: verified" in globex
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fleet-page.png"), full_page=True)
    assert (ARTIFACTS / "fleet-page.png").stat().st_size > 10_000


CONTRAST = """marks => marks.map(m => {
  let node = m, background = 'rgba(0, 0, 0, 0)';
  while (node && (background === 'rgba(0, 0, 0, 0)' || background === 'transparent')) {
    background = getComputedStyle(node).backgroundColor; node = node.parentElement; }
  return [m.textContent, getComputedStyle(m).color, background]; })"""


def luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_accessibility_basics_headers_labels_text_marks_and_contrast(page):
    assert page.locator("html").get_attribute("lang") == "en"
    headers = page.eval_on_selector_all("#fleet thead th", "hs => hs.map(h => h.getAttribute('scope'))")
    assert headers and set(headers) == {"col"}
    assert page.locator("#fleet tbody th[scope=row]").count() == 3
    for control in ("status-filter", "search"):
        assert page.locator(f'label[for="{control}"]').inner_text().strip()
    marks = page.eval_on_selector_all(".mark", CONTRAST)
    assert len(marks) > 10
    for text, color, background in marks:
        assert text.strip().strip("\u2714\u2716\u25CB\u21C4?\u26A0").strip(), "a mark without text"
        lighter, darker = sorted((luminance(color), luminance(background)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (text, color, background)


def test_the_metrics_file_holds_the_same_fleet_as_the_page(fleet):
    from prometheus_client.parser import text_string_to_metric_families
    text = (fleet / "mailops.prom").read_text()
    found = {(sample.name, sample.labels.get("tenant") or sample.labels.get("run")): sample.value
             for family in text_string_to_metric_families(text) for sample in family.samples}
    assert found[("mailops_tenant_failed", "initech")] == 1 and found[("mailops_tenant_failed", "globex")] == 0
    assert found[("mailops_tenant_rebind_pending", "acme")] == 1
    assert found[("mailops_tenant_drift", "initech")] == 1 and found[("mailops_tenant_drift", "globex")] == 0
    assert found[("mailops_tenant_keys_probed_ok", "globex")] == found[("mailops_tenant_api_users", "globex")] == 2
    # the first run succeeded, the second failed initech; the audit could not check initech in full
    assert found[("mailops_run_tenants_failed", "onboard")] == 1
    assert found[("mailops_run_tenants_failed", "audit")] == 1
    assert found[("mailops_run_last_success_timestamp_seconds", "onboard")] > 0
    assert ("mailops_run_last_success_timestamp_seconds", "audit") not in found
    assert found[("mailops_run_duration_seconds", "onboard")] > 0
    assert found[("mailops_run_duration_seconds", "audit")] > 0
    assert 'domain="send.globex.example"' in text
