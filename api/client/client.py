"""``SandanClient``: the HTTP API for platforms, payment and logistics companies, customs
and banks, typed with the API's own response models (:mod:`api.schemas`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel

from api.client.errors import SandanApiError
from api.client.retry import RetryPolicy, send
from api.risk_schemas import TradeRiskPublic
from api.schemas import (
    AnchorPublic,
    BulkLineResult,
    ChainReceipt,
    DocumentPublic,
    ErrorBody,
    KeyPublic,
    VerdictPublic,
)
from traceability import SignedEnvelope, SigningKey

__all__ = ["DEFAULT_URL", "Envelope", "SandanClient", "envelope_bytes"]

#: Where ``sandan serve`` listens by default.
DEFAULT_URL = "http://127.0.0.1:8000"
#: What the submit methods take: an envelope, its JSON object, or its exact bytes.
Envelope = SignedEnvelope | Mapping[str, Any] | bytes
_Model = TypeVar("_Model", bound=BaseModel)


def envelope_bytes(envelope: Envelope) -> bytes:
    """The bytes sent for ``envelope``: bytes as given, else compact JSON on one line."""
    if isinstance(envelope, bytes):
        return envelope
    wire = envelope.to_wire() if isinstance(envelope, SignedEnvelope) else dict(envelope)
    return json.dumps(wire, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class SandanClient:
    """A connection to a sandan service, authenticated with a party's API key.

    ``transport`` is httpx's seam: tests pass one bound to the app in process. Every
    request goes through :func:`api.client.retry.send` with ``retry``; an error answer
    raises :class:`~api.client.SandanApiError`.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Open a connection pool to ``base_url``; close it with :meth:`close` or ``with``."""
        headers = {"User-Agent": "sandan-client"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # --- plumbing ------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, content: bytes | None = None, media_type: str = ""
    ) -> httpx.Response:
        headers = {"Content-Type": media_type} if media_type else None
        request = self._http.build_request(method, path, content=content, headers=headers)
        response = send(self._http, request, self.retry)
        if response.is_error:
            raise SandanApiError.from_response(response)
        return response

    def _get(self, model: type[_Model], path: str) -> _Model:
        return model.model_validate(self._call("GET", path).json())

    # --- parties ---------------------------------------------------------------------

    def add_key(self, party: str, key_id: str, signing_key: SigningKey) -> KeyPublic:
        """``POST /parties/{code}/keys``: register the public half of ``signing_key`` as
        your party's ``key_id``, valid from now (rotation adds a key)."""
        body = {"keyId": key_id, "alg": signing_key.alg.value, "publicKey": signing_key.public_key}
        return self._post_key(party, body)

    def add_certificate_key(
        self, party: str, certificate_pem: str, *, key_id: str | None = None
    ) -> KeyPublic:
        """``POST /parties/{code}/keys`` with ``certificatePem``: register the key of an SM2
        certificate (and its intermediates) under its number, valid until it ends."""
        body: dict[str, str] = {"certificatePem": certificate_pem}
        if key_id is not None:
            body["keyId"] = key_id
        return self._post_key(party, body)

    def _post_key(self, party: str, body: dict[str, str]) -> KeyPublic:
        response = self._call(
            "POST",
            f"/parties/{party}/keys",
            content=json.dumps(body).encode(),
            media_type="application/json",
        )
        return KeyPublic.model_validate(response.json())

    # --- documents -------------------------------------------------------------------

    def submit(self, envelope: Envelope) -> DocumentPublic:
        """``POST /documents``: store one signed document (``created`` False: already stored)."""
        body = envelope_bytes(envelope)
        response = self._call("POST", "/documents", content=body, media_type="application/json")
        return DocumentPublic.model_validate(response.json())

    def submit_many(
        self,
        envelopes: Iterable[Envelope],
        *,
        chunk: int = 1000,
        chunk_bytes: int = 1_000_000,
        progress: Callable[[int], None] | None = None,
    ) -> list[BulkLineResult]:
        """``POST /documents/bulk`` in chunks of at most ``chunk`` lines and ``chunk_bytes``
        bytes; one result per envelope, in order, ``line`` counting from 1 over them all.

        Lines the service answered 429 (too many requests for now) are
        sent again, unchanged, in later requests, up to the retry policy's attempts. A
        chunk refused as a whole (after its own retries) gives each of its lines that
        error, status 0 if the service never answered; the other chunks still go.
        ``progress`` is called with the number of lines each chunk settled.
        """
        if chunk < 1 or chunk_bytes < 1:
            raise ValueError("chunk and chunk_bytes must be positive")
        bodies = [envelope_bytes(envelope) for envelope in envelopes]
        results: dict[int, BulkLineResult] = {}
        waiting = list(range(len(bodies)))
        for attempt in range(1, self.retry.max_attempts + 1):
            for indexes in _chunks(waiting, bodies, chunk, chunk_bytes):
                self._submit_chunk(indexes, bodies, results)
                if progress is not None:
                    progress(sum(1 for i in indexes if results[i].status != 429))
            waiting = [i for i in waiting if results[i].status == 429]
            if not waiting or attempt == self.retry.max_attempts:
                break
            self.retry.sleep(self.retry.delay(attempt, None))
        return [results[i] for i in range(len(bodies))]

    def _submit_chunk(
        self, indexes: list[int], bodies: list[bytes], results: dict[int, BulkLineResult]
    ) -> None:
        body = b"\n".join(bodies[i] for i in indexes) + b"\n"
        try:
            answer = self._call(
                "POST", "/documents/bulk", content=body, media_type="application/x-ndjson"
            ).json()
        except SandanApiError as exc:
            # The whole chunk was refused (or never answered): its lines share the error,
            # and the other chunks still go.
            error = ErrorBody(error=exc.error, message=exc.message, field=exc.field)
            for index in indexes:
                results[index] = BulkLineResult(line=index + 1, status=exc.status, error=error)
            return
        listed = {item["line"]: item for item in answer["results"]}
        for line, index in enumerate(indexes, start=1):
            item = listed.get(line)
            results[index] = (
                BulkLineResult.model_validate({**item, "line": index + 1})
                if item is not None
                else _unlisted(index + 1)
            )

    def document(self, content_hash: str) -> DocumentPublic:
        """``GET /documents/{hash}``: a stored document's version, trade and anchoring."""
        return self._get(DocumentPublic, f"/documents/{content_hash}")

    def proof(self, content_hash: str) -> AnchorPublic:
        """``GET /documents/{hash}/proof``: the Merkle proof of an anchored document."""
        return self._get(AnchorPublic, f"/documents/{content_hash}/proof")

    def wait_for_anchor(
        self, content_hash: str, timeout: float, *, interval: float = 1.0
    ) -> DocumentPublic:
        """Poll the document until it is anchored; :class:`TimeoutError` after ``timeout`` s."""
        return self._poll(
            lambda: self.document(content_hash),
            lambda document: document.status == "anchored",
            timeout,
            interval,
            f"document {content_hash} is not anchored after {timeout:g} s",
        )

    # --- trades ------------------------------------------------------------------------

    def trade(self, trade_id: str) -> TradeRiskPublic:
        """``GET /trades/{id}``: a trade's documents and state, its risk alerts and grade."""
        return self._get(TradeRiskPublic, f"/trades/{trade_id}")

    def verdict(self, trade_id: str) -> VerdictPublic:
        """``GET /trades/{id}/verdict``: the matcher's verdict, reasons and whether it is
        anchored."""
        return self._get(VerdictPublic, f"/trades/{trade_id}/verdict")

    def wait_for_verdict(
        self, trade_id: str, timeout: float, *, interval: float = 1.0
    ) -> VerdictPublic:
        """Poll until the trade's verdict is anchored, or the trade is released or settled
        (which needs an anchored verdict); :class:`TimeoutError` after ``timeout`` s."""

        def settled_verdict() -> tuple[VerdictPublic, bool]:
            verdict = self.verdict(trade_id)
            if verdict.anchored:
                return verdict, True
            trade = self.trade(trade_id)
            return verdict, trade.released or trade.settled

        verdict, _ = self._poll(
            settled_verdict,
            lambda answer: answer[1],
            timeout,
            interval,
            f"the verdict of trade {trade_id} is not anchored after {timeout:g} s",
        )
        return verdict

    def _poll(
        self,
        fetch: Callable[[], _T],
        done: Callable[[_T], bool],
        timeout: float,
        interval: float,
        failure: str,
    ) -> _T:
        deadline = time.monotonic() + timeout
        while True:
            value = fetch()
            if done(value):
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(failure)
            self.retry.sleep(interval)

    # --- customs and banks ------------------------------------------------------------

    def bundle(self, trade_id: str) -> dict[str, Any]:
        """``GET /banks/trades/{id}/bundle`` (banks): what ``sandan verify`` checks."""
        bundle: dict[str, Any] = self._call("GET", f"/banks/trades/{trade_id}/bundle").json()
        return bundle

    def release(self, trade_id: str, verdict_hash: str | None = None) -> ChainReceipt:
        """``POST /customs/trades/{id}/release`` (customs); with ``verdict_hash``, refused
        (409) unless that is still the trade's verdict."""
        body = json.dumps({"verdictHash": verdict_hash} if verdict_hash else {}).encode()
        response = self._call(
            "POST",
            f"/customs/trades/{trade_id}/release",
            content=body,
            media_type="application/json",
        )
        return ChainReceipt.model_validate(response.json())


_T = TypeVar("_T")


def _chunks(
    indexes: Sequence[int], bodies: Sequence[bytes], lines: int, size: int
) -> Iterable[list[int]]:
    """``indexes`` cut into runs of at most ``lines`` lines and ``size`` bytes (a line
    longer than ``size`` goes alone: the service names the limit it breaks)."""
    run: list[int] = []
    run_bytes = 0
    for index in indexes:
        length = len(bodies[index]) + 1
        if run and (len(run) == lines or run_bytes + length > size):
            yield run
            run, run_bytes = [], 0
        run.append(index)
        run_bytes += length
    if run:
        yield run


def _unlisted(line: int) -> BulkLineResult:
    """A refused line the service did not list (it lists only the first refusals)."""
    error = ErrorBody(
        error="unlisted",
        message="refused; the service lists only the first refused lines of a request",
        field=f"line[{line}]",
    )
    return BulkLineResult(line=line, status=422, error=error)
