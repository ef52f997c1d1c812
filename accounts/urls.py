from django.contrib.auth import views as auth_views
from django.urls import path

from .views import entry, mailboxes

urlpatterns = [
    path("", mailboxes.mailbox_list, name="mailbox_list"),
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
    path("mailboxes/new/", mailboxes.mailbox_new, name="mailbox_new"),
    path("mailboxes/provider-hint/", mailboxes.provider_hint, name="provider_hint"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_detail, name="mailbox_detail"),
    path("mailboxes/<int:pk>/status/", mailboxes.mailbox_status, name="mailbox_status"),
    path("mailboxes/<int:pk>/edit/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/retest/", mailboxes.mailbox_retest, name="mailbox_retest"),
    path("mailboxes/<int:pk>/tracking/", mailboxes.mailbox_tracking, name="mailbox_tracking"),
    path("mailboxes/<int:pk>/delete/", mailboxes.mailbox_delete, name="mailbox_delete"),
    path("mailboxes/<int:pk>/fix/<int:error_pk>/", mailboxes.mailbox_apply_fix, name="mailbox_apply_fix"),
    path("mailboxes/<int:pk>/sent-folder/", mailboxes.mailbox_choose_folder, name="mailbox_choose_folder"),
    path(
        "mailboxes/<int:pk>/sent-folder/new/", mailboxes.mailbox_create_folder, name="mailbox_create_folder"
    ),
]
