"""Read a rendered form the way a browser submits it, and the connect form's data island."""

import json
import re
from html.parser import HTMLParser


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._chosen: str | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button") or (kind == "checkbox" and "checked" not in attrs):
                return
            self.values[name] = attrs.get("value") or ("on" if kind == "checkbox" else "")
        elif tag == "select" and name:
            self._select, self._first_option, self._chosen = name, None, None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in attrs:
                self._chosen = value

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            # A select with no option marked selected submits its first option.
            self.values[self._select] = self._chosen if self._chosen is not None else self._first_option
            self._select = None


def submitted_values(html: str) -> dict[str, str]:
    """What a browser would post for the form in `html` if the person typed nothing."""
    parser = _Form()
    parser.feed(html)
    return parser.values


def data_island(html: str) -> dict:
    match = re.search(r'<script id="detected-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no data island in the page"
    return json.loads(match.group(1))
