"""Business licence (营业执照) fields from positioned words: uscc or the old 注册号, company_name,
company_type, legal_representative, established_date.

Labels are found on reading-order lines with OCR tolerance (spaces removed, one wrong character in
long labels, a table of common misreadings). A label's value is the text to its right on the same
line, up to the next label or a wide gap, or else the text below it. The credit code is also
searched on every line as an 18-character run, validated and, if needed, repaired by its check
digit; a code that still fails is reported with low confidence and a note, never as valid.
No document text is logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from extractors import uscc as uscc_mod
from extractors.dates import parse_date
from extractors.text import LabelHit, LineIndex, find_labels, is_cjk, normalize_name
from pipeline.content import DocumentContent, PageContent
from pipeline.model import BBox, ExtractedField

#: Field -> label variants as printed (and as commonly misread). Fields without extraction below
#: (address, scope, …) are listed so that they end the value of the label before them.
LABELS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "registration_number": ("注册号", "注册号码"),
    "company_name": ("名称", "名杯", "名栎", "企业名称", "单位名称"),
    "company_type": ("类型", "主体类型", "公司类型", "企业类型", "组成形式"),
    "legal_representative": (
        "法定代表人",
        "法定代表人姓名",
        "经营者",
        "经营者姓名",
        "负责人姓名",
        "投资人姓名",
        "负责人",
        "执行事务合伙人",
        "投资人",
    ),
    "established_date": ("成立日期", "注册日期"),
    "address": ("住所", "经营场所", "营业场所", "主要经营场所"),
    "registered_capital": ("注册资本", "注册资金", "实收资本"),
    "validity_period": ("营业期限", "经营期限", "合伙期限"),
    "business_scope": ("经营范围",),
    "registration_authority": ("登记机关",),
}

COMPANY_SUFFIX = re.compile(
    r"(有限责任公司|股份有限公司|有限公司|分公司|公司|厂|经营部|销售部|部|店|中心|合作社|事务所|工作室|商行|门市)"
    r"([（(]?个体工商户[）)])?"
)
COMPANY_TYPE_WORDS = (
    "有限责任公司",
    "股份有限公司",
    "个体工商户",
    "个人独资企业",
    "合伙企业",
    "法人商事主体",
)
_USCC_RUN = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{18,}(?![0-9A-Z])")
MAX_FREE_RUN = 20
"""Away from the label, runs longer than this are other numbers (证照编号 and the like)."""
#: Single label characters that stand for a letter-spaced label (名 称, 类 型, 住 所) whose first
#: character OCR lost; only recognised at the start of a line.
LINE_START_LABELS: dict[str, tuple[str, ...]] = {
    "company_name": ("称",),
    "company_type": ("型",),
    "address": ("所",),
}
#: Characters that begin label words, never a person's name.
_NOT_NAME_START = set("型人名称所者代表")
#: OCR confusions in dates: letters read for digits.
_DATE_DIGITS = str.maketrans(
    {"t": "1", "l": "1", "I": "1", "|": "1", "O": "0", "o": "0", "D": "0", "S": "5", "B": "8", "Z": "2"}
)
_REGNO_RUN = re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])")
_LEAD_JUNK = re.compile(r"^[\s:：;；,，.。、|_\-—~'\"“”‘’]+")
_NAME_RUN = re.compile(r"[\u4e00-\u9fff·]{2,5}")

GAP_FACTOR = 3.0
"""A horizontal gap wider than this many line heights ends a value."""


@dataclass
class _Value:
    """A value region: line, compact-text span, and the text."""

    li: LineIndex
    start: int
    end: int
    label_errors: int = 0

    @property
    def text(self) -> str:
        return self.li.text[self.start : self.end]


@dataclass
class _Found:
    """A candidate field value before it becomes an ExtractedField."""

    name: str
    value: str
    raw: str
    confidence: float
    bbox: BBox | None
    notes: list[str] = field(default_factory=list)


def _line_height(li: LineIndex) -> float:
    return max(1e-4, li.line.bbox[3] - li.line.bbox[1])


def _cut_at_gap(li: LineIndex, start: int, end: int) -> int:
    """End of the value: before the first horizontal gap wider than GAP_FACTOR line heights."""
    h = _line_height(li)
    prev_word = li.owner[start] if start < len(li.owner) else None
    for k in range(start + 1, end):
        w = li.owner[k]
        if w != prev_word and prev_word is not None:
            gap = li.line.words[w].bbox[0] - li.line.words[prev_word].bbox[2]
            if gap > GAP_FACTOR * h:
                return k
        prev_word = w
    return end


def _value_right(li: LineIndex, hit: LabelHit, next_start: int) -> _Value | None:
    start = hit.end
    m = _LEAD_JUNK.match(li.text[start:next_start])
    if m:
        start += m.end()
    if start >= next_start:
        return None
    end = _cut_at_gap(li, start, next_start)
    return _Value(li, start, end, hit.errors)


def _value_below(lines: Sequence[LineIndex], hits: Sequence[LabelHit], hit: LabelHit) -> _Value | None:
    """The text under a label whose value is on the next line (starting at or right of the label)."""
    label_li = lines[hit.line_no]
    lb = label_li.bbox_for(hit.start, hit.end)
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
        ends = [x.start for x in hits if x.line_no == ln_no and x.start > start]
        end = min(ends) if ends else len(li.text)
        if any(x.line_no == ln_no and x.start <= start < x.end for x in hits):
            return None  # another label sits below: no value
        return _Value(li, start, _cut_at_gap(li, start, end), hit.errors)
    return None


def _label_values(lines: Sequence[LineIndex], hits: Sequence[LabelHit], name: str) -> list[_Value]:
    out: list[_Value] = []
    for hit in hits:
        if hit.field != name:
            continue
        li = lines[hit.line_no]
        nexts = [x.start for x in hits if x.line_no == hit.line_no and x.start >= hit.end]
        v = _value_right(li, hit, min(nexts) if nexts else len(li.text))
        if v is None or not any(is_cjk(c) or c.isalnum() for c in v.text):
            v = _value_below(lines, hits, hit)
        if v is not None:
            out.append(v)
    return out


def _conf(base: float, v: _Value, start: int | None = None, end: int | None = None) -> float:
    ocr = v.li.confidence_for(v.start if start is None else start, v.end if end is None else end)
    penalty = 0.9**v.label_errors
    return round(max(0.0, min(1.0, base * penalty * (0.5 + 0.5 * ocr))), 3)


# --- per-field value parsers ------------------------------------------------------------------


def _company_name(v: _Value) -> _Found | None:
    text = v.text
    first = next((k for k, c in enumerate(text) if is_cjk(c)), None)
    if first is None:
        return None
    last_suffix = None
    for m in COMPANY_SUFFIX.finditer(text, first):
        last_suffix = m
    if last_suffix is not None:
        end, base, notes = last_suffix.end(), 0.95, list[str]()
    else:
        keep = [k for k, c in enumerate(text) if is_cjk(c) or c in "()（）"]
        end, base, notes = keep[-1] + 1, 0.5, ["no company-name suffix found"]
    value = normalize_name(text[first:end])
    if value.endswith("个体工商户）") and not value.endswith("（个体工商户）"):
        value = value[: -len("个体工商户）")] + "（个体工商户）"
        notes.append("opening parenthesis restored")
    if re.search(r"[\u4e00-\u9fff][A-Za-z]+[\u4e00-\u9fff]", value):
        base = min(base, 0.4)
        notes.append("Latin letters inside the name: OCR noise likely")
    cjk = sum(1 for c in value if is_cjk(c))
    if cjk < 4 or value.startswith(COMPANY_TYPE_WORDS):
        return None
    if last_suffix is None and (cjk < 6 or re.search(r"[A-Za-z0-9]", value)):
        return None  # no suffix and short or mixed with Latin: too likely noise
    a, b = v.start + first, v.start + end
    return _Found("company_name", value, text[first:end], _conf(base, v, a, b), v.li.bbox_for(a, b), notes)


def _legal_representative(v: _Value) -> _Found | None:
    text = v.text
    skip = 2 if text.startswith("姓名") else 0
    m = _NAME_RUN.search(text, skip)
    if m is None or m.start() > skip + 2 or len(m.group()) > 4 or m.group()[0] in _NOT_NAME_START:
        return None
    a, b = v.start + m.start(), v.start + m.end()
    base = 0.85
    return _Found("legal_representative", m.group(), m.group(), _conf(base, v, a, b), v.li.bbox_for(a, b))


def _company_type(v: _Value) -> _Found | None:
    text = v.text
    m = re.match(r"[\u4e00-\u9fff()（）【】\[\]、,，]+", text)
    if m is None:
        return None
    value = m.group()
    # a closing bracket ends the type; anything after it belongs elsewhere
    for closer in ("】", "]", "）", ")"):
        if closer in value and value.count(closer) >= 1:
            value = value[: value.rfind(closer) + 1]
            break
    value = value.rstrip("、,，")
    notes: list[str] = []
    if "【" in value and "】" not in value:
        value = value[:-1] + "】" if value.endswith("]") else value + "】"
        notes.append("closing 】 added")
    if not any(w in value for w in ("公司", "企业", "个体", "合作社", "合伙", "独资", "主体")):
        return None
    a, b = v.start, v.start + len(value)
    b = min(b, v.end)
    raw = v.text[: b - a]
    return _Found("company_type", normalize_name(value), raw, _conf(0.8, v, a, b), v.li.bbox_for(a, b), notes)


def _established_date(v: _Value) -> _Found | None:
    notes: list[str] = []
    d = parse_date(v.text)
    if d is None:
        d = parse_date(v.text.translate(_DATE_DIGITS))
        notes.append("letters read as digits")
    if d is None:
        return None
    a, b = v.start + d.span[0], v.start + d.span[1]
    base = 0.9
    if d.precision == "month":
        base = 0.4
        notes.append("month precision only: a licence prints the day, OCR likely lost it")
    return _Found("established_date", d.iso, d.raw, _conf(base, v, a, b), v.li.bbox_for(a, b), notes)


def _registration_number(v: _Value) -> _Found | None:
    digits = re.sub(r"[^0-9]", "", v.text.replace("O", "0").replace("o", "0"))
    m = re.search(r"[0-9]{15}", digits)
    if m is None:
        return None
    num = m.group()
    span = _find_span(v.text, num) or (0, len(v.text))
    a, b = v.start + span[0], v.start + span[1]
    if uscc_mod.is_valid_registration_number(num):
        return _Found(
            "registration_number", num, v.text[span[0] : span[1]], _conf(0.9, v, a, b), v.li.bbox_for(a, b)
        )
    return _Found(
        "registration_number",
        num,
        v.text[span[0] : span[1]],
        min(0.3, _conf(0.3, v, a, b)),
        v.li.bbox_for(a, b),
        ["check digit (ISO 7064 MOD 11,10) fails"],
    )


def _find_span(text: str, digits: str) -> tuple[int, int] | None:
    """Span of ``digits`` in ``text`` allowing non-digits in between."""
    pat = r"[^0-9]*".join(re.escape(c) for c in digits)
    m = re.search(pat.replace("0", "[0Oo]"), text)
    return (m.start(), m.end()) if m else None


# --- credit code ------------------------------------------------------------------------------


def _uscc_candidates(li: LineIndex, near_label: bool, label_errors: int) -> list[_Found]:
    """Every 18-character run on a line, validated or repaired."""
    upper = li.text.upper()
    out: list[_Found] = []
    for m in _USCC_RUN.finditer(upper):
        run = m.group()
        starts = range(len(run) - 17) if near_label or len(run) <= MAX_FREE_RUN else []
        for off in starts:
            raw = run[off : off + 18]
            a, b = m.start() + off, m.start() + off + 18
            v = _Value(li, a, b, label_errors)
            repaired = uscc_mod.best_repair(raw)
            if repaired is not None:
                code, notes, conf = repaired
                base = conf if near_label else conf * 0.85
                out.append(_Found("uscc", code, li.text[a:b], _conf(base, v), li.bbox_for(a, b), notes))
            elif len(run) == 18 and (
                near_label or (raw[:1] in uscc_mod.AUTHORITY_CHARS and raw[2:8].isdigit())
            ):
                try:
                    uscc_mod.validate(raw)
                    reason = "invalid"
                except uscc_mod.UsccError as e:
                    reason = e.code
                out.append(
                    _Found(
                        "uscc",
                        raw,
                        li.text[a:b],
                        min(0.3, _conf(0.3, v)),
                        li.bbox_for(a, b),
                        [f"not a valid USCC ({reason}); no unique repair"],
                    )
                )
    return out


def _find_uscc(lines: Sequence[LineIndex], hits: Sequence[LabelHit]) -> list[_Found]:
    label_lines = {h.line_no: h for h in hits if h.field == "uscc"}
    out: list[_Found] = []
    for ln_no, li in enumerate(lines):
        near = label_lines.get(ln_no)
        if near is None and ln_no - 1 in label_lines:
            near = label_lines[ln_no - 1]
        out.extend(_uscc_candidates(li, near is not None, near.errors if near else 0))
    return out


# --- driver -----------------------------------------------------------------------------------

_PARSERS: dict[str, Callable[[_Value], _Found | None]] = {
    "company_name": _company_name,
    "company_type": _company_type,
    "legal_representative": _legal_representative,
    "established_date": _established_date,
    "registration_number": _registration_number,
}


def _page_fields(page: PageContent) -> list[_Found]:
    lines = [LineIndex.of(ln) for ln in page.lines]
    lines = [li for li in lines if li.text]
    hits = find_labels(lines, LABELS, max_errors=1)
    starts = find_labels(lines, LINE_START_LABELS, max_errors=0)
    hits = sorted(
        [
            *hits,
            *(
                h
                for h in starts
                if h.start == 0 and not any(x.line_no == h.line_no and x.start == 0 for x in hits)
            ),
        ],
        key=lambda h: (h.line_no, h.start),
    )
    found: list[_Found] = list(_find_uscc(lines, hits))
    for name, parser in _PARSERS.items():
        for v in _label_values(lines, hits, name):
            got = parser(v)
            if got is not None:
                found.append(got)
    return found


FIELD_ORDER = (
    "uscc",
    "registration_number",
    "company_name",
    "company_type",
    "legal_representative",
    "established_date",
)


def extract_business_license(doc: DocumentContent) -> list[ExtractedField]:
    """The licence fields found in ``doc``: at most one value per field, the most confident."""
    best: dict[str, tuple[_Found, PageContent]] = {}
    for page in doc.pages:
        for f in _page_fields(page):
            cur = best.get(f.name)
            if cur is None or f.confidence > cur[0].confidence:
                best[f.name] = (f, page)
    if "uscc" in best and "registration_number" in best:
        # a licence carries one or the other; keep the better-supported one
        loser = min(("uscc", "registration_number"), key=lambda n: best[n][0].confidence)
        del best[loser]
    out: list[ExtractedField] = []
    for name in FIELD_ORDER:
        if name not in best:
            continue
        f, page = best[name]
        out.append(
            ExtractedField(
                name=f.name,
                value=f.value,
                raw=f.raw,
                confidence=f.confidence,
                page=page.index,
                bbox=f.bbox,
                engine=page.info.engine,
                notes=f.notes,
            )
        )
    return out
