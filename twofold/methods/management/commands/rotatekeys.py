from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from twofold.methods import encryption
from twofold.methods.models import RegisteredMethod


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of TWOFOLD_ENCRYPTION_KEYS. "
        "Run after putting a new key first; then the old key can be removed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        with transaction.atomic():
            for method in RegisteredMethod.objects.select_for_update().only("encrypted_data"):
                method.encrypted_data = encryption.rotate(method.encrypted_data)
                method.save(update_fields=["encrypted_data"])
                rotated += 1
        self.stdout.write(
            self.style.SUCCESS(f"{rotated} secrets re-encrypted with the newest key.")
        )
