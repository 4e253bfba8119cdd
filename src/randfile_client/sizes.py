"""Human file sizes: `512`, `10MiB`, `1.5 KiB`, `1GB` (IEC and SI units, parsed by bitmath)."""

from __future__ import annotations

import bitmath


def parse_size(text: str) -> int:
    """A whole number of bytes; a bare number is bytes, bit units (`Mb`) are refused."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        size = bitmath.parse_string(value)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a size: use bytes (512) or a number and a unit such as "
            "KiB, MiB, GiB (powers of 1024) or kB, MB, GB (powers of 1000)"
        ) from None
    if not isinstance(size, bitmath.Byte):
        raise ValueError(f"{text!r} is in bits; sizes are in bytes (MB, MiB, not Mb)")
    whole = int(size.bytes)
    if whole != size.bytes:
        raise ValueError(f"{text!r} is {size.bytes} bytes, not a whole number of bytes")
    return whole
