from django.urls import path

from twofold.messaging import views

urlpatterns = [
    path("devphone/", views.show_devphone, name="messaging_show_devphone"),
    path(
        "devphone/<str:number>/", views.show_devphone_number, name="messaging_show_devphone_number"
    ),
    path(
        "devphone/calls/<str:token>/keys/",
        views.press_devphone_keys,
        name="messaging_press_devphone_keys",
    ),
    path("hooks/twilio/voice/<str:token>/", views.twilio_voice, name="messaging_twilio_voice"),
    path("hooks/twilio/voice/<str:token>/keys/", views.twilio_keys, name="messaging_twilio_keys"),
    path("hooks/twilio/status/<str:token>/", views.twilio_status, name="messaging_twilio_status"),
]
