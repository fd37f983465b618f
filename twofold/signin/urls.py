from django.urls import path

from twofold.signin import views

urlpatterns = [
    path("signin/", views.SignInView.as_view(), name="signin_show_form"),
    path("signin/verify/", views.VerifyIdentityView.as_view(), name="signin_verify_identity"),
    path("signin/verify/other/", views.show_other_ways, name="signin_show_other_ways"),
    path("signout/", views.sign_out_view, name="signin_sign_out"),
]
