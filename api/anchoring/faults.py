"""Test-only kill points: the worker stops itself with SIGKILL right after a named step.

The crash drills set ``SANDAN_TEST_KILL_AFTER=<step>[:<n>]``
(:attr:`api.config.ApiSettings.test_kill_after`): the worker process then kills
itself, exactly as ``kill -9`` would, the n-th time (the first by default) it
finishes ``<step>``. Unset, as always outside the drills, :meth:`KillPoint.reached`
is a single comparison.
"""

from __future__ import annotations

import logging
import os
import signal
from dataclasses import dataclass

__all__ = ["STEPS", "KillPoint"]

logger = logging.getLogger("sandan.worker")

#: The worker's crash-relevant steps, in the order a batch goes through them.
STEPS: dict[str, str] = {
    "batch_built": "a batch's root, members and proofs are committed (state built)",
    "batch_sending": "the batch is committed as sent, before its transaction is broadcast",
    "tx_sent": "the transaction is broadcast, before its receipt is in",
    "receipt_received": "the receipt is in, before any bookkeeping",
    "anchor_found": "a resumed batch was found on chain, before any bookkeeping",
    "batch_confirmed": "the batch's anchor is committed (state confirmed)",
    "reorg_reset": "a batch the chain forgot is committed back to built",
}


@dataclass
class KillPoint:
    """Where (if anywhere) this process kills itself; off by default."""

    step: str | None = None
    nth: int = 1
    seen: int = 0

    @classmethod
    def parse(cls, spec: str | None) -> KillPoint:
        """Read ``<step>[:<n>]``; None or empty turns the kill point off."""
        if not spec:
            return cls()
        step, _, count = spec.partition(":")
        if step not in STEPS:
            raise ValueError(f"unknown kill step {step!r}: expected one of {', '.join(STEPS)}")
        nth = int(count) if count else 1
        if nth < 1:
            raise ValueError(f"kill step count must be at least 1, got {nth}")
        return cls(step, nth)

    def reached(self, step: str) -> None:
        """Note that ``step`` just finished; SIGKILL this process if it is the chosen one."""
        if step != self.step:
            return
        self.seen += 1
        if self.seen == self.nth:
            logger.warning("test kill point %s:%d reached: SIGKILL", step, self.nth)
            os.kill(os.getpid(), signal.SIGKILL)
