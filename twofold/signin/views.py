from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from twofold.accounts.passwords_check import Outcome, SignInResult
from twofold.signin.forms import SignInForm
from twofold.signin.services import sign_in_with_password, sign_out

TEMPLATE = "signin/sign_in.html"


@method_decorator([never_cache, sensitive_post_parameters("password")], name="dispatch")
class SignInView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return HttpResponseRedirect(_safe_next(request))
        return self._render(request, SignInForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SignInForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        result = sign_in_with_password(
            request, form.cleaned_data["username"], form.cleaned_data["password"]
        )
        if result.outcome == Outcome.ACCEPTED:
            return HttpResponseRedirect(_safe_next(request))
        form.add_error(None, _refusal_message(result))
        response = self._render(request, form, status=_refusal_status(result))
        if result.retry_after_seconds:
            response["Retry-After"] = str(result.retry_after_seconds)
        return response

    def _render(self, request: HttpRequest, form: SignInForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "next": _safe_next(request, default="")}
        return render(request, TEMPLATE, context, status=status)


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


def _safe_next(request: HttpRequest, default: str | None = None) -> str:
    """Only same-site paths are followed, so sign-in can't become an open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL) if default is None else default
