"""Which language a page speaks: the saved choice, then Accept-Language (or the switcher's
cookie when signed out), then English."""

import pytest
from django.conf import settings
from django.test import Client

from languages.models import LanguagePreference

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase"
# The login page's heading in each language (templates/registration/login.html).
LOG_IN = {
    "en": "<h1>Log in</h1>",
    "de": "<h1>Anmelden</h1>",
    "fr": "<h1>Se connecter</h1>",
    "es": "<h1>Iniciar sesión</h1>",
}
# The header's "Connect a mailbox" link, shown to a signed-in person on every page.
CONNECT = {"en": ">Connect a mailbox<", "de": ">Postfach verbinden<", "fr": ">Connecter une boîte mail<"}


def _login_page(client, accept=None):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    response = client.get("/login/", **headers)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("accept", "language"),
    [
        ("de", "de"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("es-419,es;q=0.9", "es"),
        ("de-AT", "de"),
        ("ja, zh;q=0.8", "en"),
        (None, "en"),
    ],
)
def test_it_speaks_what_the_browser_asks_for(client, accept, language):
    response = _login_page(client, accept)
    body = response.content.decode()
    assert LOG_IN[language] in body
    assert f'<html lang="{language}">' in body
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_the_switcher_works_signed_out_with_a_cookie(client):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/login/"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    # The browser still asks for German; the person chose French.
    assert LOG_IN["fr"] in _login_page(client, "de").content.decode()
    assert not LanguagePreference.objects.exists()


def test_the_switcher_is_on_every_page_and_names_each_language_in_itself(client):
    body = _login_page(client, "de").content.decode()
    assert 'action="/i18n/setlang/"' in body
    for code, name in (("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")):
        assert f'value="{code}" lang="{code}"' in body and name in body
    assert '<option value="de" lang="de" selected>' in body


def test_it_refuses_a_language_it_does_not_speak(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/login/"})
    assert LOG_IN["en"] in _login_page(client).content.decode()


def test_the_saved_choice_wins_over_the_browser(make_user):
    user = make_user("ana@example.com", PASSWORD)
    LanguagePreference.objects.create(user=user, language="fr", chosen=True)
    browser = Client(HTTP_ACCEPT_LANGUAGE="de")
    response = browser.post("/login/", {"username": "ana@example.com", "password": PASSWORD})
    assert response.status_code == 302
    body = browser.get("/").content.decode()
    assert CONNECT["fr"] in body and '<html lang="fr">' in body


def test_the_switcher_signed_in_saves_the_choice_to_the_account(make_user):
    user = make_user("ben@example.com", PASSWORD)
    first = Client(HTTP_ACCEPT_LANGUAGE="de")
    first.force_login(user)
    assert CONNECT["de"] in first.get("/").content.decode()
    first.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert CONNECT["fr"] in first.get("/").content.decode()
    saved = LanguagePreference.objects.get(user=user)
    assert (saved.language, saved.chosen) == ("fr", True)
    # Another browser, another day, asking for Spanish: the account's choice still wins.
    other = Client(HTTP_ACCEPT_LANGUAGE="es")
    other.post("/login/", {"username": "ben@example.com", "password": PASSWORD})
    assert CONNECT["fr"] in other.get("/").content.decode()


def test_without_a_choice_the_browser_decides_and_is_remembered_for_emails(make_user):
    user = make_user("cleo@example.com", PASSWORD)
    browser = Client(HTTP_ACCEPT_LANGUAGE="de")
    browser.post("/login/", {"username": "cleo@example.com", "password": PASSWORD})
    saved = LanguagePreference.objects.get(user=user)
    assert (saved.language, saved.chosen) == ("de", False)
    # Not a choice: the browser's language keeps deciding the pages.
    assert CONNECT["en"] in browser.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_signing_up_remembers_the_language_the_page_was_read_in(client):
    response = client.post(
        "/signup/",
        {"email": "dora@example.com", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    assert response.status_code == 302
    assert LanguagePreference.objects.get(user__username="dora@example.com").language == "es"


def test_the_javascript_catalogue_speaks_the_page_language(client):
    response = client.get("/i18n/js/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert "Mindestens %(count)s Zeichen" in response.content.decode()
