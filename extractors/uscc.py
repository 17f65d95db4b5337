"""USCC (统一社会信用代码, GB 32100-2015) and the old 15-digit 注册号, in the style of python-stdnum.

Layout of the 18 characters:

* 1: registration authority (登记管理部门码): ``1``-``9``, ``A``-``H``, ``N``, ``Y``
* 2: organisation type (机构类别码): ``1``-``9``
* 3-8: administrative division code (GB/T 2260, digits; the first two give the province)
* 9-17: organisation code (0-9 and A-Z without I O Z S V)
* 18: MOD-31 check digit over the same alphabet

Unlike ``stdnum.cn.uscc.validate`` this accepts lettered authority codes (A, N, Y, ...), which
GB 32100 allows; stdnum's check-digit function is reused.

>>> validate('91110000600037341L')
'91110000600037341L'
>>> format('9 1 110000 600037341L')
'91110000600037341L'
>>> best_repair('9111OOOO600037341L')
('91110000600037341L', ['O→0 repaired by check digit'], 0.9)
>>> province_of('91440300312067220D')
'广东省'
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from stdnum.cn import uscc as _stdnum_uscc
from stdnum.iso7064 import mod_11_10

from pipeline.yamlio import load_yaml

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
AUTHORITY_CHARS = "123456789ABCDEFGHNY"
TYPE_CHARS = "123456789"
DIGITS = "0123456789"

#: Allowed characters per position (0-based).
POSITION_CHARS: tuple[str, ...] = (
    AUTHORITY_CHARS,
    TYPE_CHARS,
    *([DIGITS] * 6),
    *([ALPHABET] * 9),
    ALPHABET,
)

#: OCR confusions: printed character -> characters it may really be. Only the alternatives allowed
#: at a position are tried there.
CONFUSIONS: dict[str, str] = {
    "O": "0D",
    "Q": "0",
    "D": "0",
    "0": "D",
    "I": "1L",
    "L": "1",
    "1": "L",
    "Z": "2",
    "S": "5",
    "V": "U",
    "U": "V",
    "B": "8",
    "8": "B",
    "G": "6",
    "6": "G",
    "T": "7",
    "7": "T",
    "A": "4",
    "4": "A",
}

CONFIDENCE_VALID = 1.0
CONFIDENCE_FORCED_REPAIR = 0.9
CONFIDENCE_CHECK_REPAIR = 0.6


class UsccError(ValueError):
    """A USCC that does not validate; ``code`` says why."""

    code = "invalid"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or self.code)


class InvalidLength(UsccError):
    """The code does not have 18 characters."""

    code = "invalid_length"


class InvalidFormat(UsccError):
    """A character is not allowed at its position."""

    code = "invalid_format"


class InvalidChecksum(UsccError):
    """The MOD-31 check digit does not match."""

    code = "invalid_checksum"


class InvalidComponent(UsccError):
    """A component (e.g. the division code) does not exist."""

    code = "invalid_component"


def compact(number: str) -> str:
    """Strip spaces and hyphens, upper-case.

    >>> compact(' 91 110000-600037341l ')
    '91110000600037341L'
    """
    return "".join(c for c in number if not c.isspace() and c not in "-－—").upper()


def calc_check_digit(number: str) -> str:
    """The check digit for the first 17 characters of ``number`` (stdnum's MOD-31 function)."""
    return str(_stdnum_uscc.calc_check_digit(compact(number)[:17]))


def validate(number: str) -> str:
    """Return the compact code if it is a valid GB 32100 USCC, else raise a :class:`UsccError`."""
    number = compact(number)
    if len(number) != 18:
        raise InvalidLength()
    for pos, ch in enumerate(number):
        if ch not in POSITION_CHARS[pos]:
            raise InvalidFormat(f"character {pos + 1} ({ch!r}) is not allowed there")
    if number[-1] != calc_check_digit(number):
        raise InvalidChecksum()
    if province_of(number) is None and not number[2:8].startswith("10"):
        # "10xxxx" is used for national-level registrations and is accepted without a province.
        raise InvalidComponent(f"unknown administrative division {number[2:8]}")
    return number


def is_valid(number: str) -> bool:
    """True when ``number`` validates."""
    try:
        validate(number)
    except UsccError:
        return False
    return True


def format(number: str) -> str:
    """The standard presentation (the compact form)."""
    return compact(number)


# --- old 15-digit registration number (注册号) ---------------------------------------------------


def is_valid_registration_number(number: str) -> bool:
    """True for a 15-digit 注册号 whose last digit passes ISO 7064 MOD 11,10.

    >>> is_valid_registration_number('110108000000016')
    True
    """
    number = compact(number)
    return len(number) == 15 and number.isdigit() and bool(mod_11_10.is_valid(number))


# --- provinces ---------------------------------------------------------------------------------


class _Province(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str = Field(pattern=r"^\d{2}$")
    name: str
    alias: str
    code: str = Field(pattern=r"^\d{6}$")


class _Divisions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provinces: list[_Province]


DIVISIONS_PATH = Path(__file__).resolve().parent.parent / "config" / "divisions.yaml"


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    data = _Divisions.model_validate(load_yaml(DIVISIONS_PATH.read_text(encoding="utf-8")))
    return {p.prefix: p.name for p in data.provinces}


def province_of_division(code: str) -> str | None:
    """Province name for a six-digit administrative division code, or None."""
    return _provinces().get(code[:2]) if code[:2].isdigit() else None


def province_of(uscc: str) -> str | None:
    """Province name from the division code in characters 3-8 of a USCC (no check-digit test)."""
    return province_of_division(compact(uscc)[2:8])


# --- OCR repair -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A repaired code that passes its check digit, with what was changed."""

    code: str
    notes: list[str] = field(default_factory=list)
    forced: int = 0
    optional: int = 0


def _passes(code: str) -> bool:
    return is_valid(code)


def _alternatives(ch: str, pos: int) -> str:
    return "".join(a for a in CONFUSIONS.get(ch, "") if a in POSITION_CHARS[pos])


def _note(changes: list[tuple[str, str]]) -> list[str]:
    seen: list[str] = []
    for a, b in changes:
        note = f"{a}→{b} repaired by check digit"
        if note not in seen:
            seen.append(note)
    return seen


def repair(raw: str) -> list[Candidate]:
    """Candidate readings of an OCR'd code that pass the check digit, fewest changes first.

    Level 0: the code is valid as read. Level 1: characters not allowed at their position are
    mapped through :data:`CONFUSIONS`. Level 2: additionally one allowed character is swapped for a
    confusable one. The first level that yields candidates is returned (several = ambiguous).
    """
    code = compact(raw)
    if len(code) != 18:
        return []
    if _passes(code):
        return [Candidate(code)]
    bad = [i for i, ch in enumerate(code) if ch not in POSITION_CHARS[i]]
    options: list[str] = []
    for i in bad:
        alts = _alternatives(code[i], i)
        if not alts:
            return []
        options.append(alts)
    forced_variants: list[tuple[str, list[tuple[str, str]]]] = []
    for combo in itertools.product(*options):
        chars = list(code)
        for i, a in zip(bad, combo, strict=True):
            chars[i] = a
        forced_variants.append(("".join(chars), [(code[i], a) for i, a in zip(bad, combo, strict=True)]))

    level1 = [Candidate(c, _note(ch), forced=len(bad)) for c, ch in forced_variants if _passes(c)]
    if level1:
        return level1
    level2: list[Candidate] = []
    for variant, changes in forced_variants:
        for i, ch in enumerate(variant):
            if i in bad:
                continue
            for alt in _alternatives(ch, i):
                cand = variant[:i] + alt + variant[i + 1 :]
                if _passes(cand):
                    level2.append(Candidate(cand, _note([*changes, (ch, alt)]), len(bad), 1))
    unique = {c.code: c for c in level2}
    return list(unique.values())


def best_repair(raw: str) -> tuple[str, list[str], float] | None:
    """The repaired code, its notes and a confidence, only when exactly one candidate passes."""
    cands = repair(raw)
    if len(cands) != 1:
        return None
    cand = cands[0]
    if cand.optional:
        confidence = CONFIDENCE_CHECK_REPAIR
    elif cand.forced:
        confidence = CONFIDENCE_FORCED_REPAIR
    else:
        confidence = CONFIDENCE_VALID
    return cand.code, list(cand.notes), confidence


# --- consensus of several readings -------------------------------------------------------------


@dataclass(frozen=True)
class CodeKind:
    """What a code looks like: length, allowed characters per position and its validity test."""

    length: int
    position_chars: tuple[str, ...]
    is_valid: Callable[[str], bool]


USCC_KIND = CodeKind(18, POSITION_CHARS, is_valid)
REGISTRATION_KIND = CodeKind(15, (DIGITS,) * 15, is_valid_registration_number)

MAX_CONSENSUS_CHANGES = 3
"""At most this many positions of the reference reading are changed to another reading's character."""


def _runs(text: str, kind: CodeKind) -> list[str]:
    """Runs of code characters in one reading, long enough to be the code with a few misreads."""
    out: list[str] = []
    for m in re.finditer(r"[0-9A-Z]+", compact(text)):
        run = m.group()
        if len(run) >= kind.length - 3:
            out.append(run)
    return out


def _align(ref: str, run: str) -> tuple[int, list[str]]:
    """Semi-global alignment of ``ref`` against the best-matching part of ``run``: the edit
    distance and, per position of ``ref``, the character of ``run`` aligned to it ("" = lost)."""
    n, m = len(ref), len(run)
    # d[i][j]: ref[:i] against a substring of run ending at j (free leading characters of run)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        d[i][0] = i
        for j in range(1, m + 1):
            d[i][j] = min(
                d[i - 1][j - 1] + (ref[i - 1] != run[j - 1]),
                d[i - 1][j] + 1,
                d[i][j - 1] + 1,
            )
    j = min(range(m + 1), key=lambda k: d[n][k])  # free trailing characters
    dist = d[n][j]
    aligned = [""] * n
    i = n
    while i > 0 and j > 0:
        if d[i][j] == d[i - 1][j - 1] + (ref[i - 1] != run[j - 1]):
            aligned[i - 1] = run[j - 1]
            i, j = i - 1, j - 1
        elif d[i][j] == d[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return dist, aligned


def consensus(readings: Sequence[str], kind: CodeKind = USCC_KIND) -> tuple[str, int, int] | None:
    """The valid code best supported by several OCR readings of the same printed code.

    Each reading (any text; the code is found as a run of letters and digits) is aligned to each
    reference (every ``kind.length`` window of every reading); the characters the readings put at
    each position are the alternatives. Codes made from a reference by changing up to
    :data:`MAX_CONSENSUS_CHANGES` positions to an alternative, and the single-reading repairs, are
    kept when they pass the check digit; each is scored by its total edit distance to all
    readings. Returns ``(code, total distance, runner-up distance)`` for the closest code when it
    is strictly closer than any other, else None."""
    runs = [r for text in readings for r in _runs(text, kind)]
    if len(runs) < 2:
        return None  # one reading: nothing to vote with (``repair`` handles a single reading)
    refs: list[str] = []
    for run in runs:
        for k in range(max(1, len(run) - kind.length + 1)):
            w = run[k : k + kind.length]
            if len(w) == kind.length and w not in refs:
                refs.append(w)
    cands: set[str] = set()
    for ref in refs:
        if kind is USCC_KIND:
            cands.update(c.code for c in repair(ref))
        elif kind.is_valid(ref):
            cands.add(ref)
        votes: list[set[str]] = [set() for _ in ref]
        for run in runs:
            _dist, aligned = _align(ref, run)
            for pos, ch in enumerate(aligned):
                if ch and ch != ref[pos] and ch in kind.position_chars[pos]:
                    votes[pos].add(ch)
        changeable = [pos for pos, v in enumerate(votes) if v]
        if len(changeable) > 12:
            continue  # the readings disagree everywhere: no consensus to find
        for n_changes in range(1, MAX_CONSENSUS_CHANGES + 1):
            for positions in itertools.combinations(changeable, n_changes):
                for chars in itertools.product(*(sorted(votes[p]) for p in positions)):
                    code = list(ref)
                    for p, ch in zip(positions, chars, strict=True):
                        code[p] = ch
                    text = "".join(code)
                    if kind.is_valid(text):
                        cands.add(text)
    if not cands:
        return None
    scored = sorted((sum(_align(c, r)[0] for r in runs), c) for c in cands)
    best_dist, best = scored[0]
    second = scored[1][0] if len(scored) > 1 else best_dist + len(runs) * kind.length
    if second == best_dist:
        return None
    return best, best_dist, second
