from django.contrib.auth import views as auth_views
from django.urls import path

from . import entry, views

urlpatterns = [
    path("", views.mailbox_list, name="mailbox_list"),
    path("signup/", entry.signup, name="signup"),
    path("login/", entry.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's password reset, over email (templates in templates/registration/).
    path("password-reset/", entry.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        entry.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("mailboxes/new/", views.mailbox_new, name="mailbox_new"),
    path("mailboxes/provider-hint/", views.provider_hint, name="provider_hint"),
    path("mailboxes/<int:pk>/", views.mailbox_detail, name="mailbox_detail"),
    path("mailboxes/<int:pk>/status/", views.mailbox_status, name="mailbox_status"),
    path("mailboxes/<int:pk>/edit/", views.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/retest/", views.mailbox_retest, name="mailbox_retest"),
    path("mailboxes/<int:pk>/tracking/", views.mailbox_tracking, name="mailbox_tracking"),
    path("mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
    path("mailboxes/<int:pk>/fix/<int:error_pk>/", views.mailbox_apply_fix, name="mailbox_apply_fix"),
    path("mailboxes/<int:pk>/sent-folder/", views.mailbox_choose_folder, name="mailbox_choose_folder"),
    path("mailboxes/<int:pk>/sent-folder/new/", views.mailbox_create_folder, name="mailbox_create_folder"),
]
