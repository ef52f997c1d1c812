"""Every page and action of review/ and support/ (and the mailbox pages) against every role.

Roles: anonymous, user A (owns the mailbox, test and request), user B, support staff, admin.
"ok" means allowed; anything else must be a redirect to the login page (anonymous), 403 or
404, and must not contain A's data.
"""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diagnostics.models import ConnectionTest
from review.models import Note, Review
from support import flows
from support.models import InternalNote, Message, SupportRequest
from tests.staff_fixtures import PASSWORD, image_bytes

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "user_a", "user_b", "support", "admin"]
SECRET_EMAIL = "alice-private@zoho.example"
SECRET_MESSAGE = "my private message to support"
OK, LOGIN, FORBIDDEN, MISSING = "ok", "login", HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND

OWNER_ONLY = {"anonymous": LOGIN, "user_a": OK, "user_b": MISSING, "support": MISSING, "admin": MISSING}
ANY_USER = {"anonymous": LOGIN, "user_a": OK, "user_b": OK, "support": OK, "admin": OK}
SUPPORT_ONLY = {
    "anonymous": LOGIN,
    "user_a": FORBIDDEN,
    "user_b": FORBIDDEN,
    "support": OK,
    "admin": FORBIDDEN,
}
ADMIN_ONLY = {"anonymous": LOGIN, "user_a": FORBIDDEN, "user_b": FORBIDDEN, "support": FORBIDDEN, "admin": OK}
OWNER_OR_SUPPORT = {**OWNER_ONLY, "support": OK}

# (url name, argument kind, expectations); "ANY_USER" pages list only the visitor's own things.
PAGES = [
    ("mailbox_list", None, ANY_USER),
    ("mailbox_detail", "mailbox", OWNER_ONLY),
    ("mailbox_status", "mailbox", OWNER_ONLY),
    ("mailbox_edit", "mailbox", OWNER_ONLY),
    ("mailbox_delete", "mailbox", OWNER_ONLY),
    ("support_list", None, ANY_USER),
    ("support_new", "test", OWNER_ONLY),
    ("support_detail", "request", OWNER_ONLY),
    ("support_screenshot", "shot", OWNER_OR_SUPPORT),
    ("support_queue", None, SUPPORT_ONLY),
    ("support_queue_detail", "request", SUPPORT_ONLY),
    ("support_queue_mailbox", "request", SUPPORT_ONLY),
    ("review_list", None, ADMIN_ONLY),
    ("review_grouped", None, ADMIN_ONLY),
    ("review_detail", "test", ADMIN_ONLY),
    ("review_status", "test", ADMIN_ONLY),
    ("review_report", "test", ADMIN_ONLY),
]


def _post_data():
    return {
        "support_new": {"message": "x", "contact_email": "x@example.test"},
        "support_follow_up": {"message": "more"},
        "support_queue_reply": {"text": "hello", "status": "waiting"},
        "support_queue_status": {"status": "resolved"},
        "support_queue_assign": {"assignee": "me"},
        "support_queue_note": {"text": "internal"},
        "review_mark": {"reviewed": "1"},
        "review_note": {"text": "note"},
    }


# (url name, argument kind, expectations, what changes when allowed)
ACTIONS = [
    ("mailbox_retest", "mailbox", OWNER_ONLY, lambda: ConnectionTest.objects.count()),
    ("support_new", "test", OWNER_ONLY, lambda: SupportRequest.objects.count()),
    ("support_follow_up", "request", OWNER_ONLY, lambda: Message.objects.count()),
    ("support_queue_reply", "request", SUPPORT_ONLY, lambda: Message.objects.count()),
    ("support_queue_status", "request", SUPPORT_ONLY, lambda: SupportRequest.objects.get().status),
    ("support_queue_assign", "request", SUPPORT_ONLY, lambda: SupportRequest.objects.get().assignee_id),
    ("support_queue_note", "request", SUPPORT_ONLY, lambda: InternalNote.objects.count()),
    ("support_queue_rerun", "request", SUPPORT_ONLY, lambda: ConnectionTest.objects.count()),
    ("review_rerun", "test", ADMIN_ONLY, lambda: ConnectionTest.objects.count()),
    ("review_mark", "test", ADMIN_ONLY, lambda: Review.objects.count()),
    ("review_note", "test", ADMIN_ONLY, lambda: Note.objects.count()),
    ("review_bulk_mark", None, ADMIN_ONLY, lambda: Review.objects.count()),
    ("mailbox_delete", "mailbox", OWNER_ONLY, lambda: ConnectionTest.objects.count()),
]


@pytest.fixture
def world(user, other_user, support_user, admin_user, make_mailbox, make_failed_test):
    mailbox = make_mailbox(user, email=SECRET_EMAIL, password=PASSWORD, provider_id="zoho")
    test = make_failed_test(mailbox)
    upload = SimpleUploadedFile("a.png", image_bytes(), content_type="image/png")
    from support.forms import ScreenshotsField

    request = flows.open_request(
        user, test, SECRET_MESSAGE, "alice@home.example", ScreenshotsField().clean([upload])
    )
    return {
        "people": {
            "anonymous": None,
            "user_a": user,
            "user_b": other_user,
            "support": support_user,
            "admin": admin_user,
        },
        "args": {
            "mailbox": [mailbox.pk],
            "test": [test.pk],
            "request": [request.pk],
            "shot": [request.screenshots.get(kind="upload").pk],
            None: [],
        },
        "test": test,
    }


def _check(response, expected, role):
    if expected == OK:
        assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND), (role, response.status_code)
        return
    if expected == LOGIN:
        assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expected, (role, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert SECRET_EMAIL.encode() not in body and SECRET_MESSAGE.encode() not in body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,kind,expectations", PAGES, ids=[p[0] for p in PAGES])
def test_it_shows_each_page_only_to_the_right_roles(login, world, role, name, kind, expectations):
    client = login(world["people"][role])
    response = client.get(reverse(name, args=world["args"][kind]))
    _check(response, expectations[role], role)
    if expectations is ANY_USER and role != "user_a":
        assert SECRET_EMAIL not in response.content.decode()  # lists show only the visitor's own things


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name,kind,expectations,state", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_it_lets_only_the_right_roles_act(login, world, role, name, kind, expectations, state):
    client = login(world["people"][role])
    data = _post_data().get(name, {})
    if name == "review_bulk_mark":
        data = {"mailboxes": world["args"]["mailbox"]}
    before = state()
    response = client.post(reverse(name, args=world["args"][kind]), data)
    _check(response, expectations[role], role)
    if expectations[role] == OK:
        assert response.status_code == HTTPStatus.FOUND
    else:
        assert state() == before  # nothing happened


@pytest.mark.parametrize("role", ["user_a", "user_b", "support", "admin"])
def test_it_keeps_the_django_admin_to_what_each_role_may_see(login, world, role):
    client = login(world["people"][role])
    mailbox_pk = world["args"]["mailbox"][0]
    changelist = client.get(reverse("admin:accounts_mailbox_changelist"))
    change = client.post(
        reverse("admin:accounts_mailbox_change", args=[mailbox_pk]), {"email": "x@evil.example"}
    )
    requests = client.get(reverse("admin:support_supportrequest_changelist"))
    if role in ("user_a", "user_b"):  # not staff: the admin login page, no data
        assert changelist.status_code == HTTPStatus.FOUND and "/admin/login/" in changelist["Location"]
    elif role == "support":  # staff, but no mailbox permission at all
        assert changelist.status_code == HTTPStatus.FORBIDDEN and requests.status_code == HTTPStatus.OK
        assert change.status_code == HTTPStatus.FORBIDDEN
    else:  # admins may look at mailboxes but not change them, and do not see support requests
        assert changelist.status_code == HTTPStatus.OK and requests.status_code == HTTPStatus.FORBIDDEN
        assert change.status_code == HTTPStatus.FORBIDDEN
    for response in (changelist, change):
        assert PASSWORD not in response.content.decode()
    from accounts.models import Mailbox

    assert Mailbox.objects.get(pk=mailbox_pk).email == SECRET_EMAIL


def test_it_needs_a_staff_account_not_just_the_group(login, world, make_user):
    from django.contrib.auth.models import Group

    sneaky = make_user("sneaky")
    sneaky.groups.add(Group.objects.get(name="Support staff"), Group.objects.get(name="Connection admins"))
    client = login(sneaky)
    assert client.get(reverse("support_queue")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("review_list")).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name,kind,expectations,state", ACTIONS, ids=[a[0] for a in ACTIONS])
def test_it_refuses_every_action_without_a_csrf_token(world, name, kind, expectations, state):
    from django.test import Client

    role = next(r for r in ROLES if expectations[r] == OK)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["people"][role])
    before = state()
    response = client.post(reverse(name, args=world["args"][kind]), _post_data().get(name, {}))
    assert response.status_code == HTTPStatus.FORBIDDEN and state() == before


@pytest.mark.parametrize(
    "name,role",
    [("review_detail", "admin"), ("support_queue_detail", "support"), ("support_screenshot", "user_a")],
)
def test_it_answers_404_for_huge_ids(login, world, name, role):
    client = login(world["people"][role])
    assert client.get(reverse(name, args=[10**30])).status_code == HTTPStatus.NOT_FOUND
