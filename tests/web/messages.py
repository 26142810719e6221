"""The console's message ids, extracted with Babel from the templates and the web package, and the zh_Hans
catalogue they must all be in. `python -m tests.web.messages` prints the missing ones as .po entries."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir

WEB = Path(__file__).resolve().parents[2] / "src" / "shouhou" / "web"
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {
    "templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
}


def extracted() -> Iterator[tuple[str, str]]:
    """(message id, where) for every translatable string of the console."""
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, OPTIONS, keywords={"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                yield msgid, f"{filename}:{lineno}"


def missing() -> list[tuple[str, str]]:
    from shouhou.web.i18n import translations

    translations.cache_clear()
    zh = translations("zh_Hans")
    seen: dict[str, str] = {}
    for msgid, where in extracted():
        if zh.gettext(msgid) == msgid and msgid not in seen:
            seen[msgid] = where
    return sorted(seen.items(), key=lambda x: x[1])


def main() -> None:
    for msgid, where in missing():
        escaped = msgid.replace("\\", "\\\\").replace('"', '\\"')
        sys.stdout.write(f'#: {where}\nmsgid "{escaped}"\nmsgstr ""\n\n')


if __name__ == "__main__":
    main()
