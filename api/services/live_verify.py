"""A trade's authenticity checked live: its bundle built and every check of ``sandan verify``
run at once against the service's own node, for the bank desk of the workbench.

This is a convenience, not the promise: the check runs on sandan's server, trusting the
registries of this deployment. A bank that trusts no one downloads the bundle and runs
``sandan verify`` (or the browser verifier) against a node and registries of its own choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from api.db.models import TradeRecord
from api.errors import ServiceUnavailable
from api.runtime import Runtime
from api.services import bundle as bundles
from api.verify.rpc import ChainUnreachable, JsonRpc, RpcError
from api.verify.trust import load_trust_roots
from api.verify.verifier import Report, verify_bundle

__all__ = ["LiveCheck", "provider_rpc", "verify_trade_live"]


@dataclass(frozen=True, slots=True)
class LiveCheck:
    """The bundle as built, the report of checking it, and what the check trusted."""

    bundle: dict[str, Any]
    report: Report
    registries: tuple[str, str]


def verify_trade_live(*, session: Session, runtime: Runtime, trade: TradeRecord) -> LiveCheck:
    """Build ``trade``'s bundle and verify it against the service's node, trusting this
    deployment's registries."""
    bundle = bundles.build_bundle(session=session, runtime=runtime, trade=trade)
    ledger = runtime.ledger()
    registries = (ledger.trade_registry_address, ledger.party_registry_address)
    trust = load_trust_roots(registries=list(registries))
    try:
        report = verify_bundle(bundle, provider_rpc(ledger.w3, "the service's node"), trust)
    except (ChainUnreachable, RpcError) as exc:
        # Not a verdict on the trade: the node could not be asked, so nothing was checked.
        raise ServiceUnavailable(f"the chain node could not be asked: {exc}") from exc
    return LiveCheck(bundle=bundle, report=report, registries=registries)


def provider_rpc(w3: Any, url: str = "in-process chain") -> JsonRpc:
    """The verifier's JSON-RPC reader over ``w3``'s provider (the in-process chain too)."""

    def send(body: object) -> Any:
        requests: list[Any] = body if isinstance(body, list) else [body]
        answers = []
        for request in requests:
            try:
                answer = _answer(w3, request["method"], request["params"])
            except OSError as exc:  # the provider's connection failed, as over HTTP
                raise ChainUnreachable(f"{url}: {exc}") from exc
            answers.append({**answer, "id": request["id"]})
        return answers if isinstance(body, list) else answers[0]

    return JsonRpc(url, transport=send)


def _answer(w3: Any, method: str, params: list[Any]) -> dict[str, Any]:
    if method == "eth_call":
        # Through web3, which fills in what the in-process chain insists on (gas, a funded
        # sender); a node over HTTP takes the call as the verifier sends it.
        call = {"to": w3.to_checksum_address(params[0]["to"]), "data": params[0]["data"]}
        block = params[1] if params[1] == "latest" else int(params[1], 16)
        try:
            return {"result": "0x" + bytes(w3.eth.call(call, block)).hex()}
        except Exception as exc:  # a revert, as a node would answer it
            return {"error": {"code": 3, "message": str(exc)}}
    if method == "eth_getTransactionReceipt":
        try:
            return {"result": _jsonable(dict(w3.eth.get_transaction_receipt(params[0])))}
        except Exception:  # web3 raises TransactionNotFound where a node answers null
            return {"result": None}
    if method == "eth_getTransactionByHash":
        # Through web3, which names the calldata ``input`` as a node does (eth-tester: ``data``).
        try:
            return {"result": _jsonable(dict(w3.eth.get_transaction(params[0])))}
        except Exception:  # web3 raises TransactionNotFound where a node answers null
            return {"result": None}
    if method == "eth_chainId":
        return {"result": hex(w3.eth.chain_id)}
    answer: dict[str, Any] = _jsonable(dict(w3.provider.make_request(method, params)))
    return answer


def _jsonable(value: Any) -> Any:
    """A provider's answer as the JSON a node would send (bytes as 0x-hex, ints as hex)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, Mapping):  # web3's AttributeDict is a Mapping, not a dict
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
