from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityinfoConfig(AppConfig):
    name = "twofold.securityinfo"
    label = "securityinfo"
    verbose_name = _("Security info")
