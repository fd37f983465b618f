from django.urls import path

from twofold.push import views

# Under ASGI the two long polls are answered by twofold.push.longpoll before a request
# reaches Django; the views here answer the same questions at once, without waiting.
urlpatterns = [
    path("push/api/activate", views.activate_device, name="push_activate_device"),
    path("push/api/respond", views.answer_notification, name="push_answer_notification"),
    path("push/api/poll", views.poll_notifications, name="push_poll_notifications"),
    path("push/wait/<str:token>", views.wait_for_answer, name="push_wait_answer"),
]
