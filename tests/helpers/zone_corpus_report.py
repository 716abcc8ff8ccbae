"""The zone corpus's summary: its table (case x policy x provider) and the DNS safety figure,
printed at the end of the session from the row each corpus test records as a test property.

The rows travel in the test reports, so under xdist the controller sees every case whichever
worker ran it. Each case asserts its own figures; this only adds them up and shows them.
"""

from __future__ import annotations

from typing import Any

import pytest

ROW_PROPERTY = "zone_corpus_row"
COLUMNS = ["plan", "apply", "second run", "dkim", "audit", "unmanaged", "unmanaged changed",
           "unplanned writes"]

_rows: dict[str, dict[str, Any]] = {}  # test id -> its row


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == ROW_PROPERTY:
            _rows[report.nodeid] = value


def summary_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| case | on_conflict | provider | " + " | ".join(COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for row in sorted(rows, key=lambda r: (r["case"], r["on_conflict"], r["provider"])):
        cells = [str(row.get(column, "-")) for column in COLUMNS]
        lines.append(f"| {row['case']} | {row['on_conflict']} | {row['provider']} | "
                     + " | ".join(cells) + " |")
    unfinished = sum(1 for row in rows if row["unmanaged changed"] is None)
    figure = sum(row["unmanaged changed"] or 0 for row in rows)
    unplanned = sum(row.get("unplanned writes") or 0 for row in rows)
    lines.append(f"\nDNS safety figure: {figure} unmanaged records changed across "
                 f"{len(rows)} runs ({unfinished} did not finish); unplanned writes: {unplanned}")
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _rows:
        terminalreporter.section("Zone corpus")
        for line in summary_lines(list(_rows.values())):
            terminalreporter.write_line(line)
