"""How ``submit_many`` reads bulk answers: lines to resend (429) and lines left unlisted."""

from __future__ import annotations

import json

import httpx
import pytest

from api.client import RetryPolicy, SandanApiError, SandanClient


def line_result(line: int, status: int) -> dict[str, object]:
    if status < 300:
        return {"line": line, "status": status, "contentHash": f"{line:064x}"}
    error = {"error": "slow_verification_budget", "message": "later", "field": None}
    return {"line": line, "status": status, "error": error}


def test_submit_many_resends_lines_answered_429_unchanged() -> None:
    bodies = [json.dumps({"n": n}).encode() for n in range(3)]
    sent: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        lines = request.content.splitlines()
        statuses = [201, 429, 429] if len(sent) == 1 else [201] * len(lines)
        results = [line_result(n, s) for n, s in enumerate(statuses[: len(lines)], start=1)]
        return httpx.Response(200, json={"accepted": 1, "rejected": 0, "results": results})

    sleeps: list[float] = []
    client = SandanClient(
        "http://sandan.test",
        "key",
        transport=httpx.MockTransport(answer),
        retry=RetryPolicy(sleep=sleeps.append),
    )
    settled: list[int] = []
    with client:
        results = client.submit_many(bodies, progress=settled.append)
    assert sent == [b"\n".join(bodies) + b"\n", b"\n".join(bodies[1:]) + b"\n"]
    assert [r.status for r in results] == [201, 201, 201]
    assert [r.line for r in results] == [1, 2, 3]
    assert sleeps == [0.5]
    assert settled == [1, 2]


def test_submit_many_marks_lines_the_service_did_not_list_as_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        results = [line_result(1, 201)]  # line 2 refused but beyond the listed refusals
        return httpx.Response(200, json={"accepted": 1, "rejected": 1, "unlisted": 1,
                                         "results": results})  # fmt: skip

    with SandanClient("http://sandan.test", transport=httpx.MockTransport(answer)) as client:
        results = client.submit_many([b"{}", b"{}"])
    assert results[0].status == 201
    assert results[1].status == 422
    assert results[1].error is not None
    assert results[1].error.error == "unlisted"


def test_non_json_error_answer_still_raises_named_error() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(413, text="<html>too large</html>")

    transport = httpx.MockTransport(answer)
    client = SandanClient("http://sandan.test", transport=transport)
    with client, pytest.raises(SandanApiError) as refused:
        client.submit(b"{}")
    error = refused.value
    assert (error.status, error.error, error.message) == (413, "http_413", "<html>too large</html>")


def test_submit_many_gives_a_refused_chunks_error_to_its_lines_and_goes_on() -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(len(request.content.splitlines()))
        if len(calls) == 1:
            body = {"error": "payload_too_large", "message": "too big", "field": "body"}
            return httpx.Response(413, json=body)
        return httpx.Response(200, json={"accepted": 1, "rejected": 0,
                                         "results": [line_result(1, 201)]})  # fmt: skip

    with SandanClient("http://sandan.test", transport=httpx.MockTransport(answer)) as client:
        results = client.submit_many([b"{}", b"{}", b"{}"], chunk=2)
    assert calls == [2, 1]
    assert [r.status for r in results] == [413, 413, 201]
    assert results[0].error is not None
    assert (results[0].error.error, results[0].error.field) == ("payload_too_large", "body")
