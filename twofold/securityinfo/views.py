from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from twofold.accounts.models import User
from twofold.accounts.passwords_check import Outcome, verify_password
from twofold.accounts.sessions import SESSION_SIGNED_IN_AT
from twofold.apppasswords.services import allowed as app_passwords_allowed
from twofold.core import clock
from twofold.core.redirects import asks_to_resend, safe_next, without_resend
from twofold.methods.base import SecurityMethod
from twofold.methods.flows import delete_method, method_of, set_default_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.purposes import Purpose
from twofold.methods.registry import get_method
from twofold.methods.stepup import StepUpRequired, verified_recently
from twofold.methods.web import (
    answer_status,
    challenge_context,
    choose_method,
    registration_context,
    try_register,
    try_verify,
)
from twofold.policy.services import allowed_methods, is_allowed
from twofold.securityinfo.forms import ChangeDefaultMethodForm, ConfirmPasswordForm
from twofold.signin.familiar import source_for


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def requires_step_up(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Asks for a fresh verification before showing a page that changes security info.

    The flows check again (``require_step_up``); this only spares the person filling in a
    form that would be refused.
    """

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not verified_recently(request, _user(request)):
            return redirect_to_step_up(request)
        return view(request, *args, **kwargs)

    return wrapper


def redirect_to_step_up(request: HttpRequest) -> HttpResponse:
    """To the verify-identity page, then back: to this page, or after a POST to where it was."""
    if request.method == "GET":
        target = request.get_full_path()
    elif request.path.startswith(reverse("registration_show_start")):
        target = reverse("registration_show_start")
    else:
        target = reverse("securityinfo_show_page")
    query = urlencode({"next": target})
    return redirect(f"{reverse('securityinfo_verify_identity')}?{query}")


class StepUpMiddleware:
    """Turns a flow's StepUpRequired into the verify-identity page, wherever it was raised."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, StepUpRequired):
            return redirect_to_step_up(request)
        return None


protected = method_decorator([login_required, never_cache], name="dispatch")
protected_step_up = method_decorator(
    [login_required, never_cache, requires_step_up], name="dispatch"
)


def _method_rows(user: User) -> list[tuple[RegisteredMethod, Any, str]]:
    rows = []
    for registered in RegisteredMethod.objects.filter(user=user):
        method = get_method(registered.kind)
        if method is not None:
            rows.append((registered, method, method.describe(registered)))
    return rows


def _addable(user: User, rows: list[tuple[RegisteredMethod, Any, str]]) -> list[SecurityMethod]:
    """Allowed methods, less the one-per-person kinds already here (deleted to be replaced)."""
    had = {registered.kind for registered, _method, _detail in rows}
    return [m for m in allowed_methods(user) if not (m.one_per_person and m.key in had)]


@protected
class ShowPageView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        rows = _method_rows(user)
        default = next((row for row in rows if row[0].is_default), None)
        return render(
            request,
            "securityinfo/page.html",
            {
                "rows": rows,
                "default": default,
                "addable": _addable(user, rows),
                "app_passwords_allowed": app_passwords_allowed(user),
            },
        )


@protected_step_up
class AddMethodView(View):
    template_name = "securityinfo/add.html"

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        method = self._method(request, key)
        return render(request, self.template_name, self._context(request, method))

    def post(self, request: HttpRequest, key: str) -> HttpResponse:
        user = _user(request)
        method = self._method(request, key)
        outcome = try_register(request, method, user)
        if outcome.started_over:
            return redirect(request.path)
        if outcome.registered is None:
            context = self._context(request, method, outcome.form)
            return render(request, self.template_name, context, status=outcome.status)
        messages.success(
            request, _("%(method)s was added to your security info.") % {"method": method.name}
        )
        return redirect("securityinfo_show_page")

    def _context(
        self, request: HttpRequest, method: SecurityMethod, form: forms.Form | None = None
    ) -> dict[str, Any]:
        return registration_context(
            request,
            method,
            _user(request),
            form,
            add_url_name="securityinfo_add_method",
            submit_label=_("Add"),
        )

    def _method(self, request: HttpRequest, key: str) -> Any:
        method = get_method(key)
        # "If you don't see an option, your organisation doesn't allow it" - nor by URL.
        if method is None or not is_allowed(_user(request), key):
            raise Http404
        return method


@protected_step_up
class DeleteMethodView(View):
    template_name = "securityinfo/delete.html"

    def get(self, request: HttpRequest, method_id: int) -> HttpResponse:
        registered = self._registered(request, method_id)
        method = method_of(registered)
        return render(
            request,
            self.template_name,
            {"registered": registered, "method": method, "detail": method.describe(registered)},
        )

    def post(self, request: HttpRequest, method_id: int) -> HttpResponse:
        registered = self._registered(request, method_id)
        delete_method(_user(request), registered.pk, request=request)
        messages.success(
            request, _("%(method)s was deleted.") % {"method": method_of(registered).name}
        )
        return redirect("securityinfo_show_page")

    def _registered(self, request: HttpRequest, method_id: int) -> RegisteredMethod:
        registered = RegisteredMethod.objects.filter(user=_user(request), pk=method_id).first()
        if registered is None:
            raise Http404
        return registered


@protected_step_up
class ChangeDefaultView(View):
    template_name = "securityinfo/default.html"

    def _choices(self, user: User) -> list[tuple[RegisteredMethod, str]]:
        return [
            (registered, f"{method.name} - {detail}")
            for registered, method, detail in _method_rows(user)
            if method.for_two_step
        ]

    def get(self, request: HttpRequest) -> HttpResponse:
        form = ChangeDefaultMethodForm(self._choices(_user(request)))
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        form = ChangeDefaultMethodForm(self._choices(user), request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        set_default_method(user, form.cleaned_data["method"], request=request)
        messages.success(request, _("Your default sign-in method was changed."))
        return redirect("securityinfo_show_page")


@method_decorator(
    [login_required, never_cache, sensitive_post_parameters("password")], name="dispatch"
)
class VerifyIdentityView(View):
    """Step-up: verify with a second factor (or, with none yet, the password) before changes."""

    template_name = "securityinfo/verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        registered = choose_method(_user(request), request.GET.get("method"))
        if registered is None:
            return self._render_password(request, ConfirmPasswordForm())
        context = challenge_context(request, registered, purpose=Purpose.STEP_UP) | {
            "next": safe_next(request)
        }
        if asks_to_resend(request):
            return redirect(without_resend(request))
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        registered = choose_method(user, request.POST.get("method"))
        if registered is None:
            return self._confirm_password(request, user)
        result, form = try_verify(request, registered, purpose=Purpose.STEP_UP)
        if result is not None and result.ok:
            return HttpResponseRedirect(safe_next(request))
        status = answer_status(result)
        context = challenge_context(request, registered, form, purpose=Purpose.STEP_UP) | {
            "next": safe_next(request)
        }
        return render(request, self.template_name, context, status=status)

    def _confirm_password(self, request: HttpRequest, user: User) -> HttpResponse:
        form = ConfirmPasswordForm(request.POST)
        if not form.is_valid():
            return self._render_password(request, form, status=400)
        result = verify_password(
            user.username, form.cleaned_data["password"], source_for(request, user.username)
        )
        if result.outcome == Outcome.ACCEPTED:
            request.session[SESSION_SIGNED_IN_AT] = clock.now().isoformat()
            return HttpResponseRedirect(safe_next(request))
        if result.outcome in (Outcome.LOCKED, Outcome.THROTTLED):
            form.add_error(None, _("Too many wrong passwords. Try again later."))
            return self._render_password(request, form, status=429)
        form.add_error(None, _("That password isn't right."))
        return self._render_password(request, form, status=401)

    def _render_password(
        self, request: HttpRequest, form: ConfirmPasswordForm, status: int = 200
    ) -> HttpResponse:
        context = {"password_form": form, "next": safe_next(request)}
        return render(request, "securityinfo/confirm_password.html", context, status=status)
