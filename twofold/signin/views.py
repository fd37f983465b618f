from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from twofold.accounts.passwords_check import Outcome, SignInResult
from twofold.core.redirects import asks_to_resend, safe_next, without_resend
from twofold.methods.flows import method_of
from twofold.methods.purposes import Purpose
from twofold.methods.web import answer_status, challenge_context, choose_method, try_verify
from twofold.policy.services import policy_snapshot, usable_registered_methods
from twofold.signin.forms import SignInForm
from twofold.signin.services import (
    abandon_second_step,
    complete_sign_in,
    pending_user,
    sign_in_with_password,
    sign_out,
)
from twofold.signin.trusted import remember_browser


@method_decorator([never_cache, sensitive_post_parameters("password")], name="dispatch")
class SignInView(View):
    template_name = "signin/sign_in.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return HttpResponseRedirect(safe_next(request))
        return self._render(request, SignInForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SignInForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        step = sign_in_with_password(
            request,
            form.cleaned_data["username"],
            form.cleaned_data["password"],
            next_url=safe_next(request, default=""),
        )
        if step.result.outcome == Outcome.ACCEPTED:
            if step.needs_second_step:
                return redirect("signin_verify_identity")
            return HttpResponseRedirect(safe_next(request))
        form.add_error(None, _refusal_message(step.result))
        response = self._render(request, form, status=_refusal_status(step.result))
        if step.result.retry_after_seconds:
            response["Retry-After"] = str(step.result.retry_after_seconds)
        return response

    def _render(self, request: HttpRequest, form: SignInForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "next": safe_next(request, default="")}
        return render(request, self.template_name, context, status=status)


@method_decorator([never_cache], name="dispatch")
class VerifyIdentityView(View):
    """The second step of sign-in: the default method, or the one picked under "another way"."""

    template_name = "signin/verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = pending_user(request)
        if user is None:
            return redirect("signin_show_form")
        registered = choose_method(user, request.GET.get("method"))
        if registered is None:
            abandon_second_step(request)
            return redirect("signin_show_form")
        context = challenge_context(request, registered)
        if asks_to_resend(request):
            return redirect(without_resend(request))
        return self._render(request, context)

    def post(self, request: HttpRequest) -> HttpResponse:
        user = pending_user(request)
        if user is None:
            return redirect("signin_show_form")
        registered = choose_method(user, request.POST.get("method"))
        if registered is None:
            return redirect("signin_show_form")
        result, form = try_verify(request, registered, purpose=Purpose.SIGN_IN)
        if result is None or not result.ok:
            context = challenge_context(request, registered, form)
            response = self._render(request, context, answer_status(result))
            if result is not None and result.retry_after_seconds:
                response["Retry-After"] = str(result.retry_after_seconds)
            return response
        next_url = complete_sign_in(
            request, user, amr=["pwd", "mfa", method_of(registered).key], method=registered
        )
        response = HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        days = policy_snapshot().policy.remember_browser_days
        if days and request.POST.get("remember_browser") == "on":
            remember_browser(request, response, user, days)
        return response

    def _render(
        self, request: HttpRequest, context: dict[str, Any], status: int = 200
    ) -> HttpResponse:
        context["remember_browser_days"] = policy_snapshot().policy.remember_browser_days
        return render(request, self.template_name, context, status=status)


@never_cache
def show_other_ways(request: HttpRequest) -> HttpResponse:
    user = pending_user(request)
    if user is None:
        return redirect("signin_show_form")
    # The masked number or device name tells two methods of the same kind apart.
    methods = [
        (registered, method, method.describe(registered))
        for registered in usable_registered_methods(user, for_two_step=True)
        for method in [method_of(registered)]
    ]
    return render(request, "signin/other_ways.html", {"methods": methods})


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return redirect("signin_show_form")


def _refusal_message(result: SignInResult) -> str:
    if result.outcome == Outcome.LOCKED:
        return ngettext(
            "Too many failed sign-ins. This account is locked for %(seconds)d more second.",
            "Too many failed sign-ins. This account is locked for %(seconds)d more seconds.",
            result.retry_after_seconds,
        ) % {"seconds": result.retry_after_seconds}
    if result.outcome == Outcome.THROTTLED:
        return _("Too many failed sign-ins from your network. Wait a few minutes and try again.")
    if result.outcome == Outcome.DISABLED:
        return _("This account is disabled. Contact your administrator.")
    return _("That account name and password don't match. Check both and try again.")


def _refusal_status(result: SignInResult) -> int:
    return {Outcome.LOCKED: 429, Outcome.THROTTLED: 429, Outcome.DISABLED: 403}.get(
        result.outcome, 401
    )
