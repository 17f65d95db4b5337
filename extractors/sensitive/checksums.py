"""Checksums used by the pattern recognizers (cheapest checks first, as in python-stdnum)."""

from __future__ import annotations

import datetime as dt

from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError


def digits(value: str) -> str:
    """``value`` without separators (spaces, hyphens), upper-cased."""
    return "".join(c for c in value if c.isalnum()).upper()


def resident_id_valid(value: str) -> bool:
    """GB 11643 resident identity number: 18 chars, plausible birth date, MOD 11-2 check digit.

    Uses ``stdnum.cn.ric`` for the check digit; the region code is only checked for shape
    (stdnum's region table is not exhaustive for abolished codes)."""
    v = digits(value)
    if len(v) != 18 or not v[:17].isdigit():
        return False
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    if not dt.date(1900, 1, 1) <= birth <= dt.date.today():
        return False
    try:
        return ric.calc_check_digit(v[:17]) == v[17]
    except ValidationError:
        return False


def luhn_valid(value: str) -> bool:
    """ISO/IEC 7812 Luhn check (bank card numbers)."""
    v = digits(value)
    return v.isdigit() and luhn.is_valid(v)


def private_ipv4(value: str) -> bool:
    """True for an RFC 1918 address (optionally with a /prefix)."""
    addr, _, prefix = value.partition("/")
    parts = addr.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        return False
    if prefix and not (prefix.isdigit() and int(prefix) <= 32):
        return False
    a, b = int(parts[0]), int(parts[1])
    return a == 10 or (a == 172 and 16 <= b <= 31) or (a == 192 and b == 168)
