"""The reliability report says why each rerun was needed, once per message."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.playbook import PlaybookRun
from tests.helpers.reliability import failure_messages

FAILED = 'fatal: [acme]: FAILED! => {"changed": false, "msg": "binding stage: connection reset"}'


def test_a_tenant_failed_again_by_the_last_play_is_one_reason():
    run = PlaybookRun(2, "\n".join([FAILED, "PLAY [Fail the tenants whose plan or apply failed]",
                                     FAILED.replace("changed\": false, ", "")]), Path("."))
    assert failure_messages([run]) == ["binding stage: connection reset"]
