from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from twofold.core import views as core_views

# The admin has no sign-in page of its own: it goes through Twofold's, with its
# lockout and audit, instead of Django's unthrottled admin login form.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Twofold"

urlpatterns = [
    path("", core_views.show_home, name="core_show_home"),
    path("healthz", core_views.healthz, name="core_healthz"),
    path("readyz", core_views.readyz, name="core_readyz"),
    path("metrics", core_views.metrics, name="core_metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("twofold.signin.urls")),
    path("", include("twofold.accounts.urls")),
    path("", include("twofold.registration.urls")),
    path("", include("twofold.securityinfo.urls")),
    path("", include("twofold.activity.urls")),
    path("", include("twofold.messaging.urls")),
    path("", include("twofold.push.urls")),
    path("", include("twofold.sspr.urls")),
    path("", include("twofold.apppasswords.urls")),
    path("", include("twofold.forwardauth.urls")),
    path("", include("twofold.oidc.urls")),
    path("", include("twofold.api.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "twofold.core.views.not_found"
handler500 = "twofold.core.views.server_error"
handler400 = "twofold.core.views.bad_request"
handler403 = "twofold.core.views.permission_denied"
