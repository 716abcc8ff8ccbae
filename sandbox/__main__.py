"""``python -m sandbox start|stop|status [--json]|reset|serve``: run the local SaaS sandbox."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from sandbox.config import PACKAGE_DIR, SandboxConfig, load_config
from sandbox.ports import busy_ports

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


# ----------------------------------------------------------------------------- process state
def read_pid(config: SandboxConfig) -> int | None:
    try:
        return int(config.pid_path.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # guard against a recycled pid
        try:
            return b"sandbox" in cmdline.read_bytes()
        except OSError:
            return False
    return True


def running_pid(config: SandboxConfig) -> int | None:
    pid = read_pid(config)
    return pid if pid is not None and process_alive(pid) else None


def endpoints(config: SandboxConfig) -> dict[str, Any]:
    """What the running process wrote at start, else what this configuration would use."""
    if running_pid(config) is not None:
        try:
            return json.loads(config.endpoints_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            pass
    host, ports = config.host, config.ports
    found = {
        "sendcloud": {"url": f"http://{host}:{ports.sendcloud}"},
        "dnspod": {"url": f"http://{host}:{ports.dnspod}"},
        "dns": {"host": host, "port": ports.dns},
        "platform": {"url": f"http://{host}:{ports.platform}"},
    }
    if config.route53_enabled:
        found["route53"] = {"url": f"http://{host}:{ports.route53}"}
    found["cloudflare"] = {"url": f"http://{host}:{ports.cloudflare}"}
    return found


# ----------------------------------------------------------------------------------- health
def http_healthy(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout) as response:  # noqa: S310
            return response.status == 200 and json.loads(response.read()).get("ok") is True
    except (OSError, ValueError):
        return False


def http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def dns_healthy(host: str, port: int, timeout: float = 1.0) -> bool:
    """Any answer (REFUSED included) to a minimal query proves the UDP listener is up."""
    query_id = os.getpid() & 0xFFFF
    packet = (
        query_id.to_bytes(2, "big")
        + bytes.fromhex("0000 0001 0000 0000 0000")
        + b"\x07healthz\x07sandbox\x00"
        + bytes.fromhex("0006 0001")
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(packet, (host, port))
            reply = sock.recv(4096)
        except OSError:
            return False
    return reply[:2] == packet[:2]


def status_report(config: SandboxConfig) -> dict[str, Any]:
    report = endpoints(config)
    alive = running_pid(config) is not None
    for name, endpoint in report.items():
        if not alive:
            endpoint["healthy"] = False
        elif name == "dns":
            endpoint["healthy"] = dns_healthy(endpoint["host"], endpoint["port"])
        elif name == "route53":  # moto's server: its own admin API
            endpoint["healthy"] = http_ok(f"{endpoint['url']}/moto-api/")
        else:
            endpoint["healthy"] = http_healthy(endpoint["url"])
    return report


def all_healthy(report: dict[str, Any]) -> bool:
    return bool(report) and all(endpoint["healthy"] for endpoint in report.values())


def print_endpoints(report: dict[str, Any]) -> None:
    for name, endpoint in report.items():
        where = endpoint.get("url") or f"{endpoint['host']}:{endpoint['port']} (UDP+TCP)"
        state = "healthy" if endpoint["healthy"] else "NOT healthy"
        print(f"  {name:<10} {where:<28} {state}")


# --------------------------------------------------------------------------------- commands
def serve_command(config: SandboxConfig, exit_after: float | None) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--state-dir",
        str(config.state_dir),
        "--seed",
        str(config.seed_path),
    ]
    if exit_after is not None:
        command += ["--exit-after", str(exit_after)]
    return command


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    package_parent = str(PACKAGE_DIR.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    return env


def start(config: SandboxConfig, exit_after: float | None = None, quiet: bool = False) -> int:
    if running_pid(config) is not None and all_healthy(status_report(config)):
        if not quiet:
            print(f"sandbox already running (state {config.state_dir})")
            print_endpoints(status_report(config))
        return 0
    if running_pid(config) is not None:
        stop(config, quiet=True)
    if busy := busy_ports(config):
        print("\n".join(busy), file=sys.stderr)
        return 1
    config.state_dir.mkdir(parents=True, exist_ok=True)
    with open(config.log_path, "ab") as log_file:
        process = subprocess.Popen(
            serve_command(config, exit_after),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=child_env(),
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(
                f"sandbox exited during start (code {process.returncode}); see {config.log_path}",
                file=sys.stderr,
            )
            print(tail(config.log_path), file=sys.stderr)
            return 1
        if read_pid(config) == process.pid:
            report = status_report(config)
            if all_healthy(report):
                if not quiet:
                    print(f"sandbox started (pid {process.pid}, state {config.state_dir})")
                    print_endpoints(report)
                return 0
        time.sleep(0.05)
    print(
        f"sandbox did not become healthy within {START_TIMEOUT_S:.0f} s; see {config.log_path}",
        file=sys.stderr,
    )
    return 1


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


def stop(config: SandboxConfig, quiet: bool = False) -> int:
    pid = running_pid(config)
    if pid is None:
        config.pid_path.unlink(missing_ok=True)
        if not quiet:
            print("sandbox not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and process_alive(pid):
        time.sleep(0.05)
    if process_alive(pid):
        os.kill(pid, signal.SIGKILL)
    config.pid_path.unlink(missing_ok=True)
    if not quiet:
        print(f"sandbox stopped (pid {pid})")
    return 0


def wipe_state(config: SandboxConfig) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{config.db_path}{suffix}").unlink(missing_ok=True)


def reset(config: SandboxConfig) -> int:
    was_running = running_pid(config) is not None
    stop(config, quiet=True)
    wipe_state(config)
    if was_running:
        code = start(config, quiet=True)
        print(
            "sandbox state wiped and reseeded; restarted" if code == 0 else "sandbox restart failed"
        )
        return code
    from sandbox.server import Sandbox  # imported late: start/stop/status need no emulator code

    Sandbox(config).open_state()
    print(f"sandbox state wiped and reseeded ({config.db_path})")
    return 0


def status(config: SandboxConfig, as_json: bool) -> int:
    report = status_report(config)
    running = running_pid(config) is not None
    if as_json:
        print(json.dumps(report))
    elif running:
        print(f"sandbox running (pid {read_pid(config)}, state {config.state_dir})")
        print_endpoints(report)
    else:
        print("sandbox not running")
    return 0 if running else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "reset", "serve"])
    parser.add_argument(
        "--state-dir", help="state directory (default $SANDBOX_STATE_DIR or ./.sandbox)"
    )
    parser.add_argument("--seed", help="seed file (default sandbox/seed.yml)")
    parser.add_argument("--json", action="store_true", help="status: print JSON")
    parser.add_argument(
        "--exit-after",
        type=float,
        default=None,
        help="serve/start: stop by itself after this many seconds",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = load_config(args.state_dir, args.seed)
    if args.command == "serve":
        from sandbox.server import serve

        return serve(config, args.exit_after)
    if args.command == "start":
        return start(config, args.exit_after)
    if args.command == "stop":
        return stop(config)
    if args.command == "reset":
        return reset(config)
    return status(config, args.json)


if __name__ == "__main__":
    sys.exit(main())
