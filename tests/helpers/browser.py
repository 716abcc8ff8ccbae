"""A real headless Chromium from Debian's packages (``chromium``, installed by
scripts/ensure-system-packages), driven by Playwright for Python. Playwright's own browser
download cannot be reached from here, so it is pointed at /usr/bin/chromium. Tests using it are
skipped when Chromium is absent (a host where the packages could not be installed)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("MAILOPS_CHROMIUM", "/usr/bin/chromium")
# what Debian's Chromium needs as root in a container, and no connection of its own
# (background networking, component updates and sync would each try the closed network)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MAILOPS_TEST_ARTIFACTS", REPO / "test-artifacts"))


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/ensure-system-packages installs it as root)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
