from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from twofold.methods import encryption


def test_round_trip_and_ciphertext_hides_the_secret() -> None:
    token = encryption.encrypt_json({"secret": "JBSWY3DPEHPK3PXP"})
    assert "JBSWY3DPEHPK3PXP" not in token
    assert encryption.decrypt_json(token) == {"secret": "JBSWY3DPEHPK3PXP"}


def test_old_key_still_decrypts_after_rotation_and_rotate_moves_to_new_key() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(TWOFOLD_ENCRYPTION_KEYS=[old]):
        token = encryption.encrypt_json({"secret": "s"})
    with override_settings(TWOFOLD_ENCRYPTION_KEYS=[new, old]):
        assert encryption.decrypt_json(token) == {"secret": "s"}
        rotated = encryption.rotate(token)
    with override_settings(TWOFOLD_ENCRYPTION_KEYS=[new]):
        assert encryption.decrypt_json(rotated) == {"secret": "s"}
        with pytest.raises(encryption.InvalidToken):
            encryption.decrypt_json(token)


def test_tampered_ciphertext_is_refused() -> None:
    token = encryption.encrypt_json({"secret": "s"})
    tampered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    with pytest.raises(encryption.InvalidToken):
        encryption.decrypt_json(tampered)


def test_a_bad_key_in_settings_is_a_clear_configuration_error() -> None:
    with override_settings(TWOFOLD_ENCRYPTION_KEYS=["not-a-key"]):
        with pytest.raises(ImproperlyConfigured, match="Encryption key number 1"):
            encryption.encrypt_json({})
