from django.urls import path

from twofold.securityinfo import views

urlpatterns = [
    path("security-info/", views.ShowPageView.as_view(), name="securityinfo_show_page"),
    path(
        "security-info/add/<slug:key>/",
        views.AddMethodView.as_view(),
        name="securityinfo_add_method",
    ),
    path(
        "security-info/methods/<int:method_id>/delete/",
        views.DeleteMethodView.as_view(),
        name="securityinfo_delete_method",
    ),
    path(
        "security-info/default/",
        views.ChangeDefaultView.as_view(),
        name="securityinfo_change_default",
    ),
    path(
        "security-info/verify/",
        views.VerifyIdentityView.as_view(),
        name="securityinfo_verify_identity",
    ),
]
