"""The webhook signature and URL checks, without a database or a network."""

from __future__ import annotations

import pytest

from api.errors import UnprocessableContent
from api.services.webhook_delivery import check_url, secret_key, sign


def no_dns(host: str, port: int) -> list[str]:
    raise OSError("no such host")


def test_sign_gives_the_standard_webhooks_reference_signature() -> None:
    # The example of the Standard Webhooks specification's reference libraries.
    key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = b'{"test": 2432232314}'
    signature = sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body) != signature


@pytest.mark.parametrize(
    ("url", "addresses"),
    [
        ("https://hooks.example.com/in", ["10.0.0.1"]),
        ("https://hooks.example.com/in", ["93.184.216.34", "127.0.0.1"]),  # one bad is enough
        ("https://hooks.example.com/in", ["fe80::1"]),
        ("https://hooks.example.com/in", ["100.64.0.1"]),  # shared (carrier-grade NAT)
        ("https://hooks.example.com/in", ["::ffff:169.254.169.254"]),
        ("https://hooks.example.com/in", ["224.0.0.1"]),
    ],
)
def test_check_url_refuses_a_host_with_any_address_that_is_not_public(
    url: str, addresses: list[str]
) -> None:
    with pytest.raises(UnprocessableContent) as refused:
        check_url(url, allow_private=False, resolve=lambda h, p: addresses)
    assert refused.value.field == "url"


def test_check_url_gives_the_address_to_connect_to() -> None:
    got = check_url("https://hooks.example.com/in", allow_private=False,
                    resolve=lambda h, p: ["93.184.216.34"])  # fmt: skip
    assert got == "93.184.216.34"


def test_an_unresolvable_host_passes_registration_and_fails_delivery() -> None:
    url = "https://not-yet.example.com/in"
    assert check_url(url, allow_private=False, resolve=no_dns, strict=False) is None
    with pytest.raises(UnprocessableContent, match="does not resolve"):
        check_url(url, allow_private=False, resolve=no_dns)


def test_the_allow_private_setting_admits_a_local_http_receiver_only() -> None:
    local = "http://127.0.0.1:9000/hook"
    assert check_url(local, allow_private=True, resolve=lambda h, p: ["127.0.0.1"])
    with pytest.raises(UnprocessableContent):
        check_url(local, allow_private=False, resolve=lambda h, p: ["127.0.0.1"])
    with pytest.raises(UnprocessableContent):
        check_url("ftp://127.0.0.1/", allow_private=True, resolve=lambda h, p: ["127.0.0.1"])
