from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "twofold.core"
    label = "core"

    def ready(self) -> None:
        from twofold.core import checks  # noqa: F401  (registers system checks)
