"""A separate load process: GET requests at a fixed rate over keep-alive HTTP/1.1 connections.

Run as ``python -m api.bench._load SPEC_JSON``; prints one JSON result line.
The schedule is open-loop and each latency is measured from the request's
scheduled time, so a slow server cannot hide its queueing (no coordinated
omission). Plain asyncio streams keep the client's own cost far below the
server's.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

__all__ = ["main"]


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(host, port)


async def _request(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes) -> int:
    reader, writer = conn
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status


def _raw(host: str, port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _run(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], int(spec["port"])
    raws = [_raw(host, port, p, spec.get("headers", {})) for p in spec["paths"]]
    pool: asyncio.Queue[Any] = asyncio.Queue()
    for _ in range(int(spec.get("connections", 32))):
        pool.put_nowait(await _open(host, port))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0

    async def one(raw: bytes, scheduled: float) -> None:
        nonlocal errors
        conn = await pool.get()
        try:
            status = await _request(conn, raw)
            latencies.append((time.perf_counter() - scheduled) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            pool.put_nowait(conn)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            pool.put_nowait(await _open(host, port))

    rate, seconds = float(spec["rate"]), float(spec["seconds"])
    total = int(rate * seconds)
    start = time.perf_counter()
    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(raws[i % len(raws)], scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {
        "sent": total,
        "elapsed": elapsed,
        "errors": errors,
        "statuses": statuses,
        "latenciesMs": latencies,
    }


def main(argv: list[str] | None = None) -> int:
    """Read the spec (JSON: host, port, paths, headers, rate, seconds), run, print the result."""
    spec = json.loads((argv or sys.argv[1:])[0])
    print(json.dumps(asyncio.run(_run(spec))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
