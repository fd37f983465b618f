from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.paginator import InvalidPage, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from twofold.accounts.forms import ChangePasswordForm
from twofold.accounts.models import User
from twofold.accounts.services import change_password
from twofold.activity.services import (
    PAGE_SIZE,
    WINDOW_DAYS,
    describe_events,
    find_reportable_event,
    finish_report,
    recent_events,
    report_not_me,
    reported_recently,
    verification_blocked,
)
from twofold.fraud.services import has_open_fraud_alert
from twofold.signin.familiar import source_for

protected = method_decorator([login_required, never_cache], name="dispatch")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@protected
class ShowActivityView(View):
    template_name = "activity/page.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        user = _user(request)
        paginator = Paginator(recent_events(user), PAGE_SIZE)
        context = {
            "window_days": WINDOW_DAYS,
            "reported": has_open_fraud_alert(user),
            "blocked": verification_blocked(user),
        }
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except InvalidPage:
            # A typed or stale page number: say so and offer the newest page, never a 500.
            message = _("There is no page %(page)s of your recent activity.") % {
                "page": request.GET.get("page", "")[:20]
            }
            return render(request, self.template_name, {**context, "bad_page": message}, status=404)
        entries = describe_events(user, list(page.object_list))
        return render(request, self.template_name, {**context, "page": page, "entries": entries})


@protected
class ReportNotMeView(View):
    def get(self, request: HttpRequest, event_id: int) -> HttpResponse:
        return redirect("activity_show_page")

    def post(self, request: HttpRequest, event_id: int) -> HttpResponse:
        user = _user(request)
        # Only the person's own entries: any other id is the same 404 as one that never was.
        event = find_reportable_event(user, event_id)
        if event is None:
            message = _(
                "This entry isn't in your recent activity. Go back to Recent activity and "
                "choose an entry from the list."
            )
            return render(request, "core/error.html", {"message": message}, status=404)
        report_not_me(request, user, event)
        return redirect("activity_secure_account")


@method_decorator([login_required, never_cache, sensitive_post_parameters()], name="dispatch")
class SecureAccountView(View):
    """Right after "This wasn't me": what was done, what happens next, and a new password."""

    template_name = "activity/secure.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not reported_recently(request):
            return redirect("activity_show_page")
        return self._render(request, ChangePasswordForm(request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not reported_recently(request):
            return redirect("activity_show_page")
        user = _user(request)
        form = ChangePasswordForm(
            user, request.POST, source=source_for(request, user.get_username())
        )
        if not form.is_valid():
            return self._render(request, form, status=400)
        change_password(user, form.cleaned_data["new_password1"], request=request)
        update_session_auth_hash(request, user)
        finish_report(request)
        messages.success(request, _("Your password was changed."))
        return redirect("activity_show_page")

    def _render(
        self, request: HttpRequest, form: ChangePasswordForm, status: int = 200
    ) -> HttpResponse:
        context = {"form": form, "blocked": verification_blocked(_user(request))}
        return render(request, self.template_name, context, status=status)
