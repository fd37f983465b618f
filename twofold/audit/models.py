from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Kind(models.TextChoices):
        SIGNIN_SUCCEEDED = "signin_succeeded", _("Sign-in succeeded")
        PASSWORD_ACCEPTED = "password_accepted", _("Password accepted, second step asked")
        SIGNIN_FAILED = "signin_failed", _("Sign-in failed")
        SIGNIN_REFUSED_LOCKED = "signin_refused_locked", _("Sign-in refused: locked out")
        SIGNIN_REFUSED_DISABLED = "signin_refused_disabled", _("Sign-in refused: account disabled")
        SIGNIN_THROTTLED = "signin_throttled", _("Sign-in throttled for the network address")
        ACCOUNT_LOCKED = "account_locked", _("Account locked out")
        SIGNED_OUT = "signed_out", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_SET_BY_ADMIN = "password_set_by_admin", _("Password set by an administrator")
        USER_CREATED = "user_created", _("User created")
        USER_DISABLED = "user_disabled", _("User disabled")
        USER_ENABLED = "user_enabled", _("User enabled")
        SESSIONS_REVOKED = "sessions_revoked", _("Sessions revoked")
        METHOD_REGISTERED = "method_registered", _("Security info added")
        METHOD_DELETED = "method_deleted", _("Security info deleted")
        DEFAULT_METHOD_CHANGED = "default_method_changed", _("Default sign-in method changed")
        MFA_SUCCEEDED = "mfa_succeeded", _("Verification succeeded")
        MFA_FAILED = "mfa_failed", _("Verification failed")
        MFA_LOCKED = "mfa_locked", _("Verification locked after wrong codes")
        REGISTRATION_POSTPONED = "registration_postponed", _("Registration postponed")
        SECURITY_INFO_CONFIRMED = "security_info_confirmed", _("Security info confirmed")
        REREGISTRATION_REQUIRED = "reregistration_required", _("Re-registration required")
        GATEWAY_FAILED = "gateway_failed", _("Text or call could not be sent")
        FRAUD_REPORTED = "fraud_reported", _("Fraud reported by the user")
        FRAUD_RESOLVED = "fraud_resolved", _("Fraud alert resolved")
        PASSWORD_RESET_STARTED = "password_reset_started", _("Password reset started")
        PASSWORD_RESET = "password_reset", _("Password reset")
        APP_PASSWORD_CREATED = "app_password_created", _("App password created")
        APP_PASSWORD_DELETED = "app_password_deleted", _("App password deleted")
        SECURITY_KEY_COUNTER_REGRESSED = (
            "security_key_counter_regressed",
            _("Security key sign count went back (possible clone)"),
        )
        TRUSTED_BROWSER_ADDED = "trusted_browser_added", _("Browser remembered for sign-in")
        PUSH_DEVICE_ACTIVATED = "push_device_activated", _("Authenticator app activated")
        PUSH_SENT = "push_sent", _("Notification sent to the authenticator app")
        PUSH_APPROVED = "push_approved", _("Notification approved in the app")
        PUSH_DENIED = "push_denied", _("Notification denied in the app")
        PUSH_WRONG_NUMBER = "push_wrong_number", _("Wrong number typed in the app")
        PUSH_THROTTLED = "push_throttled", _("Notifications paused after unanswered or denied ones")
        PUSH_BAD_SIGNATURE = (
            "push_bad_signature",
            _("Authenticator app answer with a bad signature"),
        )
        OIDC_APP_SIGNIN = "oidc_app_signin", _("Signed in to an app (OpenID Connect)")
        OIDC_GRANT_REFUSED = "oidc_grant_refused", _("Token request with a refused grant type")
        OIDC_CODE_REUSED = (
            "oidc_code_reused",
            _("Authorization code used twice: its tokens revoked"),
        )
        OIDC_REFRESH_TOKEN_REUSED = (
            "oidc_refresh_token_reused",
            _("Refresh token used twice: the app sign-in revoked"),
        )
        OIDC_CLIENT_ADDED = "oidc_client_added", _("App registered for sign-in")
        OIDC_CLIENT_CHANGED = "oidc_client_changed", _("App registration changed")
        OIDC_CLIENT_REMOVED = "oidc_client_removed", _("App registration removed")
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        API_CALL = "api_call", _("REST API called")

    occurred_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("event"), max_length=64, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    # The name as typed, kept even when no account has it (failed sign-ins).
    principal_name = models.CharField(_("account name"), max_length=254, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.principal_name}"
