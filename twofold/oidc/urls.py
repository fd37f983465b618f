from django.urls import include, path

from twofold.oidc.views import TwofoldAuthorizationView

urlpatterns = [
    path("o/authorize/", TwofoldAuthorizationView.as_view(), name="oidc_authorize"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
