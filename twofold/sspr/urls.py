from django.urls import path

from twofold.sspr import views

urlpatterns = [
    path("reset/", views.StartResetView.as_view(), name="sspr_start_reset"),
    path("reset/verify/", views.ChooseMethodView.as_view(), name="sspr_choose_method"),
    path("reset/verify/<slug:kind>/", views.VerifyMethodView.as_view(), name="sspr_verify_method"),
    path(
        "reset/password/<str:uidb64>/<str:token>/",
        views.SetPasswordView.as_view(),
        name="sspr_set_password",
    ),
    path("reset/done/", views.show_done, name="sspr_show_done"),
]
