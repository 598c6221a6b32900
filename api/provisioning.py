"""First-run set-up shared by ``sandan demo`` and ``sandan serve``.

On the embedded default (no RPC URL configured) sandan starts its local node
and, when the data directory has no usable deployment yet (none, the chain was
reset, or the file predates a registry), deploys the registries with the dev
accounts holding the service roles. With
``SANDAN_RPC_URL`` set, nothing is deployed implicitly: production chains are
deployed on purpose with ``sandan deploy``.
"""

from __future__ import annotations

from web3 import Web3

from api.config import ApiSettings
from ledger_client import (
    DEV_PARTIES,
    Deployment,
    DeploymentError,
    deploy_registries,
    dev_accounts,
    dev_role_grants,
    ensure_embedded_node,
    make_web3,
)
from ledger_client.providers import check_connection


def connect(settings: ApiSettings) -> Web3:
    """A checked connection to the configured node, or to the embedded one (started if needed)."""
    chain = settings.ledger
    rpc_url = chain.rpc_url or ensure_embedded_node(chain)
    w3 = make_web3(rpc_url, timeout=chain.chain_timeout)
    check_connection(w3)
    return w3


def ensure_deployment(settings: ApiSettings) -> Deployment:
    """The deployment to use, deploying on the embedded node when there is none."""
    path = settings.ledger.deployment_file
    w3 = connect(settings)
    if path.exists():
        try:
            deployment = Deployment.load(path)
            deployment.check(w3)
            return deployment
        except DeploymentError:
            if settings.ledger.rpc_url is not None:
                raise
    elif settings.ledger.rpc_url is not None:
        raise DeploymentError(f"no deployment file at {path}: run `sandan deploy` first")
    accounts = dev_accounts(w3, len(DEV_PARTIES))
    deployment = deploy_registries(w3, accounts[0], grants=dev_role_grants(accounts))
    deployment.save(path)
    return deployment
