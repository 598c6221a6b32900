"""Signed trade documents for load: three parties, one Ed25519 key each, signed in parallel.

Every trade is an import order, its payment and its waybill (sample data with
unique numbers), each signed by the party that issues it, as in the demo.
Signing happens in worker processes and before any timed part.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from traceability import Algorithm, SigningKey, new_salt, sign_envelope
from traceability.trade import samples

__all__ = ["BenchParty", "bench_parties", "presign", "sign_range", "write_batches"]


@dataclass(frozen=True)
class BenchParty:
    """A party that signs one kind of document, and its key (raw private bytes)."""

    code: str
    name: str
    role: str
    doc_type: str
    key_id: str
    private_key: bytes

    def signing_key(self) -> SigningKey:
        """The Ed25519 signing key."""
        return SigningKey.from_private_bytes(Algorithm.ED25519, self.private_key)

    @property
    def public_key(self) -> str:
        """The public key as registered with the service."""
        return self.signing_key().public_key


def bench_parties(tag: str) -> tuple[BenchParty, ...]:
    """The platform (orders), the payment company and the carrier, with fresh keys."""
    specs = (
        (samples.PLATFORM, "platform", "order"),
        (samples.PAYER_COMPANY, "payment", "payment"),
        (samples.CARRIER, "logistics", "waybill"),
    )
    return tuple(
        BenchParty(
            code,
            name,
            role,
            doc_type,
            f"{code}-bench-{tag}",
            SigningKey.generate(Algorithm.ED25519).private_bytes(),
        )
        for (code, name), role, doc_type in specs
    )


def _documents(tag: str, index: int) -> dict[str, dict[str, object]]:
    terms = samples.ImportTerms(
        order_no=f"BN{tag}{index:09d}",
        logistics_no=f"SF{tag}{index:09d}",
        pay_transaction_id=f"AP{tag}{index:09d}",
    )
    return {
        "order": samples.import_order_json(terms),
        "payment": samples.import_payment_json(terms),
        "waybill": samples.import_waybill_json(terms),
    }


#: How far ahead of signing presigned envelopes are dated. Keys are valid from their
#: registration, which comes after presigning; the bench service allows an hour's clock skew.
PRESIGN_LEAD = timedelta(minutes=50)


def sign_range(
    parties: Sequence[BenchParty], tag: str, start: int, stop: int
) -> dict[str, list[bytes]]:
    """NDJSON lines of trades ``start``..``stop``, grouped by signing party code."""
    keys = {p.doc_type: (p, p.signing_key()) for p in parties}
    lines: dict[str, list[bytes]] = {p.code: [] for p in parties}
    issued_at = datetime.now(UTC) + PRESIGN_LEAD
    for index in range(start, stop):
        for doc_type, document in _documents(tag, index).items():
            party, key = keys[doc_type]
            envelope = sign_envelope(
                document,
                doc_type=doc_type,
                party=party.code,
                key_id=party.key_id,
                signing_key=key,
                salt=new_salt(),
                issued_at=issued_at,
            )
            lines[party.code].append(orjson.dumps(envelope.to_wire()))
    return lines


def presign(
    parties: Sequence[BenchParty], tag: str, trades: int, *, processes: int = 2, chunk: int = 500
) -> dict[str, list[bytes]]:
    """Sign ``trades`` trades (three documents each) using ``processes`` processes."""
    ranges = [(s, min(s + chunk, trades)) for s in range(0, trades, chunk)]
    merged: dict[str, list[bytes]] = {p.code: [] for p in parties}
    with ProcessPoolExecutor(max_workers=processes) as pool:
        futures = [pool.submit(sign_range, parties, tag, a, b) for a, b in ranges]
        for future in futures:
            for code, lines in future.result().items():
                merged[code].extend(lines)
    return merged


def _chunks(lines: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(lines), size):
        yield lines[start : start + size]


def write_batches(
    lines: dict[str, list[bytes]], directory: Path, *, batch: int
) -> list[tuple[str, Path, int]]:
    """Write NDJSON bodies of ``batch`` lines; return (party code, file, lines) interleaved."""
    directory.mkdir(parents=True, exist_ok=True)
    per_party = [
        [(code, chunk) for chunk in _chunks(party_lines, batch)]
        for code, party_lines in lines.items()
    ]
    out: list[tuple[str, Path, int]] = []
    for number, item in enumerate(itertools.chain.from_iterable(itertools.zip_longest(*per_party))):
        if item is None:
            continue
        code, chunk = item
        path = directory / f"{number:06d}-{code}.ndjson"
        path.write_bytes(b"\n".join(chunk) + b"\n")
        out.append((code, path, len(chunk)))
    return out
