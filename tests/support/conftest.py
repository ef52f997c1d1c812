from tests.staff_fixtures import admin_user, login, make_failed_test, media_root, support_user  # noqa: F401
