"""A sandbox port already in use is named with the SANDBOX_*_PORT variable that moves it
(issue 21, point 16): it gave a traceback in sandbox.log and "exited during start"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from tests.helpers.sandbox_fixture import REPO_ROOT, free_port


def test_a_port_in_use_is_named_with_the_variable_that_moves_it(tmp_path):
    ports = {name: free_port() for name in ("SENDCLOUD", "DNSPOD", "PLATFORM", "DNS", "ROUTE53")}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports["PLATFORM"]))
        holder.listen()
        env = dict(os.environ, **{f"SANDBOX_{name}_PORT": str(port) for name, port in ports.items()})
        started = subprocess.run([sys.executable, "-m", "sandbox", "start", "--state-dir", str(tmp_path),
                                  "--exit-after", "30"], cwd=REPO_ROOT, env=env,
                                 capture_output=True, text=True, timeout=60)
    assert started.returncode == 1
    assert (f"port {ports['PLATFORM']} on 127.0.0.1 (platform) is already in use. Fix: stop what "
            "listens there, or move the sandbox: export SANDBOX_PLATFORM_PORT=") in started.stderr
    assert "Traceback" not in started.stderr + started.stdout
    assert "SANDBOX_SENDCLOUD_PORT" not in started.stderr   # only the busy one is named


def test_the_server_itself_names_the_port_instead_of_a_traceback(tmp_path):
    """What sandbox.log shows when the port is taken between start's check and the bind."""
    ports = {name: free_port() for name in ("SENDCLOUD", "DNSPOD", "PLATFORM", "DNS", "ROUTE53")}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", ports["DNS"]))
        env = dict(os.environ, **{f"SANDBOX_{name}_PORT": str(port) for name, port in ports.items()})
        served = subprocess.run([sys.executable, "-m", "sandbox", "serve", "--state-dir", str(tmp_path),
                                 "--exit-after", "5"], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    assert served.returncode == 1
    assert f"port {ports['DNS']} on 127.0.0.1 (dns) is already in use" in served.stderr
    assert "SANDBOX_DNS_PORT=" in served.stderr and "Traceback" not in served.stderr
