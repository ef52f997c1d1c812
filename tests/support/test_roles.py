"""The groups exist after migrate; commands create them and grant or remove a role."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from core.roles import ADMIN, ROLES, SUPPORT, has_role

pytestmark = pytest.mark.django_db


def test_it_creates_the_groups_with_their_permissions_on_migrate():
    support = Group.objects.get(name="Support staff")
    admins = Group.objects.get(name="Connection admins")
    perms = lambda g: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()}  # noqa: E731
    assert perms(support) == set(ROLES[SUPPORT].permissions)
    assert perms(admins) == set(ROLES[ADMIN].permissions)
    assert not any(p.startswith("accounts.change") for p in perms(support) | perms(admins))


def test_it_repairs_the_groups_with_setup_roles(capsys):
    Group.objects.get(name="Support staff").permissions.clear()
    Group.objects.get(name="Connection admins").delete()
    call_command("setup_roles")
    assert "Support staff: 8 permissions" in capsys.readouterr().out
    assert Group.objects.get(name="Connection admins").permissions.count() == len(ROLES[ADMIN].permissions)


def test_it_grants_and_removes_roles(make_user):
    person = make_user("dana")
    call_command("grant_role", "dana", "support")
    person.refresh_from_db()
    assert person.is_staff and has_role(person, SUPPORT) and not has_role(person, ADMIN)
    call_command("grant_role", "dana", "admin")
    call_command("grant_role", "dana", "support", "--remove")
    person = type(person).objects.get(pk=person.pk)  # fresh permission cache
    assert person.is_staff and has_role(person, ADMIN) and not has_role(person, SUPPORT)
    call_command("grant_role", "dana", "admin", "--remove")
    person.refresh_from_db()
    assert not person.is_staff


def test_it_refuses_unknown_users_and_roles(make_user):
    with pytest.raises(CommandError, match="No user named"):
        call_command("grant_role", "nobody", "support")
    make_user("erin")
    with pytest.raises(CommandError):
        call_command("grant_role", "erin", "superhero")
