"""The marker for words the app shows people: `N_("...")` returns its text unchanged.

The network core speaks English and imports no Django, so it cannot translate; it only
marks what is translatable, so that `manage.py makemessages` (which passes
`--keyword=N_`) collects it. The Django side translates the words where it shows them
(languages/words.py). Marked text that holds `{name}` fields is formatted here in
English and matched back to its template there, so it is kept in TEMPLATES.
"""

TEMPLATES: set[str] = set()


def N_(text: str) -> str:  # noqa: N802 (gettext's name for a no-op marker)
    if "{" in text:
        TEMPLATES.add(text)
    return text
