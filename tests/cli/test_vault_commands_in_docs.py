"""The ansible-vault commands the docs give for a real inventory's secrets work as written from
the repository root, where ansible.cfg also loads the sandbox's vault id."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import signal
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOCS = ["README.md", "inventories/example/host_vars/README.md"]
ENCRYPTING = re.compile(r"^ansible-vault (encrypt_string|encrypt|create) ")
ANSWERS = {b"Variable name": b"sendcloud_api_key", b"String to encrypt": b"the-key"}


def documented_commands() -> list[tuple[str, str]]:
    return [(doc, line.strip()) for doc in DOCS for line in (REPO / doc).read_text().splitlines()
            if ENCRYPTING.match(line.strip())]


def on_a_terminal(argv: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run argv from the repository root on a pseudo-terminal (ansible-vault create opens an
    editor only on one), answering its prompts from ANSWERS."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(REPO)
        os.execve(argv[0], argv, env)
    output, answered, deadline = b"", set(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:   # the child exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
        for prompt, answer in ANSWERS.items():
            if prompt not in answered and prompt in output.rsplit(b"\n", 1)[-1]:
                os.write(fd, answer + b"\n")
                answered.add(prompt)
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


@pytest.mark.parametrize(("doc", "command"), documented_commands())
def test_a_documented_encrypting_vault_command_works_from_the_repository_root(doc, command,
                                                                               tmp_path):
    password_file = tmp_path / "prod.pass"
    password_file.write_text("a-throwaway-password\n")
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "vault_sendcloud_api_key: the-key\\n" > "$1"\n')
    editor.chmod(0o700)
    target = tmp_path / "vault.yml"
    argv = [str(BIN / "ansible-vault")]
    for word in shlex.split(command)[1:]:
        word = re.sub(r"^prod@.*", f"prod@{password_file}", word)   # prompt or a /secure/ path
        argv.append(str(target) if word.endswith("vault.yml") else word)
    env = dict(os.environ, EDITOR=str(editor), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    returncode, output = on_a_terminal(argv, env)
    assert returncode == 0, f"{doc}: {command}\n{output}"
    encrypted = target.read_text() if target.exists() else output
    assert "$ANSIBLE_VAULT;1.2;AES256;prod" in encrypted, f"{doc}: {command}\n{output}"
    assert "the-key" not in encrypted
