"""One BIND9 (named) on a loopback port serving N zones, updatable with a TSIG key.

Reuses the test fixture's config writers (tests/helpers/bind_fixture.py)."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import bind_fixture


@dataclass
class Bind:
    host: str
    port: int
    key_secret: str

    def extra_vars(self) -> dict[str, str | int]:
        return {"bind_host": self.host, "bind_port": self.port,
                "bind_key_name": bind_fixture.KEY_NAME, "bind_key_secret": self.key_secret,
                "bind_key_algorithm": bind_fixture.KEY_ALGORITHM}


def available() -> bool:
    return os.access(bind_fixture.NAMED, os.X_OK)


@contextmanager
def running(directory: Path, zones: list[str]) -> Iterator[Bind]:
    """named serving ``zones`` (fresh zone files in ``directory``) until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    port = bind_fixture.free_port()
    secret = base64.b64encode(os.urandom(32)).decode("ascii")
    for zone in zones:
        (directory / f"{zone}.zone").write_text(bind_fixture.zone_file_text(zone, []))
    conf = directory / "named.conf"
    conf.write_text(bind_fixture.named_conf_text(directory, port, zones, secret))
    log = directory / "named.log"
    with log.open("w") as stream:
        process = subprocess.Popen([bind_fixture.NAMED, "-g", "-c", str(conf)],
                                   stdout=stream, stderr=subprocess.STDOUT)
    try:
        bind_fixture.wait_until_ready(process, port, zones[-1], log)
        yield Bind("127.0.0.1", port, secret)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
