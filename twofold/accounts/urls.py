from django.urls import path

from twofold.accounts import views

urlpatterns = [
    path("account/password/", views.ChangePasswordView.as_view(), name="accounts_change_password"),
]
