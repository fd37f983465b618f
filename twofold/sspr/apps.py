from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsprConfig(AppConfig):
    name = "twofold.sspr"
    label = "sspr"
    verbose_name = _("Password reset")
