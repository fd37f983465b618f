"""Only what an OpenID provider needs; no client registration or token pages for users.

The names stay in the toolkit's ``oauth2_provider`` namespace: its discovery document finds
the endpoints by reversing them.
"""

from django.urls import include, path, re_path
from oauth2_provider import views as toolkit

from twofold.oidc import views

provider_patterns = [
    path("authorize/", views.TwofoldAuthorizationView.as_view(), name="authorize"),
    path("token/", toolkit.TokenView.as_view(), name="token"),
    path("revoke_token/", toolkit.RevokeTokenView.as_view(), name="revoke-token"),
    path("userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path("logout/", views.LogoutView.as_view(), name="rp-initiated-logout"),
    path(".well-known/jwks.json", toolkit.JwksInfoView.as_view(), name="jwks-info"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        views.DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
]

urlpatterns = [
    path("o/", include((provider_patterns, "oauth2_provider"), namespace="oauth2_provider")),
]
