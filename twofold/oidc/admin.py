"""OpenID Connect clients in Django's admin: the toolkit's admin, narrowed and guarded.

Named by OAUTH2_PROVIDER["APPLICATION_ADMIN_CLASS"], so the toolkit registers it. Nothing
here imports ``oauth2_provider.admin``: that module imports this one while it loads.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from oauth2_provider.forms import ApplicationForm
from oauth2_provider.models import get_application_model

from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.methods.stepup import verified_recently
from twofold.oidc.services import redirect_uri_problems, remove_client

Application = get_application_model()


class ClientForm(ApplicationForm):
    """Authorization code + PKCE, RS256 ID tokens, hashed secret: not choices an admin makes."""

    class Meta:
        model = Application
        fields = (
            "name",
            "client_id",
            "client_type",
            "client_secret",
            "redirect_uris",
            "post_logout_redirect_uris",
            "allowed_origins",
            "skip_authorization",
        )
        widgets = {"client_type": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        self.instance.algorithm = Application.RS256_ALGORITHM
        self.instance.hash_client_secret = True

    def _clean_uris(self, field: str) -> str:
        value: str = self.cleaned_data.get(field, "")
        problems = redirect_uri_problems(value.split())
        if problems:
            raise forms.ValidationError(problems)
        return value

    def clean_redirect_uris(self) -> str:
        return self._clean_uris("redirect_uris")

    def clean_post_logout_redirect_uris(self) -> str:
        return self._clean_uris("post_logout_redirect_uris")


class ApplicationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ClientForm
    list_display = ("name", "client_id", "client_type", "authorization_grant_type", "algorithm")
    list_filter = ("client_type", "authorization_grant_type", "skip_authorization")
    search_fields = ("name", "client_id")
    # Shown, not chosen: a client left from before (say, a password grant) shows what
    # it was and becomes an authorization-code client when saved.
    readonly_fields = ("authorization_grant_type", "algorithm", "created", "updated")

    # Changing who may receive users' tokens needs the admin's own recent verification:
    # stops someone at an admin's unlocked, signed-in browser from adding a client.
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return _step_up(request) or super().changeform_view(
            request, object_id, form_url, extra_context
        )

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return _step_up(request) or super().delete_view(request, object_id, extra_context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Listing is harmless; a POST here runs an action (bulk delete).
        refusal = _step_up(request) if request.method == "POST" else None
        return refusal or super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: Any, form: forms.Form, change: bool) -> None:
        obj.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
        obj.algorithm = Application.RS256_ALGORITHM
        super().save_model(request, obj, form, change)
        record_event(
            AuditEvent.Kind.OIDC_CLIENT_CHANGED if change else AuditEvent.Kind.OIDC_CLIENT_ADDED,
            actor=request.user,
            request=request,
            client_id=obj.client_id,
            name=obj.name,
            changed=sorted(form.changed_data),  # field names only, never the secret
            by="admin",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        remove_client(obj, actor=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for app in queryset:
            remove_client(app, actor=request.user, request=request)


def _step_up(request: HttpRequest) -> HttpResponse | None:
    """None when the admin verified in the last 10 minutes; else off to verify, and back."""
    user = request.user
    if isinstance(user, User) and verified_recently(request, user):
        return None
    # After a POST, come back to the page it came from (the form is shown again).
    target = request.get_full_path() if request.method == "GET" else request.path
    query = urlencode({"next": target})
    return HttpResponseRedirect(f"{reverse('securityinfo_verify_identity')}?{query}")
