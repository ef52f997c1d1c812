"""`--language xx` for the management commands: their words in that language, while
codes, reasons, JSON keys and CSV headers stay English. Without it they speak English,
whatever the shell's locale."""

from contextlib import contextmanager

from django.conf import settings
from django.utils import translation

CODES = [code for code, _ in settings.LANGUAGES]


def add_language_argument(parser) -> None:
    parser.add_argument(
        "--language",
        choices=CODES,
        default="",
        help="write the words (titles, details, advice) in this language; codes, reasons and "
        "JSON keys stay English (default: English)",
    )


@contextmanager
def speaking(options: dict):
    with translation.override(options.get("language") or settings.LANGUAGE_CODE):
        yield
