from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "twofold.signin"
    label = "signin"
    verbose_name = _("Sign-in")

    def ready(self) -> None:
        from twofold.accounts.services import user_password_changed
        from twofold.signin.trusted import forget_browsers_on_password_change

        user_password_changed.connect(forget_browsers_on_password_change)
