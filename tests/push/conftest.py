"""Devices for the push tests: one in its activation, or one whose registration is finished."""

from __future__ import annotations

from typing import Any

import pytest

from tests.push.soft_device import SoftDevice
from twofold.accounts.models import User
from twofold.core import clock as core_clock
from twofold.methods.flows import register_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import get_method
from twofold.push import services


def send(user: User, device: SoftDevice, purpose: str = "sign-in", **details: Any):
    """A notification to ``device``, as a sign-in would send it."""
    return services.send_notification(
        user,
        device.device_id,
        services.NotificationDetails(purpose=purpose, **details),
    )


def only_pending(device: SoftDevice) -> dict[str, Any]:
    (challenge,) = device.pending()
    return challenge


def other_number(number: str) -> str:
    return f"{(int(number) + 1 - 10) % 90 + 10}"


def register_device(user: User, key_type: str = "ed25519") -> tuple[SoftDevice, RegisteredMethod]:
    """The whole registration: activation, the approved test notification, then saving."""
    method = get_method(services.METHOD_KEY)
    assert method is not None
    pending = method.begin_registration(user)
    device = SoftDevice(key_type)
    device.activate(pending["code"])
    pending = method.advance_registration(user, pending, {"action": "check"}, core_clock.now())
    assert pending is not None
    assert device.approve_latest(pending["number"]) == "approved"
    registered = register_method(user, method, pending, {"action": "finish"})
    return device, registered


@pytest.fixture
def registered(adele: User, clock: Any) -> tuple[SoftDevice, RegisteredMethod]:
    """Adele's registered app (the frozen clock keeps every expiry under the test's control)."""
    return register_device(adele)


@pytest.fixture
def device(registered: tuple[SoftDevice, RegisteredMethod]) -> SoftDevice:
    return registered[0]
