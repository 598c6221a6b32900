"""EPC URNs (pure identity forms) to canonical GS1 Digital Links."""

from __future__ import annotations

import pytest

from traceability.gs1 import InvalidEpcUri, epc_uri_to_digital_link


@pytest.mark.parametrize(
    ("urn", "link"),
    [
        ("urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876"),
        ("urn:epc:id:sgtin:0614141.812345.A%2FB", "https://id.gs1.org/01/80614141123458/21/A%2FB"),
        ("urn:epc:class:lgtin:4012345.011111.L1", "https://id.gs1.org/01/04012345111118/10/L1"),
        ("urn:epc:idpat:sgtin:4012345.011111.*", "https://id.gs1.org/01/04012345111118"),
        ("urn:epc:id:sscc:4012345.1112223334", "https://id.gs1.org/00/140123451122233341"),
        ("urn:epc:id:sgln:4012345.00022.0", "https://id.gs1.org/414/4012345000221"),
        ("urn:epc:id:sgln:4012345.00022.9", "https://id.gs1.org/414/4012345000221/254/9"),
        ("urn:epc:id:pgln:4012345.00000", "https://id.gs1.org/417/4012345000009"),
        ("urn:epc:id:grai:4012345.55555.22", "https://id.gs1.org/8003/04012345555554" + "22"),
        ("urn:epc:id:giai:4000001.111", "https://id.gs1.org/8004/4000001111"),
        ("urn:epc:id:gsrn:4012345.0000012345", "https://id.gs1.org/8018/401234500000123452"),
        ("urn:epc:id:gdti:4012345.55555.1", "https://id.gs1.org/253/40123455555541"),
        ("urn:epc:id:cpi:4012345.AB12.7", "https://id.gs1.org/8010/4012345AB12/8011/7"),
    ],
)  # fmt: skip
def test_epc_uri_to_digital_link_converts_schemes(urn, link):
    assert epc_uri_to_digital_link(urn) == link


@pytest.mark.parametrize(
    "urn",
    [
        "urn:epc:id:sgtin:4012345.11111",
        "urn:epc:id:sgtin:4012345.0111111.9",
        "urn:epc:id:sscc:4012345.12",
        "urn:epc:id:sgtin:40123x5.011111.9",
        "urn:epc:id:usdod:ABC.1",
        "urn:epc:idpat:sgtin:4012345.011111.9",
        "urn:epc:id:sgtin:4012345.011111.A%2",
    ],
)
def test_epc_uri_to_digital_link_rejects_malformed(urn):
    with pytest.raises(InvalidEpcUri):
        epc_uri_to_digital_link(urn)
