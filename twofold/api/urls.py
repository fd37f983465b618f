from django.urls import path

from twofold.api.main import api

urlpatterns = [path("api/v1/", api.urls)]
