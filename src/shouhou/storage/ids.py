"""Identifiers: a type prefix, a millisecond timestamp (sortable) and 64 random bits."""

from __future__ import annotations

import os
import time


def new_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):011x}{os.urandom(8).hex()}"
