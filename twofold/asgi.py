import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
django_application = get_asgi_application()

from twofold.push.longpoll import LongPollRouter  # noqa: E402  (needs Django set up)

# Long polls are answered in front of Django's synchronous middleware (see push.longpoll).
application = LongPollRouter(django_application)
