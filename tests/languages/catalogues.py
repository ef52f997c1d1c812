"""The committed catalogues (locale/<lang>/LC_MESSAGES/*.po): a small reader, and their
compiled copies for tests that render in another language."""

import ast
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import trans_real

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
LANGUAGES = ("de", "fr", "es")
DOMAINS = ("django", "djangojs")
_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$')


@dataclass
class Entry:
    msgid: str = ""
    context: str | None = None
    plural: str | None = None
    strings: dict = field(default_factory=dict)  # "msgstr" or "msgstr[n]" -> text
    flags: set = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple:
        return (self.context, self.msgid, self.plural)

    @property
    def translated(self) -> bool:
        return bool(self.strings) and all(self.strings.values())


def read(path: Path) -> list[Entry]:
    """Every entry but the header."""
    entries, entry, last = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry is not None and (entry.msgid or entry.context):
                entries.append(entry)
            entry, last = None, None
            continue
        entry = entry or Entry()
        if line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif match := _LINE.match(line):
            last, text = match.group(1), ast.literal_eval(match.group(2))
            if last == "msgid":
                entry.msgid = text
            elif last == "msgctxt":
                entry.context = text
            elif last == "msgid_plural":
                entry.plural = text
            else:
                entry.strings[last] = text
        elif line.startswith('"') and last is not None:
            text = ast.literal_eval(line)
            if last == "msgid":
                entry.msgid += text
            elif last == "msgctxt":
                entry.context += text
            elif last == "msgid_plural":
                entry.plural += text
            else:
                entry.strings[last] += text
    return entries


def po_path(language: str, domain: str, base: Path = LOCALE) -> Path:
    return base / language / "LC_MESSAGES" / f"{domain}.po"


def compile_all() -> None:
    """Compile the committed catalogues the way the build does (gettext's msgfmt), only
    those that changed, then drop Django's cached translations so they are read anew."""
    changed = False
    for language in LANGUAGES:
        for domain in DOMAINS:
            po = po_path(language, domain)
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(po)], check=True)
                changed = True
    if changed:
        trans_real._translations = {}
        trans_real._default = None
        trans_real.translation_catalog_exists.cache_clear()
