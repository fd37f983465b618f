from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "twofold.oidc"
    label = "oidc"
    verbose_name = _("OpenID Connect")

    def ready(self) -> None:
        from oauth2_provider.models import get_application_model

        from twofold.core import middleware
        from twofold.oidc.services import forget_redirect_origins, redirect_origins

        middleware.form_action_sources.append(redirect_origins)
        application = get_application_model()
        post_save.connect(forget_redirect_origins, sender=application, dispatch_uid="oidc-origins")
        post_delete.connect(
            forget_redirect_origins, sender=application, dispatch_uid="oidc-origins-d"
        )
