from django.urls import path

from . import views

urlpatterns = [
    path("settings/alerts/", views.alert_settings, name="alert_settings"),
    path("mailboxes/<int:pk>/health/pause/", views.pause, name="health_pause"),
    path("health/fleet/", views.fleet_view, name="health_fleet"),
    path("health/fleet/actions/", views.fleet_bulk, name="health_fleet_bulk"),
    path("health/fleet/mailboxes/<int:pk>/", views.fleet_mailbox, name="health_fleet_mailbox"),
]
