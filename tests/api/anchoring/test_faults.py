"""The worker's test-only kill points."""

from __future__ import annotations

import signal

import pytest

from api.anchoring import faults
from api.anchoring.faults import STEPS, KillPoint
from api.config import ApiSettings


@pytest.fixture
def kills(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record os.kill calls instead of dying."""
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(faults.os, "kill", lambda pid, sig: calls.append((pid, sig)))
    return calls


@pytest.mark.parametrize(
    ("spec", "step", "nth"),
    [
        (None, None, 1),
        ("", None, 1),
        ("tx_sent", "tx_sent", 1),
        ("batch_built:3", "batch_built", 3),
    ],
)
def test_parse_kill_point(spec, step, nth):
    point = KillPoint.parse(spec)
    assert (point.step, point.nth) == (step, nth)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("tx_mined", "unknown kill step 'tx_mined'"), ("tx_sent:0", "at least 1")],
)
def test_parse_kill_point_rejects_unknown_steps(spec, message):
    with pytest.raises(ValueError, match=message):
        KillPoint.parse(spec)


def test_kill_point_kills_at_the_nth_time_its_step_is_reached(kills):
    point = KillPoint.parse("tx_sent:2")
    for step in STEPS:
        point.reached(step)
    assert kills == []
    point.reached("tx_sent")
    assert len(kills) == 1
    assert kills[0][1] == signal.SIGKILL


def test_kill_point_unset_never_kills(kills):
    point = KillPoint.parse(None)
    for step in STEPS:
        point.reached(step)
        point.reached(step)
    assert kills == []


def test_settings_read_the_test_kill_point(monkeypatch: pytest.MonkeyPatch):
    assert ApiSettings().test_kill_after is None
    monkeypatch.setenv("SANDAN_TEST_KILL_AFTER", "receipt_received:2")
    assert ApiSettings().test_kill_after == "receipt_received:2"
    monkeypatch.setenv("SANDAN_TEST_KILL_AFTER", "not a step!")
    with pytest.raises(ValueError, match="pattern"):
        ApiSettings()
