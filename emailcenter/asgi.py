import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emailcenter.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402

# Live streams are served in front of Django's request handling (see live/asgi.py);
# the other requests take turns through Django (see emailcenter/admission.py).
# Bodies past WEB_MAX_BODY_BYTES are refused as they arrive (see emailcenter/bodylimit.py).
from emailcenter.admission import Admission  # noqa: E402
from emailcenter.bodylimit import BodyLimit  # noqa: E402
from live.asgi import LiveRouter  # noqa: E402

application = LiveRouter(
    BodyLimit(
        Admission(django_application, settings.WEB_MAX_CONCURRENT_REQUESTS),
        settings.WEB_MAX_BODY_BYTES,
    )
)
