"""SM2 signature verifications per second on one core, beside Ed25519 and OpenSSL's own.

The same 64-byte-signature path a submission takes (:func:`load_public_key` then
``verify``, the r‖s to DER conversion included) over a fixed message of a document's
size, for SM2 and for Ed25519; then ``openssl speed sm2`` in the same run, which says
what this machine's C can do (the figure a binding is measured against).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time

from api.bench.context import BenchContext
from api.bench.metric import Metric, at_least, skipped
from traceability.signing.algorithms import Algorithm, SigningKey, load_public_key

__all__ = ["run"]

GROUP = "sm2"
#: About a canonical trade document's size.
MESSAGE = bytes(range(256)) * 4
_SPEED = re.compile(r"^\s*256 bits SM2 \([^)]*\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)\s*$", re.M)


def _verifications_per_second(alg: Algorithm, seconds: float) -> float:
    key = SigningKey.generate(alg)
    signature = key.sign(MESSAGE)
    verifier = load_public_key(alg, key.public_key)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            if not verifier.verify(signature, MESSAGE):
                raise AssertionError(f"a valid {alg} signature did not verify")
        done += 50
    return done / (time.perf_counter() - start)


def _openssl_speed(seconds: float) -> tuple[float, str] | None:
    """(verifications/s, version) from ``openssl speed sm2``, or None without it."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    command = [openssl, "speed", "-seconds", str(max(1, round(seconds))), "sm2"]
    try:
        output = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=seconds + 60
        ).stdout
        version = subprocess.run(
            [openssl, "version"], capture_output=True, text=True, check=False, timeout=30
        ).stdout
    except subprocess.TimeoutExpired:
        return None
    match = _SPEED.search(output)
    if match is None:
        return None
    return float(match.group(2)), version.strip()


def run(ctx: BenchContext) -> list[Metric]:
    """SM2 and Ed25519 through sandan's verifiers, then OpenSSL's own SM2 figure."""
    seconds = ctx.seconds(1.0, 5.0)
    ctx.progress.start(f"sm2: verifying for {3 * seconds:.0f}s")
    notes = f"load_public_key + verify of a {len(MESSAGE):,}-byte message, 64-byte r‖s, one core"
    metrics = [
        Metric(
            "sm2.verify_one_core",
            _verifications_per_second(Algorithm.SM2, seconds),
            "verifications/s",
            target=at_least(1_500),
            notes=f"SM2 with SM3 and the standard's user ID (Tongsuo, via tongsuopy); {notes}",
            group=GROUP,
        ),
        Metric(
            "sm2.ed25519_verify_one_core",
            _verifications_per_second(Algorithm.ED25519, seconds),
            "verifications/s",
            notes=f"Ed25519 (OpenSSL, via cryptography), for comparison; {notes}",
            group=GROUP,
        ),
    ]
    speed = _openssl_speed(seconds)
    if speed is None:
        metrics.append(
            skipped("sm2.openssl_speed", "verifications/s", "no openssl command with SM2")
        )
    else:
        rate, version = speed
        metrics.append(
            Metric(
                "sm2.openssl_speed",
                rate,
                "verifications/s",
                notes=f"`openssl speed sm2` verify/s ({version}), the C ceiling on this machine",
                group=GROUP,
            )
        )
    return metrics
