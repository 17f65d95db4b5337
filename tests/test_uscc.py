"""USCC (GB 32100) validation, OCR repair and the old 15-digit registration number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractors import uscc

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "real-samples" / "uscc" / "cn_uscc_vectors.json"


def _vectors() -> dict[str, Any]:
    if not VECTORS.exists():
        pytest.skip("real-samples/uscc not available")
    data: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return data


@pytest.mark.real_samples
def test_all_vector_codes_are_valid() -> None:
    data = _vectors()
    codes = data["valid"] + data["valid_single"]
    assert len(codes) >= 200
    for code in codes:
        assert uscc.validate(code) == code
        assert uscc.province_of(code) is not None


@pytest.mark.real_samples
def test_vector_normalisation() -> None:
    for case in _vectors()["normalize"]:
        assert uscc.compact(case["input"]) == case["output"]
        assert uscc.format(case["input"]) == case["output"]


@pytest.mark.real_samples
def test_vector_invalid_cases() -> None:
    expected = {
        "InvalidLength": "invalid_length",
        "InvalidFormat": "invalid_format",
        "InvalidChecksum": "invalid_checksum",
    }
    for case in _vectors()["invalid"]:
        with pytest.raises(uscc.UsccError) as info:
            uscc.validate(case["input"])
        if case["input"].startswith("A"):
            # stdnum rejects the lettered authority A by format; GB 32100 allows it, so the
            # only thing wrong with this number is its check digit.
            assert info.value.code == "invalid_checksum"
        else:
            assert info.value.code == expected[case["error"]]


@pytest.mark.real_samples
def test_check_digit_matches_vector_algorithm() -> None:
    algo = _vectors()["algorithm"]
    alphabet, weights = algo["alphabet"], algo["weights"]
    assert alphabet == uscc.ALPHABET
    for code in _vectors()["valid"][:50]:
        total = sum(alphabet.index(c) * w for c, w in zip(code[:17], weights, strict=True))
        assert uscc.calc_check_digit(code) == alphabet[(31 - total) % 31]


def _with_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


@pytest.mark.parametrize("authority", list("ANY" + "BCDEFGH"))
def test_lettered_authority_codes_are_valid(authority: str) -> None:
    code = _with_check(authority + "1110000MA01ABCD1"[:16])
    assert uscc.is_valid(code), code


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("9111000060003734", "invalid_length"),
        ("I1110000600037341L", "invalid_format"),  # I is not an authority code
        ("90110000600037341L", "invalid_format"),  # organisation type 0
        ("911100X0600037341L", "invalid_format"),  # letter in the division code
        ("91110000600O37341L", "invalid_format"),  # O excluded from the alphabet
        ("91110000600037341N", "invalid_checksum"),
    ],
)
def test_invalid_codes(code: str, error: str) -> None:
    with pytest.raises(uscc.UsccError) as info:
        uscc.validate(code)
    assert info.value.code == error
    assert not uscc.is_valid(code)


def test_unknown_division_is_invalid_component() -> None:
    code = _with_check("91990000600037341")
    with pytest.raises(uscc.InvalidComponent):
        uscc.validate(code)


def test_errors_are_value_errors() -> None:
    assert issubclass(uscc.UsccError, ValueError)
    with pytest.raises(ValueError):
        uscc.validate("12345")


@pytest.mark.parametrize(
    ("code", "province"),
    [
        ("91440300312067220D", "广东省"),
        ("91110102MA007PC34K", "北京市"),
        ("91450100330759060G", "广西壮族自治区"),
    ],
)
def test_province_of(code: str, province: str) -> None:
    assert uscc.province_of(code) == province


VALID = [
    "91440300312067220D",
    "92440300L15034601Q",
    "92320922MAD3E3Q111",
    "91110102MA007PC34K",
    "91330108MA27XNGCXY",
    "913502006999411109",
    "91310107MA1G190T0C",
]


@pytest.mark.parametrize(
    ("good", "wrong", "right"),
    [
        ("91440300312067220D", "A", "4"),  # A is not allowed in the division code
        ("91440300312067220D", "O", "0"),
        ("91110102MA007PC34K", "O", "0"),
        ("913502006999411109", "I", "1"),
        ("92320922MAD3E3Q111", "Z", "2"),
        ("92440300L15034601Q", "S", "5"),
        ("91330108MA27XNGCXY", "Z", "2"),
    ],
)
def test_forced_repairs(good: str, wrong: str, right: str) -> None:
    for pos in (i for i, c in enumerate(good) if c == right):
        raw = good[:pos] + wrong + good[pos + 1 :]
        if wrong in uscc.POSITION_CHARS[pos]:
            continue
        assert not uscc.is_valid(raw)
        got = uscc.best_repair(raw)
        assert got is not None, raw
        code, notes, confidence = got
        assert code == good
        assert notes == [f"{wrong}→{right} repaired by check digit"]
        assert confidence == uscc.CONFIDENCE_FORCED_REPAIR


def test_two_forced_repairs() -> None:
    assert uscc.best_repair("9111OOOO600037341L") == (
        "91110000600037341L",
        ["O→0 repaired by check digit"],
        uscc.CONFIDENCE_FORCED_REPAIR,
    )


def test_valid_code_needs_no_repair() -> None:
    assert uscc.best_repair(" 9144 0300 3120 6722 0D ") == ("91440300312067220D", [], 1.0)


def test_check_digit_repair_of_allowed_confusion() -> None:
    # 8 read for B in the organisation code: both characters are allowed there, only the check
    # digit tells. The repair is accepted when it is the only candidate.
    good = _with_check("91310107MA1GB90T0")
    raw = good.replace("GB9", "G89")
    cands = uscc.repair(raw)
    assert good in [c.code for c in cands]
    got = uscc.best_repair(raw)
    if len(cands) == 1:
        assert got is not None and got[0] == good and got[2] == uscc.CONFIDENCE_CHECK_REPAIR
        assert got[1] == ["8→B repaired by check digit"]
    else:
        assert got is None


def test_ambiguous_repair_returns_nothing() -> None:
    # Search corrupted codes for one where two different confusions both fix the check digit.
    found = None
    for good in VALID:
        for pos in range(8, 17):
            for wrong in "0123456789ABDGLTU":
                raw = good[:pos] + wrong + good[pos + 1 :]
                if raw != good and not uscc.is_valid(raw) and len(uscc.repair(raw)) > 1:
                    found = raw
                    break
            if found:
                break
        if found:
            break
    assert found is not None
    assert uscc.best_repair(found) is None


def test_unrepairable_codes() -> None:
    assert uscc.repair("91440300312067220") == []  # 17 chars
    assert uscc.best_repair("9144030031206722#D") is None  # no confusion for '#'


def test_never_reports_a_failing_code() -> None:
    for good in VALID:
        for pos in range(18):
            for wrong in "0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV":
                raw = good[:pos] + wrong + good[pos + 1 :]
                got = uscc.best_repair(raw)
                if got is not None:
                    assert uscc.is_valid(got[0])


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("110108000000016", True),
        ("410100100003919", True),
        ("440301102800041", True),
        ("110108000000017", False),
        ("11010800000001", False),
        ("11010800000001A", False),
    ],
)
def test_registration_number(number: str, valid: bool) -> None:
    assert uscc.is_valid_registration_number(number) is valid


# --- consensus of several readings -------------------------------------------------------------


def _misread(code: str, pos: int, ch: str) -> str:
    return code[:pos] + ch + code[pos + 1 :]


@pytest.mark.parametrize("good", VALID)
def test_consensus_two_readings_with_different_misreads(good: str) -> None:
    # each reading has one wrong digit/letter that is allowed at its place (no forced repair);
    # together they say which character is right
    a = _misread(good, 12, "7" if good[12] != "7" else "8")
    b = _misread(good, 14, "3" if good[14] != "3" else "4")
    assert not uscc.is_valid(a) and not uscc.is_valid(b)
    got = uscc.consensus([a + "(1-1)", b, good[:13] + good[14:]])  # third: one character lost
    assert got is not None
    assert got[0] == good
    assert got[1] < got[2]


@pytest.mark.parametrize(
    "readings",
    [
        [],
        ["91440300312067220E"],  # one reading: nothing to vote with
        ["营业执照", "副本"],  # no code at all
    ],
)
def test_consensus_needs_two_readings(readings: list[str]) -> None:
    assert uscc.consensus(readings) is None


def test_consensus_keeps_a_code_read_alike() -> None:
    good = "91310107MA1G190T0C"
    got = uscc.consensus([good.replace("T0C", "TOC"), good.replace("T0C", "TOC") + " (1/1)"])
    assert got is not None and got[0] == good and got[1] < got[2]


def test_consensus_of_registration_numbers() -> None:
    good = "330300000039470"
    assert uscc.is_valid_registration_number(good)
    got = uscc.consensus([good[:5] + "8" + good[6:], good[:9] + "6" + good[10:]], uscc.REGISTRATION_KIND)
    assert got is not None and got[0] == good


def test_consensus_refuses_a_tie() -> None:
    # two readings that are both valid codes two characters apart: nothing tells which is right
    good = "91440300312067220D"
    other = next(
        c
        for i in range(8, 16)
        for a in "0123456789"
        for b in "0123456789"
        if uscc.is_valid(c := good[:i] + a + b + good[i + 2 :]) and a != good[i] and b != good[i + 1]
    )
    assert uscc.consensus([good, other]) is None
