"""Object keys that are unique and sort by creation time: <prefix>YYYY/MM/DD/<ULID><ext>."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import TypeGuard

_CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
# 26 characters of which the first holds 3 bits (130 bits in all; a ULID uses 128).
_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")


def ulid(now: datetime) -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, as 26 Crockford base32 characters.

    Lexicographic order follows time to the millisecond; 80 random bits make a collision within
    the same millisecond vanishingly unlikely (and create-only writes make one harmless).
    """
    millis = int(now.timestamp() * 1000)
    value = (millis << _RANDOM_BITS) | secrets.randbits(_RANDOM_BITS)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD_BASE32[digit])
    return "".join(reversed(chars))


def is_ulid(text: object) -> TypeGuard[str]:
    """Whether `text` is a ULID as `ulid` writes them."""
    # fullmatch: `$` would also accept a trailing newline.
    return isinstance(text, str) and _ULID.fullmatch(text) is not None


def new_object_key(prefix: str, extension: str, now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return f"{prefix}{moment:%Y/%m/%d}/{ulid(moment)}{extension}"
