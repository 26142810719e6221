"""The maintenance tips shipped with shouhou (package data: one markdown file each, with a small front matter)
and loading them into the catalogue once."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Final

from shouhou.accounts.roles import Principal
from shouhou.claims.catalog import require_role
from shouhou.errors import ValidationFailed
from shouhou.repairs.catalogue import MANAGERS
from shouhou.runtime import Runtime
from shouhou.storage import repair_tables as rt
from shouhou.storage.ids import new_id

FIELDS: Final = frozenset({"title", "category", "category_name", "tags"})
_FENCE: Final = "---"


@dataclass(frozen=True)
class TipDoc:
    name: str  # the file it came from
    title: str
    category: str  # category code: washing_machine, air_conditioner, water_heater, safe …
    category_name: str  # used when the category has to be created
    tags: tuple[str, ...]
    body_md: str


def parse_tip(text: str, *, name: str) -> TipDoc:
    """`---` / `key: value` lines / `---`, then the markdown body; title and category are required."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != _FENCE:
        raise ValidationFailed(f"tip {name}: it must start with a '---' front matter")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == _FENCE)
    except StopIteration:
        raise ValidationFailed(f"tip {name}: the front matter has no closing '---'") from None
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or key not in FIELDS:
            raise ValidationFailed(f"tip {name}: unexpected front matter line {line!r}")
        meta[key] = value.strip()
    body = "\n".join(lines[end + 1 :]).strip()
    title, category = meta.get("title", ""), meta.get("category", "")
    if not title or not category or not body:
        raise ValidationFailed(f"tip {name}: title, category and a body are required")
    if len(title) > 200:
        raise ValidationFailed(f"tip {name}: the title is over 200 characters")
    tags = tuple(t.strip() for t in meta.get("tags", "").split(",") if t.strip())
    return TipDoc(name, title, category, meta.get("category_name") or category, tags, body + "\n")


def bundled_tips() -> list[TipDoc]:
    """The tips in shouhou/repairs/data/tips, in file-name order."""
    folder = resources.files("shouhou.repairs").joinpath("data", "tips")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".md")), key=lambda f: f.name)
    return [parse_tip(f.read_text(encoding="utf-8"), name=f.name) for f in files]


def load_tips(rt_: Runtime, *, actor: Principal, tips: list[TipDoc] | None = None) -> int:
    """Insert the bundled tips (or `tips`) that are not there yet, matched by title and category; a missing
    category is created. Returns how many were added: a second call adds none."""
    require_role(actor, *MANAGERS)
    docs = bundled_tips() if tips is None else tips
    now = rt_.now()
    added = 0
    with rt_.uow(write=True) as uow:
        for doc in docs:
            cat = uow.categories.by_code(code=doc.category)
            if cat is None:
                cat = uow.categories.add(
                    rt.Category(id=new_id("cat"), code=doc.category, name=doc.category_name)
                )
            have = {t.title for t in uow.tips.search(category_id=cat.id, words=[], limit=100_000)}
            if doc.title in have:
                continue
            uow.tips.add(
                rt.Tip(
                    id=new_id("tip"),
                    category_id=cat.id,
                    title=doc.title,
                    body_md=doc.body_md,
                    tags=", ".join(doc.tags)[:300],
                    published=True,
                    created_at=now,
                )
            )
            uow.flush()  # the next file's lookup sees this one (two files with one title add it once)
            added += 1
        if added:
            uow.audit.append(
                at=now,
                actor=actor.user_id,
                action="tips.loaded",
                subject_type="tip",
                subject_id="bundled",
                detail={"added": added},
            )
        uow.commit()
    return added
