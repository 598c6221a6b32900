"""The session's in-process chain served as a JSON-RPC node over HTTP, for the offline verifiers.

``sandan verify-lot`` reads the chain with plain JSON-RPC (:mod:`api.verify.rpc`), while the
suite's chain is eth-tester inside the test process. This bridge answers the read
methods the verifiers send (batches included) through the test's own ``Web3`` on that
chain, so a CLI test checks the deployment every other test uses, reverted after it.
An unsupported method gets the JSON-RPC "method not found" error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TYPE_CHECKING, Any

from web3.exceptions import ContractLogicError

if TYPE_CHECKING:
    from web3 import Web3


def _block(tag: Any) -> int | str:
    return int(tag, 16) if isinstance(tag, str) and tag.startswith("0x") else str(tag)


def _methods(w3: Web3) -> dict[str, Callable[[list[Any]], Any]]:
    return {
        "eth_chainId": lambda params: hex(w3.eth.chain_id),
        "eth_blockNumber": lambda params: hex(w3.eth.block_number),
        "eth_call": lambda params: (
            "0x"
            + bytes(
                w3.eth.call(
                    {"to": params[0]["to"], "data": params[0]["data"]},
                    _block(params[1] if len(params) > 1 else "latest"),
                )
            ).hex()
        ),
    }


def _answer(methods: dict[str, Callable[[list[Any]], Any]], call: Any) -> dict[str, Any]:
    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": call.get("id")}
    method = methods.get(call.get("method"))
    if method is None:
        reply["error"] = {"code": -32601, "message": f"method {call.get('method')} not found"}
        return reply
    try:
        reply["result"] = method(list(call.get("params") or []))
    except ContractLogicError as exc:
        reply["error"] = {"code": 3, "message": f"execution reverted: {exc}", "data": exc.data}
    return reply


@dataclass
class RpcNode:
    """A served chain: its URL, and how many HTTP requests (batches) it answered."""

    url: str
    requests: int = 0


@contextmanager
def serve_rpc(w3: Web3, port: int) -> Iterator[RpcNode]:
    """Serve ``w3``'s chain on 127.0.0.1:``port`` until the block ends."""
    methods = _methods(w3)
    node = RpcNode(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            node.requests += 1
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls = body if isinstance(body, list) else [body]
            replies = [_answer(methods, c) for c in calls]
            data = json.dumps(replies if isinstance(body, list) else replies[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test's output is the CLI's."""

    server = HTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield node
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
