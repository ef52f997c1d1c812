from django.urls import path

from . import views

urlpatterns = [
    path("", views.failure_list, name="review_list"),
    path("grouped/", views.grouped, name="review_grouped"),
    path("reviewed/", views.bulk_mark, name="review_bulk_mark"),
    path("tests/<int:pk>/", views.test_detail, name="review_detail"),
    path("tests/<int:pk>/status/", views.test_status, name="review_status"),
    path("tests/<int:pk>/rerun/", views.test_rerun, name="review_rerun"),
    path("tests/<int:pk>/reviewed/", views.test_mark, name="review_mark"),
    path("tests/<int:pk>/notes/", views.add_note, name="review_note"),
    path("tests/<int:pk>/report.json", views.test_report_json, name="review_report"),
]
