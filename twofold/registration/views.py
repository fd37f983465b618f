from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_INTERRUPT, SESSION_NEXT, SESSION_WIZARD_ADDED
from twofold.apppasswords.forms import CreateAppPasswordForm
from twofold.apppasswords.models import AppPassword
from twofold.apppasswords.services import allowed as app_passwords_allowed
from twofold.apppasswords.views import create_from_post
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.methods.base import SecurityMethod
from twofold.methods.flows import method_of
from twofold.methods.models import RegisteredMethod
from twofold.methods.web import (
    forget_pending_registrations,
    registration_context,
    try_register,
)
from twofold.policy.services import (
    mark_info_confirmed,
    may_postpone_registration,
    policy_snapshot,
    postpone_registration,
    registration_needs,
)
from twofold.registration.services import (
    method_by_key,
    methods_that_help,
    remaining_steps,
    wizard_finished,
)
from twofold.securityinfo.views import requires_step_up

protected = method_decorator([login_required, never_cache], name="dispatch")
# Adding security info asks for a fresh verification, in the wizard as on Security info.
protected_step_up = method_decorator(
    [login_required, never_cache, requires_step_up], name="dispatch"
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _added_ids(request: HttpRequest) -> list[int]:
    return list(request.session.get(SESSION_WIZARD_ADDED, []))


def _to_security_info(request: HttpRequest) -> HttpResponse:
    """A wizard page opened (or submitted from another tab) once the wizard is over."""
    messages.info(
        request,
        _("Your security info is already set up. You can add or change methods here."),
    )
    return redirect("securityinfo_show_page")


def wizard_still_open(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Once the wizard is over its pages lead to Security info, before any verification."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if wizard_finished(_user(request)):
            return _to_security_info(request)
        return view(request, *args, **kwargs)

    return wrapped


@protected
class ShowStartView(View):
    """Keep your account secure: what the organisation asks for, and the first step."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        needs = registration_needs(user)
        if needs.satisfied:
            return redirect("registration_show_done")
        helpful = methods_that_help(user, needs)
        if not helpful:
            # Nothing the organisation allows could meet the requirement: don't trap the user.
            request.session.pop(SESSION_INTERRUPT, None)
            return redirect("core_show_home")
        added = len(_added_ids(request))
        return render(
            request,
            "registration/start.html",
            {
                "needs": needs,
                "suggested": helpful[0],
                "has_alternatives": len(helpful) > 1,
                "step": added + 1,
                "total": added + remaining_steps(needs),
                "postpone_days": may_postpone_registration(user),
            },
        )


@method_decorator(
    [login_required, never_cache, wizard_still_open, requires_step_up], name="dispatch"
)
class AddMethodView(View):
    template_name = "registration/method.html"

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        method = self._method(request, key)
        return self._render(request, _registration_context(request, method))

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        user = _user(request)
        method = self._method(request, key)
        outcome = try_register(request, method, user)
        if outcome.started_over:
            return redirect(request.path)
        registered = outcome.registered
        if registered is None:
            context = _registration_context(request, method, outcome.form)
            return self._render(request, context, status=outcome.status)
        request.session[SESSION_WIZARD_ADDED] = [*_added_ids(request), registered.pk]
        if registration_needs(user).satisfied:
            return redirect("registration_show_done")
        return redirect("registration_show_start")

    def _method(self, request: HttpRequest, key: str) -> Any:
        method = method_by_key(key)
        if method is None or method not in methods_that_help(_user(request)):
            raise Http404
        return method

    def _render(
        self, request: HttpRequest, context: dict[str, Any], status: int = 200
    ) -> HttpResponse:
        user = _user(request)
        needs = registration_needs(user)
        added = len(_added_ids(request))
        context |= {
            "step": added + 1,
            "total": added + max(1, remaining_steps(needs)),
            "has_alternatives": len(methods_that_help(user, needs)) > 1,
        }
        return render(request, self.template_name, context, status=status)


def _registration_context(
    request: HttpRequest, method: SecurityMethod, form: forms.Form | None = None
) -> dict[str, Any]:
    return registration_context(
        request,
        method,
        _user(request),
        form,
        add_url_name="registration_add_method",
        submit_label=_("Next"),
    )


@login_required
@never_cache
@wizard_still_open
def choose_method(request: HttpRequest) -> HttpResponse:
    """I want to set up a different method."""
    # A number or address a code went to stays behind: the next method starts afresh.
    forget_pending_registrations(request)
    methods = methods_that_help(_user(request))
    return render(request, "registration/choose.html", {"methods": methods})


def _app_password_due(user: User) -> bool:
    policy = policy_snapshot().policy
    return (
        policy.app_passwords_in_wizard
        and app_passwords_allowed(user)
        and not AppPassword.objects.filter(user=user).exists()
    )


@protected_step_up
class AddAppPasswordView(View):
    """The wizard's app password section, when policy asks for one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, CreateAppPasswordForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        return create_from_post(request, self._render, next_url="wizard")

    def _render(self, request: HttpRequest, form: Any, status: int = 200) -> HttpResponse:
        return render(request, "registration/app_password.html", {"form": form}, status=status)


@protected
class ShowDoneView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        if not registration_needs(user).satisfied:
            return redirect("registration_show_start")
        if _app_password_due(user):
            return redirect("registration_add_app_password")
        added = RegisteredMethod.objects.filter(user=user, pk__in=_added_ids(request))
        rows = [(m, method_of(m)) for m in added]
        return render(request, "registration/done.html", {"added": rows})

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        if not registration_needs(user).satisfied:
            return redirect("registration_show_start")
        if _app_password_due(user):
            return redirect("registration_add_app_password")
        mark_info_confirmed(user)
        return _leave_wizard(request)


@require_POST
@login_required
def postpone(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not postpone_registration(user):
        return redirect("registration_show_start")
    record_event(AuditEvent.Kind.REGISTRATION_POSTPONED, user=user, request=request)
    return _leave_wizard(request)


@protected
class ReconfirmInfoView(View):
    """Every N days: are these methods still yours and current?"""

    def get(self, request: HttpRequest) -> HttpResponse:
        methods = [(m, method_of(m)) for m in RegisteredMethod.objects.filter(user=_user(request))]
        return render(request, "registration/reconfirm.html", {"methods": methods})

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        mark_info_confirmed(user)
        record_event(AuditEvent.Kind.SECURITY_INFO_CONFIRMED, user=user, request=request)
        if request.POST.get("review") == "1":
            request.session.pop(SESSION_INTERRUPT, None)
            return redirect("securityinfo_show_page")
        return _leave_wizard(request)


def _leave_wizard(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_INTERRUPT, None)
    request.session.pop(SESSION_WIZARD_ADDED, None)
    next_url = request.session.pop(SESSION_NEXT, "") or resolve_url(settings.LOGIN_REDIRECT_URL)
    return HttpResponseRedirect(next_url)
