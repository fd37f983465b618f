from django.urls import path

from twofold.activity import views

urlpatterns = [
    path("account/activity/", views.ShowActivityView.as_view(), name="activity_show_page"),
    path(
        "account/activity/<int:event_id>/not-me/",
        views.ReportNotMeView.as_view(),
        name="activity_report_not_me",
    ),
    path(
        "account/activity/secure/",
        views.SecureAccountView.as_view(),
        name="activity_secure_account",
    ),
]
