"""The sandan client: sign documents and talk to the HTTP API from Python.

* :class:`SandanClient` — submit signed documents (one, or many in NDJSON chunks),
  read documents, proofs, trades and verdicts, wait for anchoring, fetch a bank's
  authenticity bundle, release a trade (customs). Errors raise :class:`SandanApiError`;
  transient failures are retried with the same bytes (:class:`RetryPolicy`).
* :class:`Signer` — a party's key (a :class:`~traceability.SigningKey` or a PEM file)
  that checks a document against the CEB schema as the server does, then signs it
  with :func:`traceability.signing.sign_envelope`.
* :func:`load_signing_key` / :func:`write_signing_key` — PKCS#8 PEM key files.

Importing this package loads neither the web framework nor the database nor web3.
"""

from api.client.client import DEFAULT_URL, Envelope, SandanClient, envelope_bytes
from api.client.errors import DocumentProblem, DocumentProblems, SandanApiError
from api.client.keyfiles import load_signing_key, write_signing_key
from api.client.retry import RETRYABLE_STATUSES, RetryPolicy
from api.client.signer import TRADE_DOC_TYPES, Signer, check_document

__all__ = [
    "DEFAULT_URL",
    "RETRYABLE_STATUSES",
    "TRADE_DOC_TYPES",
    "DocumentProblem",
    "DocumentProblems",
    "Envelope",
    "RetryPolicy",
    "SandanApiError",
    "SandanClient",
    "Signer",
    "check_document",
    "envelope_bytes",
    "load_signing_key",
    "write_signing_key",
]
