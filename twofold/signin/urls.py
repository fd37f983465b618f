from django.urls import path

from twofold.signin import views

urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="signin_show_form"),
    path("signout/", views.sign_out_view, name="signin_sign_out"),
]
