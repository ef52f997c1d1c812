"""Django admin registers every model with working lists, filters and search."""

from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.staff_fixtures import PASSWORD

pytestmark = pytest.mark.django_db

APPS = ["accounts", "diagnostics", "review", "support"]


def test_it_registers_every_model():
    missing = [
        m._meta.label
        for label in APPS
        for m in apps.get_app_config(label).get_models()
        if m not in admin.site._registry
    ]
    assert missing == []


def test_every_admin_list_works_with_search_and_filters(
    client, django_user_model, user, make_mailbox, make_failed_test
):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.test", "pw")
    mailbox = make_mailbox(user, password=PASSWORD, provider_id="zoho")
    make_failed_test(mailbox)
    client.force_login(boss)
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            model_admin = admin.site._registry[model]
            assert model_admin.list_display != ("__str__",), model
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for query in ({}, {"q": "zoho"}):
                response = client.get(url, query)
                assert response.status_code == HTTPStatus.OK, (url, query)
                assert PASSWORD not in response.content.decode()
    change = client.get(reverse("admin:accounts_mailbox_change", args=[mailbox.pk])).content.decode()
    assert PASSWORD not in change and mailbox.password_encrypted not in change
