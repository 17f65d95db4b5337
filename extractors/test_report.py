"""Third-party test report (第三方测试报告 / 检测报告) fields and the test-environment table.

Fields: report_number, testing_organization, product_name, product_version, client, conclusion
(通过 / 不通过 / 符合 / 不符合 / 基本符合, the sentence in ``raw``), report_date (ISO), and one field per
environment row (env_cpu, env_os, env_database, env_middleware; value = product text as printed).

Labels come from ``config/test_report.yaml``. A label's value is the text right of it on the same
line (up to the next label) or, when nothing is there, the text below it. A value printed several
times (cover, page headers, signature block) is voted on: the value with the most support wins and
keeps the provenance of its most confident reading. The environment rows come from the ruled
tables (``extractors.tables``): pdfplumber on text-layer pages, ruling geometry and a second OCR
pass on scans. Product ids come from ``extractors.compat.normalize_product``.

The label/value helpers here are shared with ``extractors.certificates``. No document text is logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from extractors.dates import parse_date
from extractors.tables import Cell, Table, find_tables
from extractors.text import LabelHit, LineIndex, compact, find_labels, is_cjk, normalize_name
from pipeline.content import DocumentContent, PageContent
from pipeline.model import BBox, CompatEntry, ExtractedField, clamp_bbox, union_bbox
from pipeline.yamlio import load_yaml

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "test_report.yaml"

# --- configuration ------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConclusionWord(_Strict):
    value: str
    words: list[str] = Field(min_length=1)


class EnvironmentConfig(_Strict):
    categories: dict[str, list[str]]
    category_headers: list[str]
    name_headers: list[str]
    vendor_headers: list[str]


class TestReportConfig(_Strict):
    """The whole ``config/test_report.yaml``."""

    labels: dict[str, list[str]]
    conclusions: list[ConclusionWord]
    org_suffixes: list[str] = Field(min_length=1)
    environment: EnvironmentConfig


@cache
def load_config(path: Path = CONFIG_PATH) -> TestReportConfig:
    """The validated test-report configuration."""
    return TestReportConfig.model_validate(load_yaml(path.read_text(encoding="utf-8")))


# --- shared label/value helpers -----------------------------------------------------------------

_LEAD_JUNK = re.compile(r"^[\s:：;；,，.。、|_\-—~'\"“”‘’`()（）]+")
_TRAIL_JUNK = re.compile(r"[\s:：;；,，.。、|_\-—~'\"“”‘’`]+$")
_OCR_PARENS = str.maketrans(
    {"〈": "（", "〉": "）", "<": "（", ">": "）", "(": "（", ")": "）", "《": "（", "》": "）"}
)


@dataclass
class Span:
    """A value region: a line, a span of its compact text, and the label errors behind it."""

    li: LineIndex
    start: int
    end: int
    page: PageContent
    label_errors: int = 0

    @property
    def text(self) -> str:
        return self.li.text[self.start : self.end]

    def sub(self, a: int, b: int) -> Span:
        """The part ``text[a:b]`` of this span."""
        return Span(self.li, self.start + a, self.start + b, self.page, self.label_errors)

    @property
    def bbox(self) -> BBox | None:
        return self.li.bbox_for(self.start, self.end)

    def confidence(self, base: float) -> float:
        """``base`` lowered by label misreadings and by the OCR confidence of the value's words."""
        ocr = self.li.confidence_for(self.start, self.end) if self.end > self.start else 0.0
        return round(max(0.0, min(1.0, base * 0.9**self.label_errors * (0.5 + 0.5 * ocr))), 3)


@dataclass
class Candidate:
    """A field value with its provenance, before voting."""

    name: str
    value: Any
    raw: str
    confidence: float
    page: int | None
    bbox: BBox | None
    engine: str | None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, name: str, value: Any, span: Span, base: float, notes: list[str] | None = None) -> Candidate:
        """A candidate read from ``span``."""
        return cls(
            name, value, span.text, span.confidence(base), span.page.index, span.bbox, span.page.info.engine,
            list(notes or []),
        )  # fmt: skip

    def to_field(self) -> ExtractedField:
        """The ``ExtractedField`` for this candidate."""
        return ExtractedField(
            name=self.name,
            value=self.value,
            raw=self.raw,
            confidence=round(max(0.0, min(1.0, self.confidence)), 3),
            page=self.page,
            bbox=self.bbox,
            engine=self.engine,
            notes=self.notes,
        )


def page_lines(page: PageContent) -> list[LineIndex]:
    """The page's visual lines, indexed, without empty ones."""
    return [li for li in (LineIndex.of(ln) for ln in page.lines) if li.text]


_SEAL_NOTE = re.compile(r"^[\s(（]*(?:盖章|签章|公章|盖公章|签字|签名|签字盖章)[)）]?")


def _trim(span: Span) -> Span | None:
    text = span.text
    s = _SEAL_NOTE.match(text)
    a0 = s.end() if s else 0
    m = _LEAD_JUNK.match(text, a0)
    a = m.end() if m else a0
    t = _TRAIL_JUNK.search(text, a)
    b = t.start() if t else len(text)
    return span.sub(a, b) if b > a else None


def label_values(
    page: PageContent, labels: Mapping[str, Sequence[str]], max_errors: int = 1
) -> list[tuple[str, Span]]:
    """Every ``(field, value span)`` on the page: the text right of a label up to the next label,
    or the line below it (starting under or right of the label) when nothing follows on its line."""
    lines = page_lines(page)
    hits = find_labels(lines, labels, max_errors=max_errors)
    out: list[tuple[str, Span]] = []
    for hit in hits:
        li = lines[hit.line_no]
        nexts = [x.start for x in hits if x.line_no == hit.line_no and x.start >= hit.end]
        end = min(nexts) if nexts else len(li.text)
        span = _trim(Span(li, hit.end, end, page, hit.errors)) if end > hit.end else None
        if span is None or not any(is_cjk(c) or c.isalnum() for c in span.text):
            span = _value_below(lines, hits, hit, page)
        if span is not None:
            out.append((hit.field, span))
    return out


def _value_below(
    lines: Sequence[LineIndex], hits: Sequence[LabelHit], hit: LabelHit, page: PageContent
) -> Span | None:
    lb = lines[hit.line_no].bbox_for(hit.start, hit.end)
    if lb is None:
        return None
    h = lb[3] - lb[1]
    for ln_no in range(hit.line_no + 1, min(len(lines), hit.line_no + 3)):
        li = lines[ln_no]
        if li.line.bbox[1] > lb[3] + 2.5 * h:
            break
        idx = [k for k, o in enumerate(li.owner) if li.line.words[o].bbox[2] > lb[0] - h]
        if not idx:
            continue
        start = idx[0]
        if any(x.line_no == ln_no and x.start <= start < x.end for x in hits):
            return None
        ends = [x.start for x in hits if x.line_no == ln_no and x.start > start]
        return _trim(Span(li, start, min(ends) if ends else len(li.text), page, hit.errors))
    return None


def repair_org(text: str, suffixes: Sequence[str]) -> tuple[str, int, list[str]] | None:
    """An organisation name at the start of ``text``: (name, printed length, notes), or None.

    The name runs to the last organisation suffix; OCR look-alikes of parentheses become （ ）, and a
    misread 有X公司 ending becomes 有限公司 (noted)."""
    first = next((k for k, c in enumerate(text) if is_cjk(c)), None)
    if first is None or first > 2:
        return None
    notes: list[str] = []
    body = text[first:]
    m_bad = re.match(r"(.+?有)([^限])(公司)", body)
    if m_bad and "有限公司" not in body:
        body = m_bad.group(1) + "限" + m_bad.group(3) + body[m_bad.end() :]
        notes.append("有限公司 restored from an OCR misreading")
    best_end = None
    for suf in sorted(suffixes, key=len, reverse=True):
        pos = body.rfind(suf)
        if pos >= 0:
            end = pos + len(suf)
            if best_end is None or end > best_end:
                best_end = end
    if best_end is None:
        return None
    name = normalize_name(body[:best_end].translate(_OCR_PARENS))
    if name.count("（") != name.count("）"):
        # a lost parenthesis ( "测评实验室吹)" ): keep only when balanced after the repair
        return None
    if sum(1 for c in name if is_cjk(c)) < 4 or re.search(r"[A-Za-z]{2,}", name):
        return None
    if any(p != q for p, q in zip(body[:best_end].translate(_OCR_PARENS), name, strict=False)):
        notes.append("OCR parentheses normalised")
    return name, first + best_end, notes


def org_candidate(name: str, span: Span, suffixes: Sequence[str], base: float) -> Candidate | None:
    """An organisation-name candidate read from ``span``."""
    got = repair_org(span.text, suffixes)
    if got is None:
        return None
    value, length, notes = got
    first = next(k for k, c in enumerate(span.text) if is_cjk(c))
    sub = span.sub(first, length)
    return Candidate.of(name, value, sub, base * (0.9 if notes else 1.0), notes)


def date_candidate(name: str, span: Span, base: float) -> Candidate | None:
    """A date candidate (ISO) read from ``span``; month-precision dates are not accepted."""
    d = parse_date(span.text)
    if d is None or d.precision != "day":
        return None
    sub = span.sub(d.span[0], d.span[1])
    return Candidate.of(name, d.iso, sub, base)


def vote(cands: Sequence[Candidate]) -> Candidate | None:
    """The value with the most support (sum of confidences); its most confident reading."""
    if not cands:
        return None
    groups: dict[str, list[Candidate]] = {}
    for c in cands:
        groups.setdefault(repr(c.value), []).append(c)
    best = max(groups.values(), key=lambda g: (sum(c.confidence for c in g), max(c.confidence for c in g)))
    top = max(best, key=lambda c: c.confidence)
    if len(best) > 1:
        top = Candidate(
            top.name, top.value, top.raw, min(1.0, top.confidence + 0.05 * (len(best) - 1)), top.page,
            top.bbox, top.engine, [*top.notes, f"read {len(best)} times"],
        )  # fmt: skip
    others = len(cands) - len(best)
    if others:
        top.notes.append(f"{others} other reading(s) disagree")
        top.confidence = round(top.confidence * 0.9, 3)
    return top


_VERSION = re.compile(
    r"(?:[Vv]\s?\d+(?:\.\d+)*(?:\s?(?:SP|sp)\d+)?|版本\s?\d+(?:\.\d+)*|\d+\.\d+(?:\.\d+)*)$"
)


def split_version(text: str) -> tuple[str, str | None]:
    """``榕信协同办公平台V5.2`` -> (``榕信协同办公平台``, ``V5.2``); no version -> (text, None)."""
    m = _VERSION.search(text)
    if m is None or m.start() == 0:
        return text, None
    return text[: m.start()].rstrip(" -_"), m.group()


# --- report fields ------------------------------------------------------------------------------

_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/]*[A-Za-z0-9]")


def _report_number(span: Span) -> Candidate | None:
    m = _NUMBER.match(span.text)
    if m is None or not re.search(r"\d", m.group()) or len(m.group()) < 4:
        return None
    return Candidate.of("report_number", m.group(), span.sub(m.start(), m.end()), 0.95)


def _product(span: Span) -> list[Candidate]:
    text = span.text
    m = re.match(r"[\u4e00-\u9fffA-Za-z0-9.\-_（）()+ ]+", text)
    if m is None:
        return []
    name, version = split_version(m.group())
    if sum(1 for c in name if is_cjk(c)) < 2:
        return []
    out = [Candidate.of("product_name", normalize_name(name), span.sub(0, len(name)), 0.9)]
    if version:
        out.append(Candidate.of("product_version", version, span.sub(len(name), m.end()), 0.8))
    return out


def _version(span: Span) -> Candidate | None:
    m = re.match(r"[Vv]?\d+(?:\.\d+)*(?:(?:SP|sp)\d+)?", span.text)
    if m is None:
        return None
    return Candidate.of("product_version", m.group(), span.sub(0, m.end()), 0.95)


def _sentence(li_text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence (between 。；！ marks) around ``text[start:end]``."""
    a = max(li_text.rfind(p, 0, start) for p in "。；;!！") + 1
    ends = [i for i in (li_text.find(p, end) for p in "。；;!！") if i >= 0]
    b = min(ends) + 1 if ends else len(li_text)
    return a, b


def _conclusion(span: Span, cfg: TestReportConfig) -> Candidate | None:
    text = span.text
    for cw in cfg.conclusions:
        for w in cw.words:
            pos = text.find(w)
            if 0 <= pos <= 2:
                a, b = _sentence(span.li.text, span.start + pos, span.start + pos + len(w))
                whole = Span(span.li, a, b, span.page, span.label_errors)
                cand = Candidate.of("conclusion", cw.value, span.sub(pos, pos + len(w)), 0.95)
                cand.raw = whole.text
                return cand
    return None


def _org_headers(page: PageContent, suffixes: Sequence[str]) -> list[Candidate]:
    """Organisation names printed alone in a page's running header (top 8 % of the page)."""
    out = []
    for li in page_lines(page):
        if li.line.bbox[3] > 0.08:
            continue
        span = Span(li, 0, len(li.text), page)
        got = repair_org(li.text, suffixes)
        if got is not None and got[1] >= len(li.text) - 2:
            c = org_candidate("testing_organization", span, suffixes, 0.7)
            if c is not None:
                out.append(c)
    return out


def report_candidates(doc: DocumentContent) -> dict[str, list[Candidate]]:
    """Every labelled reading of the report fields, by field."""
    cfg = load_config()
    found: dict[str, list[Candidate]] = {}

    def add(c: Candidate | None) -> None:
        if c is not None:
            found.setdefault(c.name, []).append(c)

    for page in doc.pages:
        for name, span in label_values(page, cfg.labels):
            if name == "report_number":
                add(_report_number(span))
            elif name == "product_name":
                for c in _product(span):
                    add(c)
            elif name == "product_version":
                add(_version(span))
            elif name in ("client", "testing_organization"):
                add(org_candidate(name, span, cfg.org_suffixes, 0.9))
            elif name == "report_date":
                add(date_candidate(name, span, 0.95))
            elif name == "conclusion":
                add(_conclusion(span, cfg))
        for c in _org_headers(page, cfg.org_suffixes):
            add(c)
    # a version read from the product name is weaker than a labelled version
    if any(c.raw and c.confidence >= 0.5 for c in found.get("product_version", [])):
        pass
    return found


FIELD_ORDER = (
    "report_number",
    "testing_organization",
    "product_name",
    "product_version",
    "client",
    "conclusion",
    "report_date",
)


def extract_test_report(doc: DocumentContent) -> list[ExtractedField]:
    """The report fields of ``doc`` (one per field, voted) followed by the env_* rows."""
    found = report_candidates(doc)
    out: list[ExtractedField] = []
    for name in FIELD_ORDER:
        best = vote(found.get(name, []))
        if best is not None:
            out.append(best.to_field())
    for row in environment_rows(doc):
        out.append(row.to_field())
    return out


# --- test environment ---------------------------------------------------------------------------

ENV_FIELD = {"cpu": "env_cpu", "os": "env_os", "database": "env_database", "middleware": "env_middleware"}


@dataclass
class EnvRow:
    """One row of the test-environment table."""

    category: str
    cell: Cell
    page: int
    vendor: str | None
    engine: str | None

    @property
    def name(self) -> str:
        return clean_product(self.cell.text)

    def to_field(self) -> ExtractedField:
        """The ``env_<category>`` field of this row."""
        return ExtractedField(
            name=ENV_FIELD[self.category],
            value=self.name,
            raw=self.cell.text,
            confidence=_cell_confidence(self.cell),
            page=self.page,
            bbox=self.cell.bbox,
            engine=self.engine,
        )


def clean_product(text: str) -> str:
    """A product cell's text without leading/trailing OCR junk, spaces only between Latin words."""
    t = _TRAIL_JUNK.sub("", _LEAD_JUNK.sub("", text))
    return re.sub(r"(?<=[\u4e00-\u9fff])\s+|\s+(?=[\u4e00-\u9fff])", "", t).strip()


def _cell_confidence(cell: Cell) -> float:
    if not cell.words:
        return 0.9
    return round(0.5 + 0.45 * (sum(w.confidence for w in cell.words) / len(cell.words)), 3)


def _category(text: str, cfg: EnvironmentConfig) -> str | None:
    t = compact(text).upper()
    if not t:
        return None
    for cat, words in cfg.categories.items():
        for w in words:
            if t == w.upper() or (len(t) <= len(w) + 3 and w.upper() in t):
                return cat
    return None


def _header_col(row: Sequence[Cell], headers: Sequence[str]) -> int | None:
    for h in headers:
        for c in row:
            if compact(c.text).endswith(h) or compact(c.text) == h:
                return c.col
    return None


def _table_rows(table: Table, cfg: EnvironmentConfig) -> list[EnvRow]:
    header_idx, cat_col, name_col, vendor_col = None, None, None, None
    for r, row in enumerate(table.rows[:3]):
        n = _header_col(row, cfg.name_headers)
        if n is not None:
            header_idx, name_col = r, n
            cat_col = _header_col(row, cfg.category_headers)
            vendor_col = _header_col(row, cfg.vendor_headers)
            break
    out: list[EnvRow] = []
    body = table.rows[header_idx + 1 :] if header_idx is not None else table.rows
    for row in body:
        by_col = {c.col: c for c in row}
        cat = None
        if cat_col is not None and cat_col in by_col:
            cat = _category(by_col[cat_col].text, cfg)
        if cat is None:  # no header: the first cell naming a category
            for c in row:
                cat = _category(c.text, cfg)
                if cat is not None:
                    cat_col = c.col if header_idx is None else cat_col
                    break
        if cat is None:
            continue
        ncol = name_col
        if ncol is None:
            later = [c.col for c in row if cat_col is not None and c.col > cat_col and c.text]
            ncol = later[0] if later else None
        cell = by_col.get(ncol) if ncol is not None else None
        if cell is None or not clean_product(cell.text):
            continue
        vendor = None
        if vendor_col is not None and vendor_col in by_col:
            vendor = normalize_name(by_col[vendor_col].text) or None
        out.append(EnvRow(cat, cell, table.page, vendor, cell.engine))
    return out


def environment_rows(doc: DocumentContent) -> list[EnvRow]:
    """The rows of every test-environment table in ``doc`` (tables with category rows)."""
    cfg = load_config().environment
    rows: list[EnvRow] = []
    for table in find_tables(doc):
        got = _table_rows(table, cfg)
        if len(got) >= 1:
            rows.extend(got)
    return rows


def _canonical(name: str, category: str) -> tuple[str, str | None, float]:
    """(canonical id, version, confidence factor) from the product catalogue, if it knows the name."""
    try:
        from extractors.compat import normalize_product
    except ImportError:  # pragma: no cover - the catalogue module ships with the package
        return "unknown", None, 0.5
    try:
        match = normalize_product(name, category)
    except Exception:
        match = None
    if match is None:
        return "unknown", None, 0.5
    return match.canonical, match.version, (1.0 if match.level == "exact" else 0.8)


def extract_test_environment(doc: DocumentContent) -> list[CompatEntry]:
    """The test-environment table as compatibility entries: category from the row header, name as
    printed, canonical id from the product catalogue ("unknown" when it knows no such product),
    page and bbox of the name cell."""
    out: list[CompatEntry] = []
    for row in environment_rows(doc):
        canonical, version, factor = _canonical(row.name, row.category)
        out.append(
            CompatEntry(
                category=row.category,  # type: ignore[arg-type]
                canonical=canonical,
                name=row.name,
                vendor=row.vendor,
                version=version,
                page=row.page,
                bbox=row.cell.bbox,
                confidence=round(_cell_confidence(row.cell) * factor, 3),
            )
        )
    return out


def cell_bbox(cells: Sequence[Cell]) -> BBox | None:
    """Union box of some cells (None for none)."""
    return clamp_bbox(*union_bbox([c.bbox for c in cells])) if cells else None
