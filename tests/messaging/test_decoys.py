"""Decoy texts and calls: a made-up account at the reset portal writes and counts like a real
one, sends nothing, and is shown nowhere."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.models import Sum
from django.test import Client

from tests.conftest import FrozenClock
from tests.sspr.helpers import start
from twofold.accounts.models import User
from twofold.core.models import RateCounter
from twofold.messaging import services as messaging
from twofold.messaging.gateways.devphone import DevPhoneGateway
from twofold.messaging.models import Outbound
from twofold.methods.models import RegisteredMethod

pytestmark = pytest.mark.django_db

NUMBER = "+31612345678"


def begin_text(name: str, clock: FrozenClock) -> str:
    """A reset by text for ``name``, typed with NUMBER: the challenge page."""
    client = Client()
    start(client, name)
    client.post("/reset/verify/phone_text/", {"contact": NUMBER})
    return client.get("/reset/verify/phone_text/").content.decode()


def give_text(user: User) -> None:
    row = RegisteredMethod(user=user, kind="phone_text")
    row.data = {"number": NUMBER}
    row.save()


def test_a_made_up_text_writes_one_decoy_row_and_counts_the_same_limits(
    make_user, clock: FrozenClock
) -> None:
    give_text(make_user("adele@contoso.example"))
    counted = []
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        before = RateCounter.objects.aggregate(hits=Sum("hits"))["hits"] or 0
        begin_text(name, clock)
        counted.append(RateCounter.objects.aggregate(hits=Sum("hits"))["hits"] - before)
    real, decoy = Outbound.objects.order_by("pk")
    assert real.status == Outbound.Status.DELIVERED
    assert decoy.status == Outbound.Status.DECOY and decoy.user is None and decoy.body == ""
    assert decoy.to_number == NUMBER and decoy.decoy_key
    # reset-ip and reset-name at the start, then the six message limits
    assert counted == [8, 8]


def test_no_gateway_is_called_for_a_decoy(clock: FrozenClock) -> None:
    with (
        mock.patch.object(DevPhoneGateway, "send_text") as send_text,
        mock.patch.object(DevPhoneGateway, "place_call") as place_call,
    ):
        begin_text("nobody@contoso.example", clock)
        client = Client()
        start(client, "nobody@contoso.example")
        client.post("/reset/verify/phone_call/", {"contact": NUMBER})
        client.get("/reset/verify/phone_call/")
    send_text.assert_not_called()
    place_call.assert_not_called()
    assert Outbound.objects.filter(status=Outbound.Status.DECOY).count() == 2


@pytest.mark.parametrize("name", ["adele@contoso.example", "nobody@contoso.example"])
def test_the_sixth_text_is_refused_alike_for_real_and_made_up_names(
    make_user, clock: FrozenClock, name: str
) -> None:
    give_text(make_user("adele@contoso.example"))
    for wait in [0, 0, 0, 30, 60, 120]:  # three free sends, then past each backoff wait
        clock.advance(wait)
        page = begin_text(name, clock)
        # The portal never says a send was refused: that would tell the number was right.
        assert "Too many" not in page
    # Five sends (real or decoy), the sixth refused by the per-user limit, counted per name.
    assert Outbound.objects.count() == 5


def test_decoys_never_use_up_the_typed_numbers_own_limit(make_user, clock: FrozenClock) -> None:
    lee = make_user("lee@contoso.example")
    for number in range(6):
        clock.advance(3600)
        begin_text(f"nobody{number}@contoso.example", clock)
    # Lee's own number still has every send of its hour.
    messaging.send_text(lee, NUMBER, "hello", purpose="test")


def test_the_dev_phone_does_not_show_decoys(clock: FrozenClock) -> None:
    begin_text("nobody@contoso.example", clock)
    decoy = Outbound.objects.get()
    assert NUMBER not in Client().get("/devphone/").content.decode()
    assert decoy.token not in Client().get(f"/devphone/{NUMBER}/").content.decode()
    assert Client().post(f"/devphone/calls/{decoy.token}/keys/", {"keys": "#"}).status_code == 404


def test_decoys_are_deleted_after_a_day(clock: FrozenClock) -> None:
    begin_text("nobody@contoso.example", clock)
    clock.advance(86400 + 60)
    begin_text("nobody@contoso.example", clock)
    assert Outbound.objects.count() == 1
