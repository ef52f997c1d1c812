from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_new, name="import_new"),
    path("template.csv", views.import_template, name="import_template"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("<int:pk>/rows/", views.import_rows, name="import_rows"),
    path("<int:pk>/import/", views.import_save, name="import_save"),
    path("<int:pk>/recheck/", views.import_recheck, name="import_recheck"),
    path("<int:pk>/rows/<int:row_pk>/retype/", views.import_retype, name="import_retype"),
    path("<int:pk>/results.csv", views.import_export, name="import_export"),
]
