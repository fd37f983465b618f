from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForwardAuthConfig(AppConfig):
    name = "twofold.forwardauth"
    label = "forwardauth"
    verbose_name = _("Forward authentication")
