"""One BIND9 (named) on a loopback port serving N zones, updatable with a TSIG key: the test
fixture's ``running`` (tests/helpers/bind_fixture.py), with the bench's extra variables."""

from __future__ import annotations

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
    return bind_fixture.installed()


@contextmanager
def running(directory: Path, zones: list[str]) -> Iterator[Bind]:
    """named serving ``zones`` (fresh, empty zone files in ``directory``) until the block ends."""
    zone_files = {zone: bind_fixture.zone_file_text(zone, []) for zone in zones}
    with bind_fixture.running(directory, zone_files) as server:
        yield Bind(server.host, server.port, server.key_secret)
