"""The network core's English words, translated where they are shown (languages/words.py)."""

from django.utils import translation

from diagnostics.net import errors, provider_help, reasons
from diagnostics.net.advice import waited
from languages.words import say, say_error


def test_it_translates_the_catalogue_and_leaves_unknown_words_as_they_are():
    with translation.override("de"):
        assert say(errors.kind(errors.IMAP_AUTH).title) == "IMAP-Anmeldung fehlgeschlagen"
        assert say("Words nobody marked.") == "Words nobody marked."
        assert say("") == ""
    with translation.override("en"):
        assert say(errors.kind(errors.IMAP_AUTH).title) == "IMAP authentication error"


def test_a_sentence_the_core_formatted_is_translated_with_the_same_values():
    english = waited("connect_timeout", "The IMAP server", 10)
    with translation.override("fr"):
        said = say(english)
    assert said.startswith("The IMAP server n’a pas accepté la connexion")
    assert "10 s" in said
    advice = provider_help.PROVIDER_HELP[provider_help.APP_PASSWORD].format(provider="GMX")
    with translation.override("es"):
        assert say(advice).startswith("GMX solo acepta una contraseña de aplicación")


def test_an_error_keeps_its_codes_and_the_servers_reply_verbatim():
    reply = "NO [AUTHENTICATIONFAILED] Authentication failed."
    report = errors.ErrorReport(errors.IMAP_AUTH, "imap", server_reply=reply, reason="wrong_credentials")
    with translation.override("de"):
        said = say_error(report.as_dict())
    assert (said["code"], said["reason"], said["protocol"]) == ("imap_auth", "wrong_credentials", "imap")
    assert said["server_reply"] == reply
    assert said["title"] == "IMAP-Anmeldung fehlgeschlagen"
    assert said["detail"].startswith("Der Posteingangsserver (IMAP)")
    assert reasons.TYPO_TIP not in said["help"] and len(said["help"]) == len(report.help)


def test_words_stored_as_a_list_are_said_part_by_part():
    from diagnostics.net.words import N_

    notes = "; ".join(
        [
            N_("{name} says the service is not offered.").format(name="_imaps._tcp.example.test"),
            N_("No server answered."),
            "imap.example.test: 421 busy, try later",  # a server's words: verbatim
        ]
    )
    with translation.override("de"):
        said = say(notes)
    parts = said.split("; ")
    assert len(parts) == 3
    assert parts[0] == say_in("de", N_("{name} says the service is not offered.")).format(
        name="_imaps._tcp.example.test"
    )
    assert parts[1] != "No server answered." and parts[2] == "imap.example.test: 421 busy, try later"


def test_an_invalid_import_rows_message_is_said_with_its_column_as_the_file_wrote_it():
    from imports import rows

    row, _ = rows.clean(2, ["", "secret"], ["E-mail Address", "password"], {"email": 0, "password": 1})
    assert row.message == "E-mail Address: The email address is empty."
    with translation.override("fr"):
        said = say(row.message)
    assert said.startswith("E-mail Address") and "The email address" not in said
    assert said.endswith(say_in("fr", "The email address is empty."))


def say_in(language: str, english: str) -> str:
    with translation.override(language):
        return translation.gettext(english)


def test_a_step_list_names_its_steps_in_the_pages_language_and_keeps_their_keys():
    from django.template.loader import render_to_string

    from diagnostics.net.steps import Step

    steps = [Step("smtp", "greeting", False, 10012, "No greeting."), Step("imap", "sent_folder", True, 3, "")]
    with translation.override("de"):
        html = render_to_string("diagnostics/step_list.html", {"steps": steps})
    assert '<span class="name">Begrüßung</span>' in html and 'data-step="smtp-greeting"' in html
    assert "Ordner „Gesendet“" in html and 'data-step="imap-sent_folder"' in html
