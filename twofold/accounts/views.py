from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from twofold.accounts.forms import ChangePasswordForm
from twofold.accounts.services import change_password
from twofold.signin.familiar import source_for


@method_decorator([login_required, never_cache, sensitive_post_parameters()], name="dispatch")
class ChangePasswordView(View):
    template_name = "accounts/change_password.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": ChangePasswordForm(request.user)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ChangePasswordForm(
            request.user, request.POST, source=source_for(request, request.user.get_username())
        )
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        user = form.user
        change_password(user, form.cleaned_data["new_password1"], request=request)
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password was changed. Other sessions were signed out."))
        return redirect("core_show_home")
