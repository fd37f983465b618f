from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from twofold_authenticator import keys
from twofold_authenticator.client import activation_message, poll_message, response_message

from .conftest import verifies


def test_messages_are_the_protocol_text() -> None:
    assert activation_message("123456789012") == b"twofold-activate\n123456789012"
    assert poll_message("dev-1", "1700000000") == b"twofold-poll\ndev-1\n1700000000"
    assert response_message("ch", "nn", "approve", "42", False, True) == (
        b"twofold-response\nch\nnn\napprove\n42\n\nuv"
    )
    assert response_message("ch", "nn", "deny", None, True, False) == (
        b"twofold-response\nch\nnn\ndeny\n\nfraud\n"
    )


@pytest.mark.parametrize("key_type", keys.KEY_TYPES)
def test_signature_verifies_with_published_public_key(key_type: keys.KeyType) -> None:
    key = keys.generate(key_type)
    message = poll_message("dev-1", "1700000000")
    signature = keys.sign(key, message)
    assert verifies(keys.public_key_b64u(key), message, keys.b64u(signature))
    if key_type == "ed25519":
        assert len(signature) == 64
    else:
        decode_dss_signature(signature)  # DER, not raw r||s


@pytest.mark.parametrize("key_type", keys.KEY_TYPES)
def test_signature_is_bound_to_message_name(key_type: keys.KeyType) -> None:
    key = keys.generate(key_type)
    public = keys.public_key_b64u(key)
    signature = keys.b64u(keys.sign(key, poll_message("ch", "nn")))
    # The same fields under another message name must not verify.
    assert not verifies(public, b"twofold-response\nch\nnn", signature)
    assert not verifies(public, b"twofold-activate\nch\nnn", signature)
    assert verifies(public, b"twofold-poll\nch\nnn", signature)


@pytest.mark.parametrize("key_type", keys.KEY_TYPES)
def test_pin_protected_key_refuses_wrong_pin(key_type: keys.KeyType) -> None:
    key = keys.generate(key_type)
    pem = keys.to_pem(key, "2468")
    assert keys.is_encrypted(pem)
    with pytest.raises(keys.WrongPin):
        keys.load_pem(pem, "1357")
    with pytest.raises(keys.PinNeeded):
        keys.load_pem(pem)
    unlocked = keys.load_pem(pem, "2468")
    assert keys.public_key_b64u(unlocked) == keys.public_key_b64u(key)
    assert keys.key_type_of(unlocked) == key_type


def test_key_without_pin_is_plain_pkcs8() -> None:
    key = keys.generate()
    pem = keys.to_pem(key)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert keys.public_key_b64u(keys.load_pem(pem)) == keys.public_key_b64u(key)
