"""The bench repeats the project and the empty-task floor and keeps, per run, the median
sample's record: a slow or fast moment of the VM must not decide the floor ratio."""

from __future__ import annotations

from bench import report
from bench.run import medians


def record(wall: float, ok: bool = True, reads: int = 5) -> dict:
    return {"wall_s": wall, "ok": ok, "reads_per_tenant": reads}


def test_each_run_takes_the_record_of_its_own_median_sample():
    samples = [
        {"project_first": record(19.0, reads=12), "floor_ansible": record(6.0)},
        {"project_first": record(14.0, reads=13), "floor_ansible": record(8.0)},
        {"project_first": record(15.0, reads=14), "floor_ansible": record(7.0)},
    ]
    merged = medians(samples)
    assert merged["project_first"]["wall_s"] == 15.0
    assert merged["project_first"]["reads_per_tenant"] == 14  # that sample's own figures
    assert merged["project_first"]["wall_s_samples"] == [19.0, 14.0, 15.0]
    assert merged["floor_ansible"]["wall_s"] == 7.0


def test_a_failed_sample_ranks_last_so_one_failure_in_three_is_not_the_median():
    samples = [{"project_first": record(5.0, ok=False)},
               {"project_first": record(15.0)}, {"project_first": record(16.0)}]
    assert medians(samples)["project_first"]["wall_s"] == 16.0


def test_two_samples_take_the_faster_and_the_table_lists_every_sample():
    merged = medians([{"project_first": record(15.0)}, {"project_first": record(14.0)}])
    assert merged["project_first"]["wall_s"] == 14.0
    row = {**merged["project_first"], "tenants": 100, "wall_s_per_tenant": 0.14,
           "rss_mb": 80, "cpu_s": 20.0, "returncode": 0}
    table = "\n".join(report._run_table({"project_first": row}))
    assert "median of 15, 14" in table


def test_the_summary_compares_the_first_runs_cpu_with_the_floors():
    runs = {"project_first": {**record(14.0), "cpu_s": 19.0},
            "floor_ansible": {**record(6.0), "cpu_s": 11.5}}
    results = {"runs": runs, "floor": {"first_s": 8.0, "noop_s": 6.5, "module_first_s": None},
               "scale": {}}
    assert report.summary(results)["first_run_cpu_vs_floor"] == 1.65


def test_the_delayed_runs_are_compared_with_the_waits_plus_the_same_first_run():
    def run(wall: float, cpu: float) -> dict:
        return {"ok": True, "wall_s": wall, "cpu_s": cpu}

    results = {"parameters": {"dns_delay_s": 30, "verify_lag_s": 60},
               "floor": {"first_s": None, "noop_s": None, "module_first_s": None}, "scale": {},
               "runs": {"project_first": run(14.0, 20.0), "project_scale_first": run(130.0, 180.0),
                        "project_delayed_first": run(104.0 * 1.1, 24.0),
                        "project_delayed_scale_first": run(220.0 * 1.2, 200.0)}}
    summary = report.summary(results)
    assert summary["delayed_100_vs_model"] == 1.1
    assert summary["delayed_1000_vs_model"] == 1.2
    assert summary["delayed_cpu_ratio"] == 1.2


def test_the_delayed_rebind_is_compared_with_the_waits_plus_the_same_rebind():
    results = {"parameters": {"dns_delay_s": 30, "verify_lag_s": 60},
               "floor": {"first_s": None, "noop_s": None, "module_first_s": None}, "scale": {},
               "runs": {"rebind": {"ok": True, "wall_s": 40.0, "cpu_s": 30.0},
                        "rebind_delayed": {"ok": True, "wall_s": 130.0 * 1.15, "cpu_s": 33.0}}}
    assert report.summary(results)["rebind_delayed_100_vs_model"] == 1.15
