"""Install the awx.awx collection into ./collections (ansible.cfg's collections_path, git-ignored)
for the lint and syntax check of the AWX configuration playbook (awx/configure.yml).

Galaxy is not reachable from CI, and the ``ansible`` package stopped shipping awx.awx after its
9.x series; its 9.13.0 wheel holds awx.awx 23.9.0. This downloads that wheel with pip (pinned,
from the package index the project already uses) into .cache/ and copies the collection out of
it. Running the playbook needs an AWX (docs/awx.md).

    python -m scripts.install_awx_collection
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WHEEL_REQUIREMENT = "ansible==9.13.0"
PREFIX = "ansible_collections/awx/awx/"
TARGET = REPO / "collections" / PREFIX
CACHE = REPO / ".cache" / "awx-collection"


def main() -> int:
    if (TARGET / "MANIFEST.json").exists():
        return 0
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE.glob("ansible-9.13.0-*.whl"))
    if not wheels:
        print(f"== downloading the {WHEEL_REQUIREMENT} wheel for its awx.awx collection")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--progress-bar",
                        "off", "-d", str(CACHE), WHEEL_REQUIREMENT], check=True)
        wheels = sorted(CACHE.glob("ansible-9.13.0-*.whl"))
    staging = TARGET.with_name("awx.installing")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in wheel.namelist():
            if name.startswith(PREFIX) and not name.endswith("/"):
                destination = staging / name[len(PREFIX):]
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(wheel.read(name))
    shutil.rmtree(TARGET, ignore_errors=True)
    staging.rename(TARGET)
    print(f"== awx.awx installed in {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
