"""`make bench` / `python -m bench.run`: every figure of issue 9 in one invocation.

Scenarios, each against fresh state, all on this machine in this run:
  project first run and no-op rerun, N generated tenants, private sandbox, injected latency;
  the naive baseline (bench/baseline/onboard.yml), same tenants, fresh sandbox;
  the floor: one empty task per tenant per stage (bench/playbooks/floor_empty.yml), and one
    module call per tenant per stage (floor.yml);
  the DNS stage alone against one BIND9 with N zones: dns_record_set vs community.general.nsupdate;
  the project's first run at a larger scale, for linearity and RSS;
  the project's first run with the services' waits (delayed_*): every zone serves a change
    BENCH_DNS_DELAY_S after it, SendCloud verifies BENCH_VERIFY_LAG_S after that, at N and at
    the scale point.
Results: bench/results/latest.json and latest.md (see docs/bench.md).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import ansible_run, bind, config, report, sandbox_env, tenants

REPO = config.REPO
ONBOARD = config.project_dir() / "onboard.yml"
REBIND = config.project_dir() / "rebind.yml"
# every tenant of the run, in one change window (an emergency: the bench runs at any time)
# rebind_retire_after=0: the old domains retire in the run that switches, as before the grace
# period existed, so the rebind scenarios stay comparable with their history
REBIND_ARGS = ("-l", "tenants", "-e", "change_ticket=CHG-1", "-e", "rebind_emergency=true",
               "-e", "rebind_emergency_reason=bench", "-e", "rebind_retire_after=0")
NAIVE = REPO / "bench/baseline/onboard.yml"
PLAYBOOKS = REPO / "bench/playbooks"
# Onboarding N new tenants at once is the bulk change the safety rail max_changed_tenants
# (default 25) guards; the bench confirms it as an operator would.
PROJECT_ARGS = ("-e", "force=true")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_record(result: ansible_run.RunResult, count: int,
               api: dict[str, Any] | None = None) -> dict[str, Any]:
    record = asdict(result)
    record["ok"] = result.ok
    record["tenants"] = count
    record["wall_s_per_tenant"] = round(result.wall_s / count, 3)
    if api is not None:
        record["api"] = api
        record["reads_per_tenant"] = round(api["reads"] / count, 2)
        record["writes_per_tenant"] = round(api["writes"] / count, 2)
    status = "ok" if result.ok else f"FAILED (rc {result.returncode})"
    log(f"{result.name}: {result.wall_s:.1f} s, {result.rss_mb} MB, {status}")
    if not result.ok:
        print(result.output_tail, file=sys.stderr)
    return record


def onboarding(name: str, playbook: Path, root: Path, count: int, params: config.Params,
               passes: tuple[str, ...] = ("first", "noop"),
               args: tuple[str, ...] = (), delayed: bool = False) -> dict[str, dict[str, Any]]:
    """Runs ``playbook`` once per pass against a fresh sandbox seeded with ``count`` tenants
    (``delayed``: with the DNS delay and the verification lag of ``params``)."""
    handle = sandbox_env.start(root / "sandbox", count, params.latency_ms,
                               params.dns_delay_s if delayed else 0,
                               params.verify_lag_s if delayed else 0)
    records: dict[str, dict[str, Any]] = {}
    try:
        inventory = tenants.write_inventory(root / "inventory", count, tenants.literal_endpoints(
            handle.env, ansible_run.credentials_dir(root / "work")))
        env = {**handle.env, "ANSIBLE_FORKS": str(params.forks)}
        for label in passes:
            since = sandbox_env.last_request_id(handle)
            result = ansible_run.run(f"{name}_{label}", playbook, inventory / "hosts.yml",
                                     root / "work", extra_env=env, args=args)
            records[f"{name}_{label}"] = run_record(result, count,
                                                    sandbox_env.api_calls(handle, since))
    finally:
        handle.stop()
    return records


def rebinding(name: str, root: Path, count: int, params: config.Params,
              delayed: bool) -> dict[str, dict[str, Any]]:
    """N tenants onboarded (not timed), then each moved to a new sending domain in its zone
    (mail.<zone> for news.<zone>) by one rebind.yml run, timed."""
    handle = sandbox_env.start(root / "sandbox", count, params.latency_ms,
                               params.dns_delay_s if delayed else 0,
                               params.verify_lag_s if delayed else 0)
    try:
        endpoints = tenants.literal_endpoints(handle.env, ansible_run.credentials_dir(root / "work"))
        env = {**handle.env, "ANSIBLE_FORKS": str(params.forks)}
        onboarded = tenants.write_inventory(root / "inventory", count, endpoints)
        setup = ansible_run.run(f"{name}_setup", ONBOARD, onboarded / "hosts.yml", root / "work",
                                extra_env=env, args=PROJECT_ARGS)
        if not setup.ok:
            return {name: run_record(setup, count)}
        moved = tenants.write_inventory(root / "inventory-moved", count, endpoints, label="mail")
        since = sandbox_env.last_request_id(handle)
        ticket_covers = ",".join(tenants.tenant_id(i) for i in range(count))
        result = ansible_run.run(name, REBIND, moved / "hosts.yml", root / "work", extra_env=env,
                                 args=(*REBIND_ARGS, "-e", f"rebind_tenants={ticket_covers}"))
        return {name: run_record(result, count, sandbox_env.api_calls(handle, since))}
    finally:
        handle.stop()


def floor(root: Path, count: int, params: config.Params,
          playbooks: tuple[tuple[str, str], ...]) -> dict[str, dict[str, Any]]:
    """Ansible's own cost: an empty task per tenant per stage (floor_ansible), and a module
    (ping) per stage (floor_module)."""
    inventory = tenants.write_inventory(root / "inventory", count)
    records = {}
    for name, playbook in playbooks:
        result = ansible_run.run(name, PLAYBOOKS / playbook, inventory / "hosts.yml",
                                 root / "work", extra_env={"ANSIBLE_FORKS": str(params.forks)})
        records[name] = run_record(result, count)
    return records


def medians(samples: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per run name, the record of the sample with the median wall time, with every
    sample's wall time in ``wall_s_samples`` (in the order they ran)."""
    merged = {}
    for name in samples[0]:
        records = [sample[name] for sample in samples]
        ranked = sorted(records, key=lambda record: (not record["ok"], record["wall_s"]))
        merged[name] = {**ranked[(len(ranked) - 1) // 2],
                        "wall_s_samples": [record["wall_s"] for record in records]}
    return merged


def project_and_floor(root: Path, params: config.Params) -> dict[str, dict[str, Any]]:
    """The runs the floor ratio compares, interleaved ``repeat`` times (floor, then the
    project's first run and no-op), each figure the median: this VM's speed drifts by 20 % and
    more over minutes, which one run of each, minutes apart, turned into the ratio."""
    samples = []
    for index in range(params.repeat):
        sample: dict[str, dict[str, Any]] = {}
        if "floor" not in params.skip:
            sample |= floor(root / f"floor-{index}", params.tenants, params,
                            (("floor_ansible", "floor_empty.yml"),))
        if "project" not in params.skip:
            sample |= onboarding("project", ONBOARD, root / f"project-{index}", params.tenants,
                                 params, args=PROJECT_ARGS)
        samples.append(sample)
    return medians(samples) if samples[0] else {}


def dns_stage(root: Path, count: int, params: config.Params) -> dict[str, dict[str, Any]]:
    """dns_record_set vs nsupdate, each against its own fresh BIND9 with ``count`` zones."""
    if not bind.available():
        log("BIND9 (named) missing: DNS stage skipped (make system-packages installs it)")
        return {}
    collections = config.ensure_bench_venv()
    inventory = tenants.write_inventory(root / "inventory", count)
    zones = [tenants.zone_of(i) for i in range(count)]
    env = {"ANSIBLE_FORKS": str(params.forks), "ANSIBLE_COLLECTIONS_PATH": str(collections)}
    records: dict[str, dict[str, Any]] = {}
    for name in ("dns_project", "dns_nsupdate"):
        with bind.running(root / f"bind-{name}", zones) as server:
            extra_vars = root / f"{name}.vars.json"
            extra_vars.write_text(json.dumps(server.extra_vars()))
            for label in ("first", "rerun"):
                result = ansible_run.run(f"{name}_{label}", PLAYBOOKS / f"{name}.yml",
                                         inventory / "hosts.yml", root / "work", extra_env=env,
                                         args=("-e", f"@{extra_vars}"))
                records[f"{name}_{label}"] = run_record(result, count)
    return records


def scenarios(root: Path, params: config.Params) -> dict[str, dict[str, Any]]:
    n = params.tenants
    runs: dict[str, dict[str, Any]] = {}
    log(f"{n} tenants, {params.latency_ms} ms latency, forks {params.forks}, "
        f"project and floor {params.repeat}x; work dir {root}")
    runs |= project_and_floor(root, params)
    if "naive" not in params.skip:
        runs |= onboarding("naive", NAIVE, root / "naive", n, params)
    if "floor" not in params.skip and "floor_module" not in params.skip:
        runs |= floor(root / "floor", n, params, (("floor_module", "floor.yml"),))
    if "dns" not in params.skip:
        runs |= dns_stage(root / "dns", n, params)
    if "scale" not in params.skip and params.scale_tenants > 0:
        scale = onboarding("scale", ONBOARD, root / "scale", params.scale_tenants, params,
                           passes=("first",), args=PROJECT_ARGS)
        runs |= {"project_scale_first": scale["scale_first"]}
    for name, count in (("delayed", n), ("delayed_scale", params.scale_tenants)):
        if name not in params.skip and count > 0:
            log(f"{name}: {count} tenants, DNS delay {params.dns_delay_s} s, verification lag "
                f"{params.verify_lag_s} s")
            delayed = onboarding(name, ONBOARD, root / name, count, params, passes=("first",),
                                 args=PROJECT_ARGS, delayed=True)
            runs |= {f"project_{name}_first": delayed[f"{name}_first"]}
    for name, delayed_run in (("rebind", False), ("rebind_delayed", True)):
        if name not in params.skip:
            log(f"{name}: {n} tenants onboarded, then rebound in one run")
            runs |= rebinding(name, root / name, n, params, delayed_run)
    return runs


def main() -> int:
    params = config.Params.from_env()
    results: dict[str, Any] = {"parameters": params.as_dict(), "machine": config.machine()}
    root = Path(tempfile.mkdtemp(prefix="mailops-bench-"))
    started = time.monotonic()
    try:
        results["runs"] = scenarios(root, params)
    finally:
        if not params.keep:
            shutil.rmtree(root, ignore_errors=True)
    results["bench_wall_s"] = round(time.monotonic() - started, 1)
    report.complete(results)
    paths = report.write(results, REPO / "bench/results")
    print(paths["md"].read_text())
    log(f"written: {', '.join(str(p.relative_to(REPO)) for p in paths.values())}")
    return 0 if all(run["ok"] for run in results["runs"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
