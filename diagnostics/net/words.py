"""The marker for words the app shows people: `N_("...")` returns its text unchanged.

The network core speaks English and imports no Django, so it cannot translate; it only
marks what is translatable, so that `manage.py makemessages` (which passes
`--keyword=N_`) collects it. The Django side translates the words where it shows them
(languages/words.py). Marked text that holds `{name}` fields is formatted here in
English and matched back to its template there: `templates()` holds every such template.
"""

import ast
from functools import cache
from pathlib import Path

TEMPLATES: set[str] = set()


def N_(text: str) -> str:  # noqa: N802 (gettext's name for a no-op marker)
    if "{" in text:
        TEMPLATES.add(text)
    return text


@cache
def _written() -> frozenset[str]:
    """Every `N_("...{field}...")` literal in this package's source. Most are written
    inside functions, so a process that never ran them (a web process that only shows
    what a worker stored) would not know them from the calls alone."""
    found = set()
    for path in Path(__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "N_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and "{" in node.args[0].value
            ):
                found.add(node.args[0].value)
    return frozenset(found)


def templates() -> frozenset[str]:
    """The templates with `{name}` fields: those written in the source and any marked
    at run time elsewhere."""
    return _written() | TEMPLATES
