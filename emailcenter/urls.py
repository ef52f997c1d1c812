from django.contrib import admin
from django.urls import include, path

from .health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("mailauth.urls")),
    path("review/", include("review.urls")),
    path("support/", include("support.urls")),
    path("live/", include("live.urls")),
    path("", include("monitoring.urls")),
    path("imports/", include("imports.urls")),
    path("i18n/", include("languages.urls")),
]

handler500 = "emailcenter.unavailable.server_error"
