"""The one retry loop: an unsure write is re-read after the pause and before it is sent again."""

from __future__ import annotations

import pytest
from ansible.module_utils.mailops.retries import call_with_retries


class Unsure(Exception):
    pass


class Refused(Exception):
    pass


def test_an_unsure_write_is_re_read_after_the_pause_and_not_sent_again_once_landed():
    events: list[str] = []
    landed_after = iter([False, True])

    def write():
        events.append("write")
        raise Unsure

    def landed():
        events.append("read")
        return next(landed_after)

    result = call_with_retries(write, attempts=5, retryable=lambda e: isinstance(e, Unsure),
                               unsure=lambda e: True, landed=landed, landed_result="landed",
                               pause=lambda attempt: events.append(f"pause {attempt}"))
    assert result == "landed"
    assert events == ["write", "pause 0", "read", "write", "pause 1", "read"]


def test_an_error_not_retryable_is_raised_at_once_without_a_re_read():
    events: list[str] = []

    def write():
        events.append("write")
        raise Refused

    with pytest.raises(Refused):
        call_with_retries(write, attempts=5, retryable=lambda e: isinstance(e, Unsure),
                          unsure=lambda e: True, landed=lambda: events.append("read") or False,
                          pause=lambda attempt: events.append("pause"))
    assert events == ["write"]
