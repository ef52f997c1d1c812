"""The two staff roles: support staff and connection admins.

Each role is a Django group with its own permissions. A role opens its pages only
for an active *staff* account (is_staff) that holds the role's permission, so an
ordinary user added to a group by mistake still sees nothing. Superusers pass
every check, as everywhere in Django.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

SUPPORT = "support"
ADMIN = "admin"


@dataclass(frozen=True)
class Role:
    key: str
    group: str
    permission: str  # the one permission the role's pages check ("app_label.codename")
    permissions: tuple[str, ...]  # everything the group is given


ROLES: dict[str, Role] = {
    SUPPORT: Role(
        SUPPORT,
        "Support staff",
        "support.answer_requests",
        (
            "support.answer_requests",
            "support.view_supportrequest",
            "support.view_screenshot",
            "support.view_message",
            # Saved replies are theirs to write, in the Django admin.
            "support.view_savedreply",
            "support.add_savedreply",
            "support.change_savedreply",
            "support.delete_savedreply",
        ),
    ),
    ADMIN: Role(
        ADMIN,
        "Connection admins",
        "review.review_failures",
        (
            "review.review_failures",
            "review.view_review",
            "review.add_review",
            "review.delete_review",
            "review.view_note",
            "review.add_note",
            "diagnostics.view_connectiontest",
            "diagnostics.view_teststep",
            "diagnostics.view_testerror",
            "accounts.view_mailbox",
        ),
    ),
}


def has_role(user, key: str) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(ROLES[key].permission))


def role_required(key: str):
    """Anonymous visitors go to the login page; signed-in users without the role get 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, key):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _permissions(names: tuple[str, ...]):
    from django.contrib.auth.models import Permission

    wanted = {tuple(name.split(".", 1)) for name in names}
    found = Permission.objects.filter(content_type__app_label__in={app for app, _ in wanted}).select_related(
        "content_type"
    )
    return [p for p in found if (p.content_type.app_label, p.codename) in wanted]


def ensure_roles() -> dict[str, object]:
    """Create or refresh the groups so they hold exactly the role's permissions."""
    from django.contrib.auth.models import Group

    groups = {}
    for role in ROLES.values():
        group, _ = Group.objects.get_or_create(name=role.group)
        group.permissions.set(_permissions(role.permissions))
        groups[role.key] = group
    return groups


def grant(user, key: str) -> None:
    group = ensure_roles()[key]
    user.groups.add(group)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def revoke(user, key: str) -> None:
    """Take the role away; the account stops being staff when no staff role is left."""
    from django.contrib.auth.models import Group

    user.groups.remove(*Group.objects.filter(name=ROLES[key].group))
    others = [r.group for r in ROLES.values() if r.key != key]
    if user.is_staff and not user.is_superuser and not user.groups.filter(name__in=others).exists():
        user.is_staff = False
        user.save(update_fields=["is_staff"])


def landing_url(user) -> str:
    """Where a person starts: staff on their work (admins on failed connections, support
    agents on the queue), everyone else on their mailboxes."""
    from django.urls import reverse

    if getattr(user, "is_authenticated", False) and user.is_staff:
        if has_role(user, ADMIN):
            return reverse("review_list")
        if has_role(user, SUPPORT):
            return reverse("support_queue")
    return reverse("mailbox_list")


def holders(key: str):
    """The active staff accounts that hold a role (superusers too), by name."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    role = ROLES[key]
    app, codename = role.permission.split(".", 1)
    granted = Q(groups__name=role.group) | Q(
        user_permissions__codename=codename, user_permissions__content_type__app_label=app
    )
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    return users.filter(granted | Q(is_superuser=True)).distinct().order_by("username")
