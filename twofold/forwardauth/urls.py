from django.urls import path

from twofold.forwardauth import views

urlpatterns = [path("forward-auth", views.forward_auth, name="forwardauth_check")]
