"""make sanity: ``ansible-test sanity`` on a collection view of the project's plugins, offline.

1. Builds the view (scripts/collection_view.py) in a temporary directory.
2. Gives ansible-test a home of its own under ``.cache/ansible-test/`` (git-ignored, kept between
   runs so its venvs are made once) and seeds there the pip bootstrap it would otherwise fetch
   from ci-files.testing.ansible.com: a pip wheel (fetched with pip, from the package index) and
   a ``get_pip_<version>.py`` that installs from it.
3. Prepares the sanity venvs (``--prime-venvs``) and lets validate-modules' venv see this
   project's runtime packages (a ``.pth`` file): validate-modules imports each module to read its
   argument spec, and our modules import requests, dnspython and cryptography, which
   requirements.txt installs wherever they run.
4. Runs every sanity test that applies (see SKIPPED for the others and why).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from ansible_test._internal.python_requirements import get_venv_packages

from scripts.collection_view import build

REPO = Path(__file__).resolve().parent.parent
TEST_HOME = REPO / ".cache" / "ansible-test"
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SKIPPED = {
    "import": "modules import their runtime packages unguarded: they run on the controller's "
              "Python, where requirements.txt is installed",
    "pep8": "ruff (make lint) is the project's style check",
    "pylint": "ruff (make lint) is the project's lint",
    "pslint": "no PowerShell",
    "shellcheck": "no shell plugins",
}
GET_PIP = '''"""Seeded by scripts/sanity.py: installs pip from the wheel beside this file (offline)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "{wheel}"))
from pip._internal.cli.main import main  # noqa: E402

sys.exit(main(["install", *[a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]]))
'''


class _Python:
    version = PYTHON


def pip_version() -> str:
    """The pip ansible-test bootstraps into its venvs (ansible-test's own table)."""
    return get_venv_packages(_Python())["pip"]  # type: ignore[arg-type]


def seed_pip_bootstrap() -> None:
    version = pip_version()
    cache = TEST_HOME / ".ansible" / "test" / "cache"
    script = cache / f"get_pip_{version.replace('.', '_')}.py"
    wheel = f"pip-{version}-py3-none-any.whl"
    if script.exists() and (cache / wheel).exists():
        return
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    f"pip=={version}", "-d", str(cache)], check=True)
    script.write_text(GET_PIP.format(wheel=wheel), encoding="utf-8")


def see_runtime_packages() -> None:
    """A .pth in each validate-modules venv naming this Python's site-packages (after its own)."""
    runtime = sysconfig.get_paths()["purelib"]
    venvs = TEST_HOME / ".ansible" / "test" / "venv" / "sanity.validate-modules"
    for site in venvs.glob(f"{PYTHON}/*/lib/python{PYTHON}/site-packages"):
        (site / "mailops-runtime.pth").write_text(runtime + "\n", encoding="utf-8")


def ansible_test(collection: Path, *args: str) -> int:
    env = {**os.environ, "HOME": str(TEST_HOME)}
    command = ["ansible-test", "sanity", "--python", PYTHON, "--venv", "--color", "no", *args]
    for test in SKIPPED:
        command += ["--skip-test", test]
    return subprocess.run(command, cwd=collection, env=env, check=False).returncode


def main() -> int:
    seed_pip_bootstrap()
    with tempfile.TemporaryDirectory(prefix="mailops-sanity-") as view:
        collection = build(Path(view))
        if ansible_test(collection, "--prime-venvs") != 0:
            return 1
        see_runtime_packages()
        return ansible_test(collection, *sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
