from django.urls import path

from twofold.apppasswords import views

urlpatterns = [
    path(
        "security-info/app-passwords/",
        views.ManageAppPasswordsView.as_view(),
        name="apppasswords_manage",
    ),
    path(
        "security-info/app-passwords/created/",
        views.show_created,
        name="apppasswords_show_created",
    ),
    path(
        "security-info/app-passwords/<int:app_password_id>/delete/",
        views.delete,
        name="apppasswords_delete",
    ),
]
