from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "twofold.oidc"
    label = "oidc"
    verbose_name = _("OpenID Connect")

    def ready(self) -> None:
        from django.core import checks
        from oauth2_provider.checks import validate_bcp_configuration

        from twofold.core import middleware
        from twofold.oidc.services import form_action_origins

        middleware.form_action_sources.append(form_action_origins)
        # The toolkit checks its settings against RFC 9700 only under --deploy; a plain
        # `twofold check` (and every start of the server) runs them too.
        checks.registry.registry.deployment_checks.discard(validate_bcp_configuration)
        checks.register(validate_bcp_configuration, checks.Tags.security)
