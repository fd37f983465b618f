from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_NEW_APP_PASSWORD
from twofold.apppasswords.forms import CreateAppPasswordForm
from twofold.apppasswords.models import AppPassword
from twofold.apppasswords.services import (
    MAX_PER_USER,
    AppPasswordRefused,
    allowed,
    create_app_password,
    delete_app_password,
)
from twofold.methods import encryption
from twofold.securityinfo.views import requires_step_up


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@method_decorator([login_required, never_cache, requires_step_up], name="dispatch")
class ManageAppPasswordsView(View):
    """List, create (shown once) and delete app passwords, from the Security info page."""

    template_name = "apppasswords/manage.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, CreateAppPasswordForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        return create_from_post(request, self._render, next_url=request.POST.get("then", ""))

    def _render(
        self, request: HttpRequest, form: CreateAppPasswordForm, status: int = 200
    ) -> HttpResponse:
        user = _user(request)
        if not allowed(user):
            raise Http404
        context = {
            "form": form,
            "app_passwords": AppPassword.objects.filter(user=user),
            "maximum": MAX_PER_USER,
        }
        return render(request, self.template_name, context, status=status)


def create_from_post(
    request: HttpRequest,
    render_form: Callable[..., HttpResponse],
    *,
    next_url: str,
) -> HttpResponse:
    """Create from the posted form, then redirect to the page that shows it once.

    POST-redirect-GET: reloading that page can't make a second app password.
    """
    form = CreateAppPasswordForm(request.POST)
    if form.is_valid():
        try:
            record, password = create_app_password(
                _user(request), form.cleaned_data["name"], request=request
            )
        except AppPasswordRefused as refused:
            form.add_error(None, refused.message)
        else:
            # Kept encrypted in the session only until the next page has shown it.
            request.session[SESSION_NEW_APP_PASSWORD] = encryption.encrypt_json(
                {"id": record.pk, "password": password, "next": next_url}
            )
            return redirect("apppasswords_show_created")
    return render_form(request, form, status=400)


@login_required
@never_cache
def show_created(request: HttpRequest) -> HttpResponse:
    """The new app password, once; a reload finds it gone and says why."""
    token = request.session.pop(SESSION_NEW_APP_PASSWORD, None)
    shown = None
    if token:
        try:
            shown = encryption.decrypt_json(token)
        except encryption.InvalidToken:
            shown = None
    record = (
        AppPassword.objects.filter(user=_user(request), pk=shown["id"]).first() if shown else None
    )
    if shown is None or record is None:
        messages.info(
            request,
            _(
                "An app password is shown only once. If you didn't copy it, delete it "
                "and make a new one."
            ),
        )
        return redirect("apppasswords_manage")
    context = {"record": record, "password": shown["password"], "next_url": shown["next"]}
    return render(request, "apppasswords/created.html", context)


@require_POST
@login_required
@requires_step_up
def delete(request: HttpRequest, app_password_id: int) -> HttpResponse:
    if delete_app_password(_user(request), app_password_id, request=request):
        messages.success(request, _("The app password was deleted; apps using it stop working."))
    return redirect("apppasswords_manage")
