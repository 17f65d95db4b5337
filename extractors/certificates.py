"""Certificates: compatibility certificates (兼容性互认证明 / 产品兼容性认证证书 / 适配证明), patent
certificates (专利证书), software copyright registrations (计算机软件著作权登记证书) and honours.

Labels and body sentence patterns come from ``config/certificates.yaml``; the label/value helpers
and the voting are those of ``extractors.test_report``.

Compatibility certificates name the two products either in labelled lines (产品名称 / 适配产品) or in
the body sentence (经A与B联合测试，P与Q完成… / 兹证明A的P与B的Q经…), which is matched on the body
text joined across lines. The issuer and the date are read from the signature block; when a seal
printed over them makes the page's OCR unusable, the signature block is read again with the red
ink removed.

Validity wording (the convention, matching the sample ground truth):
``有效期至2025年7月20日`` -> 2025-07-20; ``有效期至2025年5月`` -> 2025-05-31 (end of that month);
``在2025年5月之前有效`` -> 2025-04-30 (valid *before* May: the last day of the previous month).
No document text is logged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from extractors.dates import end_of_month, find_dates, parse_date
from extractors.tables import read_region, region_reread_helps
from extractors.test_report import (
    Candidate,
    Span,
    date_candidate,
    label_values,
    org_candidate,
    page_lines,
    repair_org,
    split_version,
    vote,
)
from extractors.test_report import (
    load_config as load_report_config,
)
from extractors.text import LineIndex, compact, edit_distance, is_cjk, normalize_name
from pipeline.content import DocumentContent, PageContent
from pipeline.layout import group_lines
from pipeline.model import BBox, CompatEntry, ExtractedField, clamp_bbox, union_bbox
from pipeline.yamlio import load_yaml

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "certificates.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompatConfig(_Strict):
    labels: dict[str, list[str]]
    body_patterns: list[str]
    valid_before_patterns: list[str]


class LabelsConfig(_Strict):
    labels: dict[str, list[str]]


class HonorConfig(_Strict):
    labels: dict[str, list[str]]
    body_patterns: list[str]


class CertificatesConfig(_Strict):
    """The whole ``config/certificates.yaml``."""

    compat: CompatConfig
    patent: LabelsConfig
    software_copyright: LabelsConfig
    honor: HonorConfig


@cache
def load_config(path: Path = CONFIG_PATH) -> CertificatesConfig:
    """The validated certificate configuration (regular expressions compiled once to check them)."""
    cfg = CertificatesConfig.model_validate(load_yaml(path.read_text(encoding="utf-8")))
    for p in [*cfg.compat.body_patterns, *cfg.compat.valid_before_patterns, *cfg.honor.body_patterns]:
        re.compile(p)
    return cfg


def _suffixes() -> list[str]:
    return load_report_config().org_suffixes


# --- joined body text ---------------------------------------------------------------------------


@dataclass
class Joined:
    """Several lines' compact texts concatenated, with a map back to (line, offset)."""

    page: PageContent
    parts: list[tuple[int, LineIndex]]
    text: str

    @classmethod
    def of(cls, page: PageContent, lines: Sequence[LineIndex]) -> Joined:
        """Join ``lines`` of ``page``."""
        parts: list[tuple[int, LineIndex]] = []
        text = ""
        for li in lines:
            parts.append((len(text), li))
            text += li.text
        return cls(page, parts, text)

    def bbox(self, start: int, end: int) -> BBox | None:
        """Union box of the characters ``text[start:end]`` over the lines they lie on."""
        boxes = []
        for off, li in self.parts:
            a, b = max(start, off), min(end, off + len(li.text))
            if a < b:
                bb = li.bbox_for(a - off, b - off)
                if bb is not None:
                    boxes.append(bb)
        return clamp_bbox(*union_bbox(boxes)) if boxes else None

    def confidence(self, start: int, end: int) -> float:
        vals = []
        for off, li in self.parts:
            a, b = max(start, off), min(end, off + len(li.text))
            if a < b:
                vals.append(li.confidence_for(a - off, b - off))
        return sum(vals) / len(vals) if vals else 0.0

    def candidate(
        self, name: str, value: object, start: int, end: int, base: float, notes: list[str]
    ) -> Candidate:
        """A candidate for ``text[start:end]``."""
        conf = round(base * (0.5 + 0.5 * self.confidence(start, end)), 3)
        return Candidate(
            name, value, self.text[start:end], conf, self.page.index, self.bbox(start, end),
            self.page.info.engine,
            notes,
        )  # fmt: skip


def _body(page: PageContent) -> Joined:
    """The page's lines between the title area and the signature block (y in 0.2..0.7)."""
    lines = [li for li in page_lines(page) if 0.2 <= li.line.bbox[1] <= 0.7]
    return Joined.of(page, lines)


def _product_parts(j: Joined, start: int, end: int, notes: list[str]) -> list[Candidate]:
    text = j.text[start:end]
    name, version = split_version(text)
    name = name.strip()
    if sum(1 for c in name if is_cjk(c)) < 2:
        return []
    out = [j.candidate("product_name", normalize_name(name), start, start + len(name), 0.85, notes)]
    if version:
        vs = start + text.rfind(version)
        out.append(j.candidate("product_version", version, vs, vs + len(version), 0.85, notes))
    return out


def _body_candidates(page: PageContent, cfg: CompatConfig) -> list[Candidate]:
    j = _body(page)
    out: list[Candidate] = []
    for pat in cfg.body_patterns:
        m = re.search(pat, j.text)
        if m is None:
            continue
        notes = ["from the certificate's body sentence"]
        gd = m.groupdict()
        if gd.get("product"):
            out.extend(_product_parts(j, m.start("product"), m.end("product"), notes))
        if gd.get("partner_product"):
            a, b = m.start("partner_product"), m.end("partner_product")
            out.append(j.candidate("partner_product", j.text[a:b], a, b, 0.85, notes))
        if gd.get("partner_vendor"):
            got = repair_org(m.group("partner_vendor"), _suffixes())
            if got is not None and got[1] == len(m.group("partner_vendor")):
                a, b = m.start("partner_vendor"), m.end("partner_vendor")
                out.append(j.candidate("partner_vendor", got[0], a, b, 0.85, notes + got[2]))
        break
    return out


def _valid_before(page: PageContent, cfg: CompatConfig) -> list[Candidate]:
    out: list[Candidate] = []
    for li in page_lines(page):
        j = Joined.of(page, [li])
        for pat in cfg.valid_before_patterns:
            for m in re.finditer(pat, li.text):
                d = parse_date(m.group("date"))
                if d is None:
                    continue
                a, b = m.start(), m.end()
                if d.precision == "month":
                    value = d.value - timedelta(days=1)
                    note = "valid before the printed month: the last day of the previous month"
                else:
                    value = d.value - timedelta(days=1)
                    note = "valid before the printed day: the day before"
                out.append(j.candidate("valid_until", value.isoformat(), a, b, 0.85, [note]))
    return out


_PAIR_SEP = re.compile(r"[×xX*＊╳]")


def _pair(span: Span) -> list[Candidate]:
    """``P V5.2 × Q``: product name and version, and the partner product."""
    text = span.text
    m = _PAIR_SEP.search(text)
    if m is None:
        return []
    out: list[Candidate] = []
    left = text[: m.start()]
    pname, version = split_version(left)
    if sum(1 for c in pname if is_cjk(c)) >= 2:
        out.append(Candidate.of("product_name", normalize_name(pname), span.sub(0, len(pname)), 0.9))
        if version:
            out.append(Candidate.of("product_version", version, span.sub(len(pname), m.start()), 0.9))
    right = span.sub(m.end(), len(text))
    if sum(1 for c in right.text if is_cjk(c) or c.isalnum()) >= 2:
        out.append(Candidate.of("partner_product", right.text, right, 0.9))
    return out


def _valid_until(span: Span) -> Candidate | None:
    d = parse_date(span.text)
    if d is None:
        return None
    sub = span.sub(d.span[0], d.span[1])
    if d.precision == "month":
        return Candidate.of(
            "valid_until", end_of_month(d.value).isoformat(), sub, 0.8, ["month only: end of month"]
        )
    return Candidate.of("valid_until", d.iso, sub, 0.95)


_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/]*[A-Za-z0-9]")


def _number(name: str, span: Span) -> Candidate | None:
    m = _NUMBER.search(span.text)
    if m is None or m.start() > 2 or not re.search(r"\d", m.group()) or len(m.group()) < 4:
        return None
    return Candidate.of(name, m.group(), span.sub(m.start(), m.end()), 0.95)


def _text_value(name: str, span: Span, base: float = 0.9) -> Candidate | None:
    text = span.text
    if sum(1 for c in text if is_cjk(c)) < 2:
        return None
    return Candidate.of(name, normalize_name(text), span, base)


# --- signature block ----------------------------------------------------------------------------

_SIGN_TOP = 0.6


def _sign_lines(page: PageContent, lines: list[LineIndex] | None = None) -> list[LineIndex]:
    src = lines if lines is not None else page_lines(page)
    return [li for li in src if li.line.bbox[1] >= _SIGN_TOP]


def _signature_candidates(page: PageContent, lines: list[LineIndex], notes: list[str]) -> list[Candidate]:
    """Organisation names standing alone on a line and dates standing alone in the signature area."""
    out: list[Candidate] = []
    for li in lines:
        span = Span(li, 0, len(li.text), page)
        got = repair_org(li.text, _suffixes())
        if got is not None and got[1] >= len(li.text) - 1:
            c = org_candidate("signer", span, _suffixes(), 0.8)
            if c is not None:
                c.notes.extend(notes)
                out.append(c)
            continue
        ds = find_dates(li.text)
        if len(ds) == 1 and ds[0].precision == "day" and len(li.text) - (ds[0].span[1] - ds[0].span[0]) <= 2:
            c = date_candidate("issue_date", span, 0.85)
            if c is not None:
                c.notes.extend(notes)
                out.append(c)
    return out


def _reread_signature(page: PageContent) -> list[LineIndex]:
    """The signature block read again with red (seal) ink removed; [] without a page image."""
    words, _engine = read_region(page, (0.0, _SIGN_TOP, 1.0, 0.95))
    if not words:
        return []
    return [li for li in (LineIndex.of(ln) for ln in group_lines(words)) if li.text]


def _signature(page: PageContent) -> list[Candidate]:
    got = _signature_candidates(page, _sign_lines(page), [])
    if region_reread_helps(page):
        have_date = any(c.name == "issue_date" for c in got)
        signers = [c for c in got if c.name == "signer"]
        if not have_date or not signers:
            lines = _reread_signature(page)
            again = _signature_candidates(page, lines, ["signature block read again without red ink"])
            for c in again:
                c.engine = c.engine  # same engine family as the page
            got.extend(again)
    return got


# --- compatibility certificate ------------------------------------------------------------------

COMPAT_FIELDS = (
    "certificate_number",
    "product_name",
    "product_version",
    "partner_product",
    "partner_vendor",
    "issuer",
    "issue_date",
    "valid_until",
)


def compat_candidates(doc: DocumentContent) -> dict[str, list[Candidate]]:
    """Every reading of the compatibility-certificate fields, by field."""
    cfg = load_config().compat
    found: dict[str, list[Candidate]] = {}

    def add(c: Candidate | None) -> None:
        if c is not None:
            found.setdefault(c.name, []).append(c)

    for page in doc.pages:
        for name, span in label_values(page, cfg.labels):
            if name == "certificate_number":
                add(_number(name, span))
            elif name == "product_name":
                text = span.text
                pname, version = split_version(text)
                if sum(1 for c in pname if is_cjk(c)) >= 2:
                    add(Candidate.of("product_name", normalize_name(pname), span.sub(0, len(pname)), 0.95))
                    if version:
                        add(Candidate.of("product_version", version, span.sub(len(pname), len(text)), 0.95))
            elif name == "product_version":
                add(Candidate.of(name, span.text, span, 0.9))
            elif name == "pair":
                for c in _pair(span):
                    add(c)
            elif name == "partner_product":
                add(_text_value(name, span, 0.95) if span.text else None)
                if name in found:
                    found[name][-1].value = span.text  # as printed (Latin spaces are already compact)
            elif name in ("partner_vendor", "issuer"):
                add(org_candidate(name, span, _suffixes(), 0.9))
            elif name == "issue_date":
                add(date_candidate(name, span, 0.95))
            elif name == "valid_until":
                add(_valid_until(span))
        for c in _body_candidates(page, cfg):
            add(c)
        for c in _valid_before(page, cfg):
            add(c)
        for c in _signature(page):
            add(c)
    _partner_as_printed(doc, found)
    return found


def _partner_as_printed(doc: DocumentContent, found: dict[str, list[Candidate]]) -> None:
    """Partner products keep the printed spacing between Latin words (KingbaseES V8)."""
    for c in found.get("partner_product", []):
        page = next((p for p in doc.pages if p.index == c.page), None)
        if page is None:
            continue
        target = compact(str(c.value))
        for ln in page.lines:
            t = ln.text
            if target and target in compact(t):
                # rebuild from the printed line: characters of the target with their spaces
                k, out = 0, ""
                start = compact(t).find(target)
                seen = 0
                for ch in t:
                    if ch.isspace():
                        if out and k < len(target):
                            out += " "
                        continue
                    if seen >= start and k < len(target):
                        out += ch
                        k += 1
                    seen += 1
                c.value = re.sub(r"(?<=[\u4e00-\u9fff]) | (?=[\u4e00-\u9fff])", "", out.strip())
                break


def _catalogue_weight(text: str) -> float:
    """How well the product catalogue knows ``text`` (1.0 exact, less for fuzzy/family, 0.7 unknown)."""
    try:
        from extractors.compat import normalize_product

        match = normalize_product(text)
    except Exception:
        return 0.7
    if match is None:
        return 0.7
    return max(0.7, min(1.0, match.score)) * (1.0 if match.level == "exact" else 0.9)


def _finish_compat(found: dict[str, list[Candidate]]) -> dict[str, Candidate]:
    for c in found.get("partner_product", []):
        c.confidence = round(c.confidence * _catalogue_weight(str(c.value)), 3)
    best: dict[str, Candidate] = {}
    for name in COMPAT_FIELDS:
        b = vote(found.get(name, []))
        if b is not None:
            best[name] = b
    signers = found.get("signer", [])
    vendor = best.get("partner_vendor")
    if "issuer" not in best and signers:
        if vendor is None:
            chosen = vote(signers) if len({s.value for s in signers}) == 1 else None
        else:
            # the signer who is the partner vendor; a seal-damaged reading close to the body's
            # spelling takes that spelling (noted)
            near = [(edit_distance(str(s.value), str(vendor.value)), s) for s in signers]
            near = [(d, s) for d, s in near if d <= max(1, len(str(vendor.value)) // 4)]
            chosen = min(near, key=lambda t: (t[0], -t[1].confidence))[1] if near else None
            if chosen is not None and chosen.value != vendor.value:
                chosen.notes.append(
                    "signature reading corrected to the body's spelling of the partner vendor"
                )
                chosen.value = vendor.value
                chosen.confidence = round(chosen.confidence * 0.8, 3)
        if chosen is not None:
            chosen.name = "issuer"
            best["issuer"] = chosen
    if "issuer" not in best and "partner_vendor" in best:
        pv = best["partner_vendor"]
        best["issuer"] = Candidate(
            "issuer", pv.value, pv.raw, round(pv.confidence * 0.6, 3), pv.page, pv.bbox, pv.engine,
            ["signature unreadable: the partner vendor, who issues a mutual-recognition certificate"],
        )  # fmt: skip
    if "partner_vendor" not in best and "issuer" in best and "partner_product" in best:
        iss = best["issuer"]
        best["partner_vendor"] = Candidate(
            "partner_vendor", iss.value, iss.raw, round(iss.confidence * 0.7, 3), iss.page, iss.bbox,
            iss.engine,
            ["the issuing partner vendor (signature block)"],
        )  # fmt: skip
    return best


def extract_compat_certificate(doc: DocumentContent) -> list[ExtractedField]:
    """The compatibility-certificate fields of ``doc`` (one per field)."""
    best = _finish_compat(compat_candidates(doc))
    return [best[n].to_field() for n in COMPAT_FIELDS if n in best]


def extract_certificate_compat(doc: DocumentContent) -> list[CompatEntry]:
    """The partner product of a compatibility certificate as a compatibility entry (category and
    canonical id from the product catalogue; nothing when the catalogue does not know it)."""
    best = _finish_compat(compat_candidates(doc))
    partner = best.get("partner_product")
    if partner is None:
        return []
    try:
        from extractors.compat import normalize_product

        match = normalize_product(str(partner.value))
    except Exception:
        match = None
    if match is None:
        return []
    vendor = best.get("partner_vendor")
    return [
        CompatEntry(
            category=match.category,
            canonical=match.canonical,
            name=str(partner.value),
            vendor=str(vendor.value) if vendor is not None else match.vendor,
            version=match.version,
            page=partner.page,
            bbox=partner.bbox,
            confidence=round(partner.confidence * (1.0 if match.level == "exact" else 0.8), 3),
        )
    ]


# --- patent certificate -------------------------------------------------------------------------

_PATENT = re.compile(r"(?:ZL|Z1|2L)?\s*((?:\d\s*){8}(?:\d\s*){0,4})[.·,]\s*([0-9Xx])")
_PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def patent_check_digit(digits: str) -> str:
    """Check character of a CNIPA application number (8 or 12 digits): weighted sum mod 11, 10 = X.

    >>> patent_check_digit("202111034527")
    '2'
    """
    total = sum(int(d) * w for d, w in zip(digits, _PATENT_WEIGHTS, strict=False))
    r = total % 11
    return "X" if r == 10 else str(r)


def format_patent_number(digits: str, check: str) -> str:
    """``ZL 2021 1 1034527.2`` (12 digits) or ``ZL 98 1 12345.6`` (8 digits)."""
    if len(digits) == 12:
        return f"ZL {digits[:4]} {digits[4]} {digits[5:]}.{check}"
    return f"ZL {digits[:2]} {digits[2]} {digits[3:]}.{check}"


def _patent_number(span: Span) -> Candidate | None:
    m = _PATENT.search(span.text)
    if m is None:
        return None
    digits = re.sub(r"\s", "", m.group(1))
    if len(digits) not in (8, 12):
        return None
    check = m.group(2).upper()
    value = format_patent_number(digits, check)
    notes = [f"normalised: ZL{digits}.{check}"]
    base = 0.95
    if patent_check_digit(digits) != check:
        notes.append("check digit does not match (misprint or misreading)")
        base = 0.4
    return Candidate.of("patent_number", value, span.sub(m.start(), m.end()), base, notes)


def _first_by_field(found: dict[str, list[Candidate]], order: Sequence[str]) -> list[ExtractedField]:
    out = []
    for name in order:
        b = vote(found.get(name, []))
        if b is not None:
            out.append(b.to_field())
    return out


def extract_patent_certificate(doc: DocumentContent) -> list[ExtractedField]:
    """patent_number (formatted, normalised form in a note), title, owner, announce_date."""
    labels = load_config().patent.labels
    found: dict[str, list[Candidate]] = {}
    for page in doc.pages:
        for name, span in label_values(page, labels):
            c: Candidate | None = None
            if name == "patent_number":
                c = _patent_number(span)
            elif name == "title":
                c = _text_value(name, span)
            elif name == "owner":
                c = org_candidate(name, span, _suffixes(), 0.9) or _text_value(name, span, 0.6)
            elif name == "announce_date":
                c = date_candidate(name, span, 0.95)
            if c is not None:
                found.setdefault(c.name, []).append(c)
    return _first_by_field(found, ("patent_number", "title", "owner", "announce_date"))


# --- software copyright -------------------------------------------------------------------------

_SR = re.compile(r"(\d{4})\s*S\s*R\s*(\d{5,8})")


def extract_software_copyright(doc: DocumentContent) -> list[ExtractedField]:
    """registration_number (2021SR0123456), title, owner, issue_date."""
    labels = load_config().software_copyright.labels
    found: dict[str, list[Candidate]] = {}
    for page in doc.pages:
        for name, span in label_values(page, labels):
            c: Candidate | None = None
            if name == "registration_number":
                m = _SR.search(span.text.upper())
                if m is not None:
                    c = Candidate.of(name, m.group(1) + "SR" + m.group(2), span.sub(m.start(), m.end()), 0.95)
            elif name == "title":
                c = _text_value(name, span)
            elif name == "owner":
                c = org_candidate(name, span, _suffixes(), 0.9) or _text_value(name, span, 0.6)
            elif name == "issue_date":
                c = date_candidate(name, span, 0.95)
            if c is not None:
                found.setdefault(c.name, []).append(c)
    return _first_by_field(found, ("registration_number", "title", "owner", "issue_date"))


# --- honour certificate -------------------------------------------------------------------------


def extract_honor_certificate(doc: DocumentContent) -> list[ExtractedField]:
    """title, owner, issuer, issue_date: from labels, the body sentence and the signature block."""
    cfg = load_config().honor
    found: dict[str, list[Candidate]] = {}

    def add(c: Candidate | None) -> None:
        if c is not None:
            found.setdefault(c.name, []).append(c)

    for page in doc.pages:
        for name, span in label_values(page, cfg.labels):
            if name == "title":
                add(_text_value(name, span))
            elif name in ("owner", "issuer"):
                add(org_candidate(name, span, _suffixes(), 0.9))
            elif name == "issue_date":
                add(date_candidate(name, span, 0.95))
        j = Joined.of(page, page_lines(page))
        for pat in cfg.body_patterns:
            m = re.search(pat, j.text)
            if m is None:
                continue
            got = repair_org(m.group("owner"), _suffixes())
            if got is not None:
                a = m.start("owner")
                add(j.candidate("owner", got[0], a, a + got[1], 0.8, got[2]))
            a, b = m.start("title"), m.end("title")
            if sum(1 for ch in m.group("title") if is_cjk(ch)) >= 2:
                add(j.candidate("title", m.group("title"), a, b, 0.8, ["from the body sentence"]))
            break
        for c in _signature(page):
            if c.name == "signer":
                c.name = "issuer"
            add(c)
    owners = {c.value for c in found.get("owner", [])}
    found["issuer"] = [c for c in found.get("issuer", []) if c.value not in owners]
    return _first_by_field(found, ("title", "owner", "issuer", "issue_date"))
