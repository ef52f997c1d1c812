"""The staff words for a reason key (review list, a test's page, the fleet): every reason
the classifier reports has words of its own, in the viewer's language; keys stay English."""

from django.utils import translation

from review.filters import KNOWN_REASONS
from review.reason_words import REASON_WORDS, reason_label


def test_every_reason_the_classifier_reports_has_words_of_its_own():
    assert set(KNOWN_REASONS) <= set(REASON_WORDS)


def test_the_words_follow_the_viewers_language_and_names_stay_names():
    with translation.override("de"):
        assert reason_label("no_greeting") == "Keine Begrüßung"
        assert reason_label("wrong_protocol_pop3") == "Anderes Protokoll an diesem Port (POP3)"
        assert reason_label("sso_google") == "Anmeldung mit Google erforderlich"
    with translation.override("fr"):
        assert reason_label("cert_untrusted") == "Certificat non approuvé"
    with translation.override("en"):
        assert reason_label("cert_untrusted") == "Certificate untrusted"
        assert reason_label("a_reason_only_an_old_row_holds") == "A reason only an old row holds"
