"""The network core's words, translated where the app shows them.

diagnostics/net marks its words with N_() and stays English (the JSON, the logs, the
stored rows). Pages and emails pass them through say(): the active language's
translation, or the English words when there is none. A sentence the core formatted
(`{server} did not take the connection: nothing came back for {seconds} s.`) is matched
back to its template, which is translated and filled with the same values. A server's
own reply is never passed through here: it is shown as the server said it.
"""

import re
from functools import cache

from django.utils.functional import lazy
from django.utils.translation import get_language, gettext

# Importing the modules that hold the words registers their templates (N_).
from diagnostics.net import errors, provider_help, reasons  # noqa: F401
from diagnostics.net.words import templates

_FIELD = re.compile(r"\{(\w+)\}")
# Where one sentence ends and the next begins, for words stored as several sentences (a
# refusal with the tries left after it).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“«¡¿])")
# Words stored as a list joined by "; " (the sources autodetection asked), and a problem
# stored after the column it belongs to ("smtp_port: Not a number."): each part is said
# on its own; the column's name stays as the file wrote it.
_LIST = "; "
_COLUMN = re.compile(r"(?P<column>[^:\n]{1,60}?): (?P<words>.+)", re.DOTALL)


@cache
def _patterns(count: int) -> tuple[tuple[re.Pattern, str], ...]:
    """The templates as patterns; `count` (how many are known: they only grow) keys the cache."""
    found = []
    for template in sorted(templates(), key=len, reverse=True):
        pattern, last = [], 0
        for field in _FIELD.finditer(template):
            pattern.append(re.escape(template[last : field.start()]))
            pattern.append(f"(?P<{field.group(1)}>.+?)")
            last = field.end()
        pattern.append(re.escape(template[last:]))
        found.append((re.compile("".join(pattern), re.DOTALL), template))
    return tuple(found)


def say(text: str) -> str:
    """`text` (English words from the network core) in the active language."""
    if not text or (get_language() or "en").startswith("en"):
        return text  # the words are English already
    translated = gettext(text)
    if translated != text or "{" in text:
        return translated
    for pattern, template in _patterns(len(templates())):  # anew when more are marked
        match = pattern.fullmatch(text)
        if match is not None:
            return gettext(template).format(**match.groupdict())
    if _LIST in text:
        return _LIST.join(say(part) for part in text.split(_LIST))
    sentences = _SENTENCE_END.split(text)
    if len(sentences) > 1:
        return " ".join(say(sentence) for sentence in sentences)
    column = _COLUMN.fullmatch(text)
    if column is not None:
        words = say(column["words"])
        if words != column["words"]:
            return gettext("{column}: {problem}").format(column=column["column"], problem=words)
    return text


def say_all(texts) -> list[str]:
    return [say(text) for text in texts]


def say_error(error: dict) -> dict:
    """An error as written to JSON (errors.ErrorReport.as_dict), its words translated;
    code, reason, protocol, step and the server's reply unchanged."""
    said = dict(error)
    for key in ("title", "detail"):
        said[key] = say(error.get(key) or "")
    said["help"] = say_all(error.get("help") or [])
    suggestion = error.get("suggestion")
    if isinstance(suggestion, dict) and suggestion.get("message"):
        said["suggestion"] = {**suggestion, "message": say(suggestion["message"])}
    return said


# For what is built at import time (a form's choices): translated when shown.
say_lazy = lazy(say, str)


def say_diagnosis(result: dict) -> dict:
    """`manage.py diagnose --json` with its words translated: the errors' titles, details,
    advice and fix messages and the steps' details. Keys, codes, reasons, statuses and the
    servers' replies stay as they are."""
    said = dict(result)
    said["errors"] = [say_error(error) for error in result.get("errors") or []]
    said["steps"] = [{**step, "detail": say(step.get("detail") or "")} for step in result.get("steps") or []]
    return said
