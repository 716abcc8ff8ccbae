"""Shared helpers for the reliability tests (faults, crashes, concurrent runs).

They run the real ``ansible-playbook onboard.yml`` against a sandbox and then judge what the
outside world holds, never Ansible's text: the SendCloud emulator's domains and API users, the
DNSPod zones (a full dump before and after), the platform's bindings, the credential files
(decrypted with ``ansible-vault view``) and the request log's ``fault`` column.

``python -m tests.helpers.reliability OUT_DIR docs/reliability.md`` folds the per-seed figures
the long series leaves in ``OUT_DIR`` into the figures section of docs/reliability.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from tests.helpers.playbook import BIN, REPO, PlaybookRun, playbook_env, run_playbook, tenants

VAULT_PASS = REPO / "inventories/sandbox/.vault_pass"
FAULT_KINDS = ("http_500", "timeout", "reset", "commit_then_drop")
# Injected into every API (SendCloud, DNSPod, the platform). The three kinds that replace the
# request share the 20 %: 1 - (1 - 0.072)**3 = 0.20 of all requests fail before handling; a write
# that got through commits and then loses its reply with another 20 %.
FAULT_RATE = 0.2
TIMEOUT_HOLD_S = 1.0   # below the modules' 15 s client timeout: a held request costs 1 s
MAX_RERUNS = 3
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|MODULE FAILURE|module_stderr")
# Where the long series leaves one JSON file per seed / crash point (make reliability).
OUT_ENV = "MAILOPS_RELIABILITY_OUT"


# ------------------------------------------------------------------------------ parameters
def seeds() -> list[int]:
    """``MAILOPS_RELIABILITY_SEEDS``: a count (seeds 1..N) or a comma list; CI default 2."""
    text = os.environ.get("MAILOPS_RELIABILITY_SEEDS", "2").strip()
    if "," in text:
        return [int(part) for part in text.split(",") if part.strip()]
    return list(range(1, int(text) + 1))


def long_series() -> bool:
    """``MAILOPS_RELIABILITY_LONG=1`` (make reliability): every crash point, not CI's subset."""
    return os.environ.get("MAILOPS_RELIABILITY_LONG", "") not in ("", "0")


def fault_rules(rate: float = FAULT_RATE, hold_s: float = TIMEOUT_HOLD_S) -> list[dict[str, Any]]:
    each = 1 - (1 - rate) ** (1 / 3)
    rules: list[dict[str, Any]] = [
        {"component": "*", "kind": kind, "probability": round(each, 4), "hold_s": hold_s}
        for kind in ("http_500", "timeout", "reset")
    ]
    rules.append({"component": "*", "kind": "commit_then_drop", "probability": rate})
    return rules


# ---------------------------------------------------------------------------- running
def start_playbook(sandbox: Any, workdir: Path, *args: str, playbook: str = "onboard.yml",
                   extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """ansible-playbook (onboard.yml unless told) in a session of its own, to be killed with
    kill_group; ``extra_env`` is added to its environment."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [str(BIN / "ansible-playbook"), playbook,
               "-e", f"mailops_report_dir={workdir / 'reports'}", *args]
    env = playbook_env(sandbox, workdir)
    env.update(extra_env or {})
    return subprocess.Popen(command, cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _signal(pids: set[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def kill_group(process: subprocess.Popen) -> str:
    """SIGKILL the playbook and every process it started. Ansible's workers call setsid(), so
    the process group alone would leave them (and the module they run) alive: the whole tree
    is frozen with SIGSTOP first (nothing forks or writes meanwhile), then killed at once."""
    stopped: set[int] = set()
    while True:
        tree = ({process.pid} | _descendants(process.pid)) - stopped
        if not tree:
            break
        _signal(tree, signal.SIGSTOP)
        stopped |= tree
    _signal(stopped, signal.SIGKILL)
    return process.communicate(timeout=30)[0]


def rows(sandbox: Any, **filters: Any) -> list[dict[str, Any]]:
    """The request log's rows matching ``filters`` (``status`` too, which the log can't filter)."""
    status = filters.pop("status", None)
    return [r for r in sandbox.requests(**filters) if status is None or r["status"] == status]


def wait_for_rows(sandbox: Any, process: subprocess.Popen, filters: dict[str, Any],
                  nth: int = 1, timeout: float = 180) -> bool:
    """Poll the request log until ``nth`` rows match; False if the run ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(rows(sandbox, **filters)) >= nth:
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.01)
    raise AssertionError(f"no request {filters} within {timeout}s")


def assert_clean(run: PlaybookRun) -> None:
    """Converged, or failed with a readable message: never a Python traceback."""
    assert not TRACEBACK.search(run.output), run.output[-4000:]
    if run.returncode != 0:
        failures = [line for line in run.output.splitlines() if "FAILED!" in line]
        assert failures, run.output[-4000:]
        for line in failures:
            assert '"msg": "' in line and '"msg": ""' not in line, line


def failure_messages(runs: list[PlaybookRun]) -> list[str]:
    """The message of each failed task in ``runs``: why a rerun was needed. Once each: the last
    play fails a failed tenant again with the same message."""
    found: list[str] = []
    for run in runs:
        for line in run.output.splitlines():
            if "FAILED!" in line:
                message = re.search(r'"msg": "((?:[^"\\]|\\.)*)"', line)
                text = (message.group(1) if message else line)[:300]
                if text not in found:
                    found.append(text)
    return found


def converge(sandbox: Any, workdir: Path, *args: str,
             max_reruns: int = MAX_RERUNS) -> list[PlaybookRun]:
    """Run, and rerun a failed run at most ``max_reruns`` times; every run must be clean."""
    runs = []
    for _ in range(max_reruns + 1):
        run = run_playbook(sandbox, workdir, *args)
        assert_clean(run)
        runs.append(run)
        if run.returncode == 0:
            return runs
    raise AssertionError(f"no convergence after {max_reruns} reruns:\n{runs[-1].output[-4000:]}")


def faults_fired(sandbox: Any) -> dict[str, int]:
    counted = Counter(row["fault"] for row in sandbox.requests() if row["fault"])
    return {kind: counted.get(kind, 0) for kind in FAULT_KINDS}


# ------------------------------------------------------------------------ the outside world
def _sendcloud(sandbox: Any, spec: dict[str, Any], action: str, **form: str) -> dict[str, Any]:
    prefix = "api" if spec.get("sendcloud_edition") == "overseas" else "apiv2"
    if "apiUser" not in form:
        account = next(a for a in sandbox.seed["sendcloud"]["accounts"]
                       if a["api_user"] == spec["sendcloud_api_user"])
        form.update(apiUser=account["api_user"], apiKey=account["api_key"])
    response = requests.post(f"{sandbox.sendcloud_url}/{prefix}/{action}", data=form, timeout=10)
    return response.json()


def zone_of(spec: dict[str, Any]) -> str:
    return spec["sending_domain"].split(".", 1)[1]


def zone_dump(sandbox: Any, zone: str) -> set[tuple[str, str, str, int]]:
    """Every record of the zone: (fqdn, type, value, mx), values normalised."""
    listed = sandbox.dnspod_call(zone, "DescribeRecordList", {"Domain": zone, "Limit": 3000})
    return {_record(zone, item) for item in listed["RecordList"]}


def _record(zone: str, item: dict[str, Any]) -> tuple[str, str, str, int]:
    name = zone if item["Name"] == "@" else f"{item['Name']}.{zone}"
    return (name.lower(), item["Type"], _value(item["Type"], item["Value"]), int(item.get("MX") or 0))


def _value(rtype: str, value: str) -> str:
    value = str(value).strip()
    if rtype == "TXT" and value.startswith('"'):
        value = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', value))
    if rtype in ("MX", "CNAME"):
        value = value.rstrip(".").lower()
    return value


def zone_dumps(sandbox: Any) -> dict[str, set[tuple[str, str, str, int]]]:
    return {zone_of(spec): zone_dump(sandbox, zone_of(spec)) for spec in tenants(sandbox).values()}


def desired_records(domain_item: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    """What SendCloud asks for, in zone_dump's shape (SPF: the mechanism that must be there)."""
    wanted = []
    for key, rtype in (("spf", "TXT"), ("dkim", "TXT"), ("dmarc", "TXT"), ("verifyKey", "TXT"),
                       ("mx", "MX"), ("cname", "CNAME")):
        if f"{key}.domain" not in domain_item:
            continue
        name = str(domain_item[f"{key}.domain"]).rstrip(".").lower()
        value, priority = str(domain_item[f"{key}.value"]).strip(), 0
        if rtype == "MX":
            parts = value.split()
            priority, value = (int(parts[0]), parts[1]) if len(parts) == 2 else (10, value)
        wanted.append((name, rtype, _value(rtype, value), priority))
    return wanted


def _is_spf(record: tuple) -> bool:
    return record[1] == "TXT" and record[2].lower().startswith("v=spf1")


def _satisfies(record: tuple, wanted: tuple) -> bool:
    if record[:2] != wanted[:2]:
        return False
    if _is_spf(wanted):   # merged into an existing SPF record: its include must be there
        return _is_spf(record) and set(wanted[2].split()[1:-1]) <= set(record[2].split())
    return record[2] == wanted[2] and (record[1] != "MX" or record[3] == wanted[3])


@dataclass
class Figures:
    """What one convergence check found; every count but ``orphan_api_users`` must be 0."""

    duplicates: list[str] = field(default_factory=list)
    keys_lost: list[str] = field(default_factory=list)
    bad_bindings: list[str] = field(default_factory=list)
    unmanaged_changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    orphan_api_users: int = 0

    def assert_ok(self) -> None:
        problems = {k: v for k, v in self.__dict__.items() if v and k != "orphan_api_users"}
        assert not problems, problems

    def counts(self) -> dict[str, int]:
        return {k: (v if isinstance(v, int) else len(v)) for k, v in self.__dict__.items()}


def credentials(workdir: Path, tenant: str) -> dict[str, Any]:
    path = workdir / "credentials" / f"{tenant}.vault.yml"
    if not path.exists():
        return {}
    shown = subprocess.run([str(BIN / "ansible-vault"), "view", "--vault-id",
                            f"sandbox@{VAULT_PASS}", str(path)],
                           capture_output=True, text=True, check=True)
    return yaml.safe_load(shown.stdout) or {}


def check_converged(sandbox: Any, workdir: Path, before: dict[str, set],
                    only: list[str] | None = None) -> Figures:
    """Judge the outside world after the runs converged (faults must be cleared first)."""
    figures = Figures()
    after = zone_dumps(sandbox)
    for tenant, spec in tenants(sandbox).items():
        if only is not None and tenant not in only:
            if before[zone_of(spec)] != after[zone_of(spec)]:
                figures.unmanaged_changed.append(f"{tenant}: zone of a tenant not run changed")
            continue
        domain = spec["sending_domain"]
        zone = zone_of(spec)
        # SendCloud: the domain once, each API user once, each key stored and working
        domains = _sendcloud(sandbox, spec, "domain/list")["info"]["dataList"]
        named = [d for d in domains if d["name"] == domain]
        if len(named) != 1:
            figures.duplicates.append(f"{tenant}: domain {domain} listed {len(named)} times")
            continue
        users = _sendcloud(sandbox, spec, "apiuser/list")["info"]["dataList"]
        names = Counter(u["name"] for u in users)
        figures.duplicates += [f"{tenant}: API user {n} x{c}" for n, c in names.items() if c > 1]
        figures.orphan_api_users += sum(1 for n in names if "_orphan" in n)
        stored = credentials(workdir, tenant)
        if stored.get("pending"):
            figures.keys_lost.append(f"{tenant}: create journal still pending {stored['pending']}")
        keys = {n: e.get("key") for n, e in (stored.get("api_users") or {}).items()}
        token = sandbox.seed["platform"]["tokens"][tenant]
        binding = requests.get(f"{sandbox.platform_url}/api/v1/tenants/{tenant}/binding",
                               headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        if binding.get("sending_domain") != domain:
            figures.bad_bindings.append(f"{tenant}: bound to {binding.get('sending_domain')}")
        for role in ("batch", "trigger"):
            name = f"{tenant}_{role}"
            if names.get(name) != 1:
                figures.missing.append(f"{tenant}: API user {name}")
                continue
            key = keys.get(name)
            answer = _sendcloud(sandbox, spec, "userinfo/get", apiUser=name, apiKey=key or "-")
            if not key or answer.get("result") is not True:
                figures.keys_lost.append(f"{tenant}: {name}")
                continue
            bound = (binding.get("api_users") or {}).get(role) or {}
            if bound.get("name") != name or \
                    bound.get("key_sha256") != hashlib.sha256(key.encode()).hexdigest():
                figures.bad_bindings.append(f"{tenant}: {role} binding {bound}")
        # DNS: every wanted record exactly once; nothing else changed
        wanted = desired_records(named[0])
        managed = {(w[0], w[1]) for w in wanted}
        for item in wanted:
            found = [r for r in after[zone] if _satisfies(r, item)]
            if _is_spf(item):
                found = [r for r in after[zone] if r[:2] == item[:2] and _is_spf(r)]
            if not found:
                figures.missing.append(f"{tenant}: record {item}")
            elif len(found) > 1:
                figures.duplicates.append(f"{tenant}: record {item[:2]} x{len(found)}")
        ours = {r for r in after[zone] if any(_satisfies(r, w) for w in wanted)}
        unmanaged_before = {r for r in before[zone] if not (r[:2] in managed and _is_spf(r))}
        figures.unmanaged_changed += [f"{tenant}: removed {r}"
                                      for r in sorted(unmanaged_before - after[zone])]
        figures.unmanaged_changed += [f"{tenant}: added {r}"
                                      for r in sorted(after[zone] - before[zone] - ours)]
    return figures


# ----------------------------------------------------------------------------- the report
def record(name: str, data: dict[str, Any]) -> None:
    """Leave one JSON result for the docs/reliability.md figures (only when OUT_ENV is set)."""
    out = os.environ.get(OUT_ENV)
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True))


BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


def render(results: list[dict[str, Any]]) -> str:
    series = [r for r in results if r["kind"] == "faults"]
    crashes = [r for r in results if r["kind"] == "crash"]
    concurrent = [r for r in results if r["kind"] == "concurrency"]
    total = Counter()
    for r in series:
        total.update(r["faults"])
    lines = [BEGIN, "", f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.", ""]
    lines += ["### Fault series (20 % faults on every API, all three tenants)", "",
              "| seed | runs | reruns | requests | http_500 | timeout | reset | commit_then_drop "
              "| duplicates | keys lost | unmanaged records changed | keyless orphans renamed |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(series, key=lambda r: r["seed"]):
        f, c = r["faults"], r.get("figures") or {}
        if "figures" not in r:
            lines.append(f"| {r['seed']} | {r['runs']} | more than {r['runs'] - 1} "
                         f"(did not converge) | {r['requests']} | {f['http_500']} "
                         f"| {f['timeout']} | {f['reset']} | {f['commit_then_drop']} | | | | |")
            continue
        lines.append(f"| {r['seed']} | {r['runs']} | {r['runs'] - 1} | {r['requests']} "
                     f"| {f['http_500']} | {f['timeout']} | {f['reset']} | {f['commit_then_drop']} "
                     f"| {c['duplicates']} | {c['keys_lost']} | {c['unmanaged_changed']} "
                     f"| {c['orphan_api_users']} |")
    converged = [r for r in series if "figures" in r]
    if series:
        rerun_counts = Counter(r["runs"] - 1 for r in converged)
        lines += ["", f"{len(series)} seeds, {sum(r['runs'] for r in series)} runs; reruns needed: "
                  + ", ".join(f"{n} on {k} seed(s)" for n, k in sorted(rerun_counts.items()))
                  + f"; did not converge within {MAX_RERUNS} reruns: "
                  + f"{len(series) - len(converged)} seed(s)"
                  + ". Faults fired: " + ", ".join(f"{k} {total[k]}" for k in FAULT_KINDS)
                  + f" ({sum(total.values())} of {sum(r['requests'] for r in series)} requests)."
                  + " Duplicates found: "
                  + f"{sum(r['figures']['duplicates'] for r in converged)}, keys lost: "
                  + f"{sum(r['figures']['keys_lost'] for r in converged)}, unmanaged records "
                  + f"changed: {sum(r['figures']['unmanaged_changed'] for r in converged)}."]
    reasons = [r for r in sorted(converged, key=lambda r: r["seed"]) if r.get("rerun_because")]
    if reasons:
        lines += ["", "Why a rerun was needed (the failed tasks' messages of the runs before the "
                  "last):", ""]
        lines += [f"- seed {r['seed']}: " + "; ".join(r["rerun_because"]) for r in reasons]
    if crashes:
        lines += ["", "### Crashes (SIGKILL of the whole process tree, then one rerun)", "",
                  "| kill point | killed | reruns | duplicates | keys lost "
                  "| unmanaged records changed | keyless orphans renamed |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for r in sorted(crashes, key=lambda r: r["point"]):
            c = r["figures"]
            point = r["point"].replace("|", "\\|")
            lines.append(f"| {point} | {'yes' if r['killed'] else 'run ended first'} "
                         f"| {r['runs']} | {c['duplicates']} | {c['keys_lost']} "
                         f"| {c['unmanaged_changed']} | {c['orphan_api_users']} |")
    for r in (r for r in results if r["kind"] == "bind"):
        lines += ["", f"BIND over RFC 2136 (tests/integration/test_rfc2136_bind.py's server): "
                  f"{r['zones']} zones dumped whole by AXFR before and after "
                  f"({r['records_before']} records), unmanaged records changed: "
                  f"{r['unmanaged_changed']}."]
    if concurrent:
        lines += ["", "### Concurrent runs", ""]
        lines += [f"- {r['name']}: {r['summary']}" for r in sorted(concurrent, key=lambda r: r["name"])]
    lines += ["", END]
    return "\n".join(lines)


def write_report(out_dir: Path, doc: Path) -> None:
    results = [json.loads(p.read_text()) for p in sorted(out_dir.glob("*.json"))]
    text = doc.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    doc.write_text(text[:start] + render(results) + text[end:])


if __name__ == "__main__":
    write_report(Path(sys.argv[1]), Path(sys.argv[2]))
