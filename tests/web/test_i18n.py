"""Every message of the console has its Simplified Chinese translation, with the same placeholders."""

from __future__ import annotations

import io
import re
from importlib import resources

from babel.messages.pofile import read_po

from shouhou.web.i18n import catalogue_files, translations
from tests.web.messages import extracted, missing

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%\([a-z_]+\)0?\d*d")


def test_every_console_message_is_translated() -> None:
    assert len({m for m, _ in extracted()}) > 300
    assert missing() == []


def test_translations_keep_the_placeholders() -> None:
    folder = resources.files("shouhou.web").joinpath("locale", "zh_Hans", "LC_MESSAGES")
    for name in catalogue_files():
        catalog = read_po(io.BytesIO(folder.joinpath(name).read_bytes()), locale="zh_Hans_CN")
        for message in catalog:
            if not message.id or isinstance(message.id, tuple):
                continue
            assert message.string, f"{name}: {message.id!r} has an empty translation"
            theirs = sorted(PLACEHOLDER.findall(str(message.string)))
            assert sorted(PLACEHOLDER.findall(message.id)) == theirs, f"{name}: {message.id!r}"


def test_english_is_the_message_id_itself() -> None:
    assert translations("en").gettext("Sign in") == "Sign in"
    assert translations("zh_Hans").gettext("Sign in") == "登录"


def test_the_engines_standing_notes_are_in_the_catalogue_word_for_word() -> None:
    from shouhou.evidence.verdict import NO_LABEL_NOTE, NO_REFERENCE_NOTE
    from shouhou.web.labels import ENGINE_NOTES

    assert set(ENGINE_NOTES) == {NO_LABEL_NOTE, NO_REFERENCE_NOTE}
    zh = translations("zh_Hans")
    assert "参考照片" in zh.gettext(NO_REFERENCE_NOTE) and "AI" in zh.gettext(NO_LABEL_NOTE)
