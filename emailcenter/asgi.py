import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")
django_application = get_asgi_application()

# Live streams are served in front of Django's request handling (see live/asgi.py).
from live.asgi import LiveRouter  # noqa: E402

application = LiveRouter(django_application)
