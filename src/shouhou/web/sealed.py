"""A phone number typed into a form that comes back (an error elsewhere on it) is kept without being shown:
encrypted for this user and this form only, carried in a hidden field, shown masked."""

from __future__ import annotations

from shouhou.accounts.roles import Principal
from shouhou.errors import BlobCorrupt
from shouhou.privacy.mask import normalise_phone
from shouhou.web.render import Page


def _context(form: str, me: Principal) -> str:
    return f"web.{form}.phone:{me.user_id}"


def seal_phone(page: Page, me: Principal, phone: str, *, form: str) -> str:
    digits = normalise_phone(phone)
    return page.rt.keys.fields.encrypt_field(digits, context=_context(form, me)) if digits else ""


def unseal_phone(page: Page, me: Principal, sealed: str, *, form: str) -> str:
    """The number, or "" when there is none or the field was not sealed for this user and form."""
    if not sealed:
        return ""
    try:
        return page.rt.keys.fields.decrypt_field(sealed, context=_context(form, me))
    except (BlobCorrupt, ValueError):
        return ""
