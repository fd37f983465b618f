from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppPasswordsConfig(AppConfig):
    name = "twofold.apppasswords"
    label = "apppasswords"
    verbose_name = _("App passwords")
