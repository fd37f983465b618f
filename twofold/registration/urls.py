from django.urls import path

from twofold.registration import views

urlpatterns = [
    path("setup/", views.ShowStartView.as_view(), name="registration_show_start"),
    path("setup/method/<slug:key>/", views.AddMethodView.as_view(), name="registration_add_method"),
    path("setup/choose/", views.choose_method, name="registration_choose_method"),
    path("setup/done/", views.ShowDoneView.as_view(), name="registration_show_done"),
    path(
        "setup/app-password/",
        views.AddAppPasswordView.as_view(),
        name="registration_add_app_password",
    ),
    path("setup/postpone/", views.postpone, name="registration_postpone"),
    path("setup/reconfirm/", views.ReconfirmInfoView.as_view(), name="registration_reconfirm_info"),
]
