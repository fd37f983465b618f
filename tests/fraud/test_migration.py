"""FraudAlert moved from the methods app to the fraud app: the alerts and permissions stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from twofold.accounts.models import User
from twofold.fraud.models import FraudAlert

BEFORE_THE_MOVE = [("fraud", None), ("methods", "0003_customsecurityquestion")]


def _migrate(targets: list[tuple[str, str | None]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


@pytest.mark.django_db(transaction=True)
def test_alerts_raised_before_the_move_are_still_open_after_it(adele: User) -> None:
    _migrate(BEFORE_THE_MOVE)
    # As on a server that never ran the move: the type is the methods app's.
    ContentType.objects.filter(app_label="fraud", model="fraudalert").delete()
    old_type, _ = ContentType.objects.get_or_create(app_label="methods", model="fraudalert")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO methods_fraudalert (user_id, source, created_at) VALUES (%s, %s, %s)",
            [adele.pk, "phone call", dt.datetime(2026, 11, 1, tzinfo=dt.UTC)],
        )
    _migrate()
    alert = FraudAlert.objects.get()
    assert (alert.user, alert.source, alert.resolved_at) == (adele, "phone call", None)
    moved = ContentType.objects.get_for_model(FraudAlert)
    assert moved.pk == old_type.pk, "permissions given on the old type now apply to the new"


@pytest.mark.django_db(transaction=True)
def test_the_move_can_be_undone(adele: User) -> None:
    FraudAlert.objects.create(user=adele, source="push")
    _migrate(BEFORE_THE_MOVE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT source FROM methods_fraudalert")
        assert cursor.fetchall() == [("push",)]
    _migrate()
    assert FraudAlert.objects.get().source == "push"
