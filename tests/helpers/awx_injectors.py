"""Render an AWX custom credential type's injectors as AWX does, for a job's private data
directory (awx/main/models/credential: CredentialType.inject_credential, read for this):

- the namespace is the credential's non-empty inputs, plus ``tower`` (``tower.filename``);
- each ``file`` injector is rendered into a new file in ``<private_data_dir>/env/`` (mode 0600),
  named ``tower.filename`` (one file) or ``tower.filename.<label>`` (``template.<label>``);
- ``env`` injectors become environment variables of the job;
- ``extra_vars`` injectors are rendered and written to a file of their own in ``env/``, every
  string marked ``!unsafe`` (AWX's safe_dump: a value is never templated again), and given to
  ansible-playbook as ``-e @file``.

Jinja2's ImmutableSandboxedEnvironment renders, as in AWX.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment


@dataclass
class Injected:
    env: dict[str, str] = field(default_factory=dict)
    extra_vars_files: list[Path] = field(default_factory=list)

    def add(self, other: Injected) -> None:
        self.env.update(other.env)
        self.extra_vars_files += other.extra_vars_files


class _UnsafeDumper(yaml.SafeDumper):
    pass


def _unsafe_string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("!unsafe", value)


_UnsafeDumper.add_representer(str, _unsafe_string)


def inject(credential_type: dict[str, Any], inputs: dict[str, Any],
           private_data_dir: Path) -> Injected:
    env_dir = private_data_dir / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    sandbox = ImmutableSandboxedEnvironment()
    tower = SimpleNamespace()
    namespace: dict[str, Any] = {"tower": tower}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    injectors = credential_type.get("injectors") or {}
    for label, template in (injectors.get("file") or {}).items():
        rendered = sandbox.from_string(template).render(**namespace)
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as stream:
            stream.write(rendered)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if "." not in label:
            tower.filename = path
        else:
            if not isinstance(getattr(tower, "filename", None), SimpleNamespace):
                tower.filename = SimpleNamespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    injected = Injected()
    for variable, template in (injectors.get("env") or {}).items():
        injected.env[variable] = sandbox.from_string(template).render(**namespace)

    def rendered(node: Any) -> Any:
        if isinstance(node, dict):
            return {rendered(k): rendered(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rendered(item) for item in node]
        return sandbox.from_string(node).render(**namespace)

    extra_vars = rendered(injectors.get("extra_vars") or {})
    if extra_vars:
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as stream:
            stream.write(yaml.dump(extra_vars, Dumper=_UnsafeDumper))
        os.chmod(path, stat.S_IRUSR)
        injected.extra_vars_files.append(Path(path))
    return injected
