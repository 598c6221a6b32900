"""SM2 keys, certificates and signatures made by the machine's OpenSSL 3 command line.

The independent implementation the SM2 tests check sandan against. OpenSSL 3.0 puts an
empty user ID in Z unless told (4.0 defaults to the standard's), so every signing and
verifying command names ``distid:1234567812345678``, the ID GM/T 0009 and the e-port use.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

from tests.conftest import require_tool
from traceability.ceb.signature import SM2_SM3
from traceability.ceb.spec import DS_NS

DIST_ID = "distid:1234567812345678"


def openssl_path() -> str:
    """The openssl command, or skip (fail under SANDAN_REQUIRE_ALL_BACKENDS=1)."""
    return require_tool("openssl", "the openssl command line is missing")


def run_openssl(*args: str | Path, stdin: bytes | None = None) -> bytes:
    """Run ``openssl ARGS``; its stdout, or an AssertionError with its stderr."""
    done = subprocess.run(
        [openssl_path(), *map(str, args)], input=stdin, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def sm2_key(path: Path) -> Path:
    """A new SM2 private key (PKCS#8 PEM) at ``path``."""
    run_openssl("genpkey", "-algorithm", "SM2", "-out", path)
    return path


def self_signed_sm2_certificate(key: Path, path: Path, common_name: str) -> Path:
    """A self-signed SM2-with-SM3 certificate of ``key`` (the standard's user ID)."""
    run_openssl(
        "req", "-x509", "-new", "-key", key, "-sm3", "-sigopt", DIST_ID,
        "-subj", f"/CN={common_name}", "-days", "365", "-out", path,
    )  # fmt: skip
    return path


def sm2_sign(key: Path, message: bytes) -> bytes:
    """OpenSSL's SM2-with-SM3 signature of ``message``, DER encoded."""
    return run_openssl("dgst", "-sm3", "-sign", key, "-sigopt", DIST_ID, stdin=message)


def sm2_verify(
    certificate_or_public_key: Path, message: bytes, signature: bytes, tmp: Path
) -> bool:
    """Whether OpenSSL verifies the DER ``signature`` of ``message``."""
    public = tmp / "openssl-verify.pub.pem"
    if b"CERTIFICATE" in certificate_or_public_key.read_bytes():
        public.write_bytes(
            run_openssl("x509", "-in", certificate_or_public_key, "-pubkey", "-noout")
        )
    else:
        public.write_bytes(run_openssl("pkey", "-in", certificate_or_public_key, "-pubout"))
    signature_file = tmp / "openssl-verify.sig"
    signature_file.write_bytes(signature)
    done = subprocess.run(
        [
            openssl_path(), "dgst", "-sm3", "-verify", str(public), "-sigopt", DIST_ID,
            "-signature", str(signature_file),
        ],
        input=message, capture_output=True, check=False,
    )  # fmt: skip
    return done.returncode == 0


def sm3_digest(data: bytes) -> bytes:
    """OpenSSL's SM3 of ``data``."""
    return run_openssl("dgst", "-sm3", "-binary", stdin=data)


# --- e-port style SM2-SM3 XML signatures, all cryptography OpenSSL's ------------------

SM3_URI = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
SIGNATURE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm="{c14n}"/>\
<ds:SignatureMethod Algorithm="{method}"/>\
<ds:Reference URI=""><ds:Transforms>\
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>\
</ds:Transforms><ds:DigestMethod Algorithm="{digest_method}"/>\
<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>\
<ds:SignatureValue>{value}</ds:SignatureValue>\
<ds:KeyInfo><ds:KeyName>{key_name}</ds:KeyName><ds:X509Data>\
<ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
</ds:Signature>"""


class Sm2Signer:
    """An SM2 key and its self-signed certificate, both made by OpenSSL."""

    def __init__(self, directory: Path, name: str) -> None:
        self.key = sm2_key(directory / f"{name}.pem")
        self.certificate = self_signed_sm2_certificate(
            self.key, directory / f"{name}.crt", f"e-port test {name}"
        )
        self.key_pem = self.key.read_bytes()
        self.cert_pem = self.certificate.read_bytes()


def pem_body(pem: bytes) -> str:
    return "".join(line for line in pem.decode().splitlines() if not line.startswith("-----"))


def raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=False, with_comments=False)


def openssl_signed(
    xml: bytes,
    signer: Sm2Signer,
    *,
    encoding: str = "der",
    signed_info_bytes: Callable[[etree._Element], bytes] | None = None,
    key_name: str = "3301960002-SM2",
) -> bytes:
    """``xml`` signed SM2-SM3 by the OpenSSL command line, e-port style: the ds:Signature
    from text, its SM3 DigestValue and its SM2 SignatureValue (DER, or ``"raw"`` r‖s)
    computed by OpenSSL over the canonical forms."""
    root = etree.fromstring(xml)
    for old in root.findall(f"{{{DS_NS}}}Signature"):
        root.remove(old)  # the committed samples' own (RSA) signatures
    digest = base64.b64encode(sm3_digest(c14n(root))).decode()
    text = SIGNATURE.format(
        c14n=C14N, method=SM2_SM3, digest_method=SM3_URI, digest=digest, value="",
        key_name=key_name, certificate=pem_body(signer.cert_pem),
    )  # fmt: skip
    signature = etree.fromstring(text)
    root.append(signature)  # an import message ends with its signature
    signed_info = signature.find(f"{{{DS_NS}}}SignedInfo")
    signed = signed_info_bytes(signed_info) if signed_info_bytes else c14n(signed_info)
    der = sm2_sign(signer.key, signed)
    value = raw_signature(der) if encoding == "raw" else der
    signature.find(f"{{{DS_NS}}}SignatureValue").text = base64.b64encode(value).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- certificate authorities ---------------------------------------------------------

_CA_CONFIG = """[ ca ]
default_ca = local
[ local ]
database = {directory}/index.txt
new_certs_dir = {directory}/issued
serial = {directory}/serial
default_md = sm3
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
[ v3_leaf ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
"""


class Sm2Authority:
    """An SM2 certificate authority run by ``openssl ca``: a self-signed root, or one
    issued by another authority; it issues certificates with any validity period."""

    def __init__(self, directory: Path, name: str, parent: Sm2Authority | None = None) -> None:
        self.directory = directory / name
        (self.directory / "issued").mkdir(parents=True)
        (self.directory / "ca.cnf").write_text(_CA_CONFIG.format(directory=self.directory))
        (self.directory / "index.txt").write_text("")
        (self.directory / "serial").write_text("3000000000cde600\n")
        if parent is None:
            self.key = sm2_key(self.directory / "ca.key")
            self.certificate = self.directory / "ca.crt"
            run_openssl(
                "req", "-x509", "-new", "-key", self.key, "-sm3", "-sigopt", DIST_ID,
                "-subj", f"/CN={name}", "-days", "3650", "-set_serial", "1",
                "-addext", "basicConstraints=critical,CA:true",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", self.certificate,
            )  # fmt: skip
        else:
            self.key, self.certificate = parent.issue(name, ca=True)

    @property
    def pem(self) -> bytes:
        return self.certificate.read_bytes()

    def issue(
        self,
        name: str,
        *,
        ca: bool = False,
        start: str = "20250101000000Z",
        end: str = "20450101000000Z",
    ) -> tuple[Path, Path]:
        """(key, certificate) of a new SM2 key certified from ``start`` to ``end``."""
        key = sm2_key(self.directory / f"{name}.key")
        request = self.directory / f"{name}.csr"
        run_openssl(
            "req", "-new", "-key", key, "-sm3", "-sigopt", DIST_ID, "-subj", f"/CN={name}",
            "-out", request,
        )  # fmt: skip
        certificate = self.directory / f"{name}.crt"
        run_openssl(
            "ca", "-batch", "-config", self.directory / "ca.cnf", "-cert", self.certificate,
            "-keyfile", self.key, "-in", request, "-out", certificate, "-notext",
            "-startdate", start, "-enddate", end, "-extensions", "v3_ca" if ca else "v3_leaf",
            "-sigopt", DIST_ID, "-vfyopt", DIST_ID,
        )  # fmt: skip
        return key, certificate
