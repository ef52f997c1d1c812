from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import ThrottledLoginForm

urlpatterns = [
    path("", views.mailbox_list, name="mailbox_list"),
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(authentication_form=ThrottledLoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("mailboxes/new/", views.mailbox_new, name="mailbox_new"),
    path("mailboxes/provider-hint/", views.provider_hint, name="provider_hint"),
    path("mailboxes/<int:pk>/", views.mailbox_detail, name="mailbox_detail"),
    path("mailboxes/<int:pk>/status/", views.mailbox_status, name="mailbox_status"),
    path("mailboxes/<int:pk>/edit/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/retest/", views.mailbox_retest, name="mailbox_retest"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
    path("mailboxes/<int:pk>/fix/<int:error_pk>/", views.mailbox_apply_fix, name="mailbox_apply_fix"),
    path("mailboxes/<int:pk>/sent-folder/", views.mailbox_choose_folder, name="mailbox_choose_folder"),
    path("connect/sso/<str:provider>/", views.sso_start, name="sso_start"),
]
