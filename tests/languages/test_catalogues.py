"""Complete catalogues: every string the project marks is translated, not fuzzy, in German,
French and Spanish, and the committed catalogues hold exactly what the source marks."""

import os
import shutil

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from diagnostics.net import errors, provider_help, reasons
from diagnostics.net.reasons import Shown

from .catalogues import DOMAINS, LANGUAGES, ROOT, po_path, read


def _keys(path) -> set:
    return {entry.key for entry in read(path) if not entry.obsolete}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("domain", DOMAINS)
def test_it_has_every_string_translated_and_nothing_fuzzy(language, domain):
    entries = [entry for entry in read(po_path(language, domain)) if not entry.obsolete]
    assert entries, "an empty catalogue"
    untranslated = [entry.msgid for entry in entries if not entry.translated]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert not untranslated, f"{language}/{domain}: untranslated {untranslated[:10]}"
    assert not fuzzy, f"{language}/{domain}: fuzzy {fuzzy[:10]}"


# What makemessages reads: the source tree without its catalogues (which makemessages would
# otherwise update in place) or what languages/management/commands/makemessages.py leaves out.
SKIPPED = {"locale", "tests", "bench", "var", "staticfiles", "node_modules"}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """What `make messages` would collect from the source now, written to a scratch
    directory: the committed catalogues are never touched (two test runs may share them)."""
    scratch = tmp_path_factory.mktemp("messages")
    source, locale = scratch / "source", scratch / "locale"
    source.mkdir()
    locale.mkdir()
    for item in ROOT.iterdir():
        if item.name not in SKIPPED and not item.name.startswith("."):
            (source / item.name).symlink_to(item)
    before = os.getcwd()
    os.chdir(source)
    try:
        with override_settings(LOCALE_PATHS=[locale]):
            for domain in DOMAINS:
                call_command(
                    "makemessages", locale=["de"], domain=domain, symlinks=True, no_obsolete=True, verbosity=0
                )
    finally:
        os.chdir(before)
    yield locale
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_catalogues_hold_what_the_source_marks(collected, domain):
    source = _keys(po_path("de", domain, collected))
    for language in LANGUAGES:
        committed = _keys(po_path(language, domain))
        missing, stale = source - committed, committed - source
        assert not missing, f"run `make messages` and translate ({language}/{domain}): {sorted(missing)[:10]}"
        assert not stale, (
            f"run `make messages` ({language}/{domain} has strings no longer used): {sorted(stale)[:10]}"
        )


def _core_words() -> set[str]:
    """Every word the network core's tables hold (the catalogue, reasons, provider advice)."""
    found = set()

    def add(item):
        if isinstance(item, Shown):
            found.update((item.shown, item.otherwise))
        elif isinstance(item, str):
            found.add(item)

    for kind in errors.CATALOGUE.values():
        add(kind.title)
        add(kind.summary)
        for tip in kind.help:
            add(tip)
    for tips in reasons.REASON_HELP.values():
        for tip in tips:
            add(tip)
    for table in (
        reasons.WAITED,
        reasons.SAME_FAILURE,
        provider_help.PROVIDER_HELP,
        provider_help.PROVIDER_LINK_TEXT,
    ):
        for text in table.values():
            add(text)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_word_of_the_network_core_is_marked_and_translated(language):
    """A sentence added to the catalogue without N_() never reaches makemessages: caught here."""
    words = _core_words()
    assert len(words) > 100
    with translation.override(language):
        left = sorted(word for word in words if translation.gettext(word) == word)
    assert not left, f"not translated into {language} (mark with N_, then `make messages`): {left[:5]}"
