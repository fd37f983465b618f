from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from twofold.accounts.models import User
from twofold.core.redirects import asks_to_resend, without_resend
from twofold.methods.base import SecurityMethod
from twofold.methods.challenges import Challenge
from twofold.sspr import captcha, services
from twofold.sspr.forms import ContactForm, StartResetForm


def _portal_open(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """With self-service reset turned off, every portal page says so and whom to ask."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not services.portal_open():
            return render(request, "sspr/closed.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


no_cache = method_decorator([never_cache, _portal_open], name="dispatch")


@no_cache
class StartResetView(View):
    template_name = "sspr/start.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, StartResetForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StartResetForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        try:
            services.start_reset(request, form.cleaned_data["username"])
        except services.ResetClosed:
            return render(request, "sspr/closed.html", status=403)
        except services.ResetRefused as refused:
            form.add_error(None, refused.message)
            return self._render(request, form, status=429)
        return redirect("sspr_choose_method")

    def _render(
        self, request: HttpRequest, form: StartResetForm, status: int = 200
    ) -> HttpResponse:
        question = captcha.new_sum()
        context = {
            "form": form,
            "challenge": captcha.new_challenge(),
            "sum_question": question.question,
            "sum_token": question.token,
        }
        return render(request, self.template_name, context, status=status)


def _flow_or_restart(request: HttpRequest) -> services.ResetFlow | None:
    return services.current_flow(request)


@no_cache
class ChooseMethodView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        flow = _flow_or_restart(request)
        if flow is None:
            return render(request, "sspr/expired.html", status=400)
        if services.verified_enough(flow):
            return redirect(_password_url(flow))
        context = {
            "methods": services.offered_methods(flow),
            "step": len(flow.verified) + 1,
            "steps": services.steps_required(),
            "name": flow.name,
        }
        return render(request, "sspr/choose.html", context)


@method_decorator([never_cache, sensitive_post_parameters(), _portal_open], name="dispatch")
class VerifyMethodView(View):
    template_name = "sspr/verify.html"

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        flow, method = self._flow_and_method(request, kind)
        if flow is None:
            return render(request, "sspr/expired.html", status=400)
        if flow.kind != kind:
            services.choose_method(request, flow, method)
        if services.needs_contact(flow, method):
            return self._render_contact(
                request, flow, method, ContactForm(str(method.reset_contact_label))
            )
        challenge = services.begin_reset_challenge(
            request, flow, method, again=asks_to_resend(request)
        )
        if asks_to_resend(request):
            return redirect(without_resend(request))
        form = services.challenge_form(request, method)
        return self._render(request, flow, method, form, challenge)

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        flow, method = self._flow_and_method(request, kind)
        if flow is None:
            return render(request, "sspr/expired.html", status=400)
        if flow.kind != kind:
            services.choose_method(request, flow, method)
        if services.needs_contact(flow, method):
            contact_form = ContactForm(str(method.reset_contact_label), request.POST)
            if not contact_form.is_valid():
                return self._render_contact(request, flow, method, contact_form, status=400)
            services.give_contact(request, flow, method, contact_form.cleaned_data["contact"])
            return redirect("sspr_verify_method", kind=kind)
        form = services.challenge_form(request, method, request.POST)
        if not form.is_valid():
            return self._render(request, flow, method, form, None, status=400)
        outcome = services.answer_challenge(request, flow, method, form.cleaned_data)
        if outcome.ok:
            return redirect("sspr_choose_method")
        form.add_error(None, outcome.message)
        status = 429 if outcome.locked else 401
        return self._render(request, flow, method, form, None, status=status)

    def _flow_and_method(
        self, request: HttpRequest, kind: str
    ) -> tuple[services.ResetFlow | None, SecurityMethod]:
        method = services.method_for(kind)
        flow = _flow_or_restart(request)
        if method is None or (flow is not None and method not in services.offered_methods(flow)):
            raise Http404
        return flow, method

    def _render_contact(
        self,
        request: HttpRequest,
        flow: services.ResetFlow,
        method: SecurityMethod,
        form: ContactForm,
        status: int = 200,
    ) -> HttpResponse:
        context = {"method": method, "contact_form": form, **_steps(flow)}
        return render(request, "sspr/contact.html", context, status=status)

    def _render(
        self,
        request: HttpRequest,
        flow: services.ResetFlow,
        method: SecurityMethod,
        form: Any,
        challenge: Challenge | None,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            **services.page_context(request, flow, method, challenge),
            "method": method,
            "form": form,
            "registered": None,  # never show an id: it would tell the account exists
            "contacted": method.mask_contact(flow.contact),
            "in_reset_portal": True,
            **_steps(flow),
        }
        return render(request, self.template_name, context, status=status)


def _steps(flow: services.ResetFlow) -> dict[str, int]:
    return {"step": len(flow.verified) + 1, "steps": services.steps_required()}


def _password_url(flow: services.ResetFlow) -> str:
    user = flow.user
    assert user is not None
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("sspr_set_password", args=[uid, default_token_generator.make_token(user)])


@method_decorator([never_cache, sensitive_post_parameters(), _portal_open], name="dispatch")
class SetPasswordView(View):
    """The last step; its link dies once used (the token covers the password hash)."""

    template_name = "sspr/password.html"

    def get(self, request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
        user = self._user(request, uidb64, token)
        if user is None:
            return render(request, "sspr/expired.html", status=400)
        return render(request, self.template_name, {"form": SetPasswordForm(user)})

    def post(self, request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
        user = self._user(request, uidb64, token)
        if user is None:
            return render(request, "sspr/expired.html", status=400)
        form = SetPasswordForm(user, request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        try:
            services.complete_reset(request, user, form.cleaned_data["new_password1"])
        except services.ResetClosed:
            return render(request, "sspr/closed.html", status=403)
        except services.ResetRefused as refused:
            form.add_error("new_password1", refused.message)
            return render(request, self.template_name, {"form": form}, status=400)
        return redirect("sspr_show_done")

    @staticmethod
    def _user(request: HttpRequest, uidb64: str, token: str) -> User | None:
        flow = services.current_flow(request)
        try:
            user_id = int(force_str(urlsafe_base64_decode(uidb64)))
        except (ValueError, TypeError, OverflowError):
            return None
        # The link alone is not enough: this browser must have done the verifications.
        if flow is None or flow.user_id != user_id or not services.verified_enough(flow):
            return None
        user = flow.user
        if user is None or not default_token_generator.check_token(user, token):
            return None
        return user


def show_done(request: HttpRequest) -> HttpResponse:
    return render(request, "sspr/done.html")
