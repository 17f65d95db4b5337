"""Masking of personal numbers and secrets: a hit never stores a full personal number."""

from __future__ import annotations

import re

_LONG_DIGITS = re.compile(r"\d[\d ]{5,}\d")


def mask_middle(value: str, keep_head: int, keep_tail: int) -> str:
    """Replace the middle alphanumerics of ``value`` with ``*`` (separators are kept)."""
    idx = [i for i, c in enumerate(value) if c.isalnum()]
    if len(idx) <= keep_head + keep_tail:
        return "*" * len(value)
    hidden = set(idx[keep_head : len(idx) - keep_tail])
    return "".join("*" if i in hidden else c for i, c in enumerate(value))


def mask_email(value: str) -> str:
    """``z***@example.com``."""
    local, _, domain = value.partition("@")
    shown = local[:1] + "*" * (len(local) - 1) if len(local) > 1 else "*"
    return shown + "@" + domain


def mask_value(rule: str, value: str) -> str:
    """Masked display form of a matched value for ``rule`` (length-preserving)."""
    if rule == "pii.email":
        return mask_email(value)
    if rule in ("pii.resident_id", "pii.bank_card"):
        return mask_middle(value, 4, 4)
    if rule == "pii.mobile":
        return mask_middle(value, 3, 4)
    if rule == "pii.landline":
        return mask_middle(value, 4, 2)
    if rule == "pii.passport":
        return mask_middle(value, 2, 2)
    if rule == "credential.password":
        return "*" * len(value)
    return value


def mask_digit_runs(text: str) -> str:
    """Mask the middle of every run of 7+ digits (a safety net for context windows)."""
    return _LONG_DIGITS.sub(lambda m: mask_middle(m.group(0), 3, 2), text)
