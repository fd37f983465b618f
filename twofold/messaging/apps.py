from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "twofold.messaging"
    label = "messaging"
    verbose_name = _("Texts and calls")

    def ready(self) -> None:
        from twofold.messaging import checks  # noqa: F401  (registers system checks)
