from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views

urlpatterns = [
    path("setlang/", views.set_language, name="set_language"),
    # The static/js strings; base.html loads it before the app's scripts.
    path("js/", JavaScriptCatalog.as_view(), name="javascript_catalog"),
]
