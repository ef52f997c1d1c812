from django.urls import path

from . import views

urlpatterns = [
    # The name the connect form's button has always used.
    path("connect/sso/<str:provider>/", views.start, name="sso_start"),
    path("connect/sso/<str:provider>/request/", views.ask_for_sign_in, name="sso_request"),
    path("connect/oauth/<str:provider>/callback/", views.callback, name="mailauth_callback"),
    path("connect/oauth/choose/", views.choose, name="mailauth_choose"),
    path("connect/oauth/choose/answer/", views.choose_answer, name="mailauth_choose_answer"),
]
