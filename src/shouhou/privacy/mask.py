"""Masking for display: enough to recognise, never enough to contact."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D")


def normalise_phone(phone: str) -> str:
    """Digits only, a leading +86/0086 country code dropped (mainland mobile numbers are 11 digits)."""
    digits = _DIGITS.sub("", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only the last two digits."""
    digits = normalise_phone(phone)
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***, John Smith → J*********."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def mask_address(address: str) -> str:
    """Keep the first six characters (province/city level), hide the rest."""
    address = address.strip()
    if len(address) <= 6:
        return "*" * len(address)
    return address[:6] + "*" * min(len(address) - 6, 8)
