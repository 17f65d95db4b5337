"""Business licence (营业执照) fields from positioned words.

Fields (names as in DESIGN.md §2 and the sample truth): ``uscc`` or the old 15-digit
``registration_number``, ``company_name``, ``company_type``, ``legal_representative`` (经营者 on a
个体工商户 licence), ``registered_capital`` (float yuan), ``established_date`` (成立日期 / 注册日期),
``validity_start`` / ``validity_end`` (营业期限; 长期 / ****** -> ``validity_end`` None with a note),
``address`` (住所 / 经营场所, wrapped lines joined), ``business_scope`` (经营范围, multi-line),
``registration_authority`` (登记机关, only when printed as text: a name only inside the authority's
seal is left to the seal reader) and ``issue_date`` (the date under 登记机关).

How:

1. **Rows.** Words are grouped into segments by the engine's own line ids (split at wide gaps), and
   segments are chained into visual rows left to right by vertical overlap with their left
   neighbour, so a label and its value printed apart (two RapidOCR boxes, the two columns of the
   landscape 副本) share a row even on a tilted photo.
2. **Labels** (``config/business_license.yaml``: variants, OCR misreadings, line-start stand-ins) are
   found on each row's compact text with one edit allowed in long labels. A value is the text to
   the right of its label up to the next label or a wide gap, else the text below it; the address
   and the business scope continue onto the next rows that start in the value column, up to the
   next field's label row. A box of two or more characters much taller than wide (the ends of two
   letter-spaced labels, 称所) is cut into its characters first (``split_stacked``).
3. **Credit code.** Every 18-character run is validated (GB 32100 MOD-31) and repaired by its check
   digit when exactly one repair passes; a code that fails is reported with low confidence and a
   note, never as valid. On a text-layer page the code is taken as printed (no repair). The old
   15-digit 注册号 is checked with ISO 7064 MOD 11,10.
4. **Second engine.** On an OCR page where a key field (code, name, type, representative,
   established date) is missing or weak, the page is read again by the other engine
   (``extractors.licence_reread``) and the two readings vote field by field: a code that passes its
   check digit beats one that does not, values read alike by both engines gain confidence, else the
   more confident reading wins.
5. **Line re-reads** (``licence_reread.reread_line``: RapidOCR recognition alone on a crop of the
   page image, at three scales, as colour / red channel / sharpened grey, ~0.02 s a read), only
   when needed: a code line whose code fails its check digit or needed a guessed repair (the
   valid code closest to all readings wins, ``uscc.consensus``); a 成立日期 label with no date
   beside it; a date printed with uneven zero padding (a digit lost under a seal); a name read
   with little confidence (a confident re-reading of the same value confirms it); a 名称 label
   with no name beside it (shifted crops of the strip must agree, be certain on the name's own
   characters, per-character scores, and match the 类型's legal form: ``_reread_name``).
6. **Nothing uncertain.** A company name, representative or address read with less OCR
   confidence than ``CERTAIN_OCR`` (low-resolution photos: plausible wrong characters) is only
   reported when the other engine or a confident re-read agrees; one whose words have a gap
   (a redaction box) is not reported. Values are cut where overlay text starts
   (``config/licence_overlays.yaml``: 仅限…使用 and site names), and an address where the old
   licence's notice column, text of another size or a smudge starts. A 类型 reading is snapped to
   the enterprise-type list (``config/licence_types.yaml``) when it is clearly closest to one entry.
   A 成立日期 one digit away from a reading of the 营业期限 start (the same day as a rule) is not
   reported, nor that start: one of them is misread and the page does not tell which.

No document text is logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from statistics import median

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from extractors import uscc as uscc_mod
from extractors.amounts import parse_amount
from extractors.dates import OPEN_END_WORDS, find_dates, find_ranges, parse_date
from extractors.licence_reread import (
    LineReading,
    engine_family,
    other_engine_for,
    reread_enabled,
    reread_line,
    reread_page,
)
from extractors.text import LabelHit, LineIndex, edit_distance, find_labels, is_cjk, normalize_name
from pipeline.content import DocumentContent, PageContent
from pipeline.model import BBox, ExtractedField, Line, Word

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "business_license.yaml"
OVERLAYS_PATH = CONFIG_PATH.parent / "licence_overlays.yaml"
TYPES_PATH = CONFIG_PATH.parent / "licence_types.yaml"

FIELDS = (
    "uscc",
    "registration_number",
    "company_name",
    "company_type",
    "legal_representative",
    "registered_capital",
    "established_date",
    "validity_start",
    "validity_end",
    "address",
    "business_scope",
    "registration_authority",
    "issue_date",
)
FIELD_ORDER = FIELDS
#: Fields whose absence or weakness on an OCR page triggers the second engine's reading.
KEY_FIELDS = ("company_name", "company_type", "legal_representative", "established_date")
SECONDARY_FIELDS = ("registered_capital", "validity_end", "address", "business_scope", "issue_date")
WEAK = 0.75
"""A key field below this confidence counts as weak (see KEY_FIELDS)."""
ENGINE_WEIGHT: dict[str, float] = {"rapidocr": 1.0, "tesseract": 0.85}
"""When the engines disagree, a reading's confidence counts this much (measured on the real
licences: RapidOCR misreads fewer characters than Tesseract on photographed licences)."""
MIN_REPORT = 0.3
MAX_CODE_REREADS = 2
"""At most this many code lines per page are re-read when the code is in doubt."""
CONSENSUS_CONFIDENCE = 0.8
CONSENSUS_FAR = 0.7
"""Confidence of a consensus code the readings are on average more than one edit away from."""
CONSENSUS_MAX_DISTANCE = 3.0
"""A consensus code further than this many edits per reading from the readings is not taken."""
LINE_ENGINE_NAME = "rapidocr (line re-read)"
NAME_GAP = 1.5
"""A company name or representative whose words are further apart than this many row heights
has a part the engine did not read (a redaction box, a stain): it is not reported."""
CERTAIN_OCR: dict[str, float] = {"rapidocr": 0.9, "tesseract": 0.75}
"""A name or representative read with less confidence than this (per engine family) is only
reported when the other engine read the same value. Measured on the real licences: RapidOCR reads
correct names at 0.92-1.0 and the unreadable names of low-resolution photos at 0.6-0.87."""
CERTAIN_OCR_FIELD: dict[tuple[str, str], float] = {("tesseract", "legal_representative"): 0.55}
"""Per-field exceptions to CERTAIN_OCR: Tesseract's per-word confidence of a two- or three-
character name is low even when right (0.37-0.86 on the real licences; wrong readings 0.1-0.48)."""
UNCERTAIN_FIELDS = ("company_name", "legal_representative", "address")
"""Text fields below this confidence are not reported (an invalid code is, with its note)."""


# --- configuration ----------------------------------------------------------------------------


class LicenceConfig(BaseModel):
    """The whole ``config/business_license.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: dict[str, list[str]]
    misreadings: dict[str, list[str]] = {}
    line_start_labels: dict[str, list[str]] = {}
    name_suffixes: list[str]
    company_type_words: list[str]
    company_type_keywords: list[str]
    authority_suffixes: list[str]
    non_name_words: list[str] = []

    @field_validator("labels")
    @classmethod
    def _labels_complete(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        needed = {
            "uscc",
            "registration_number",
            "company_name",
            "company_type",
            "legal_representative",
            "established_date",
            "address",
            "registered_capital",
            "validity_period",
            "business_scope",
            "registration_authority",
        }
        missing = needed - set(v)
        if missing:
            raise ValueError(f"labels must define {sorted(missing)}")
        for name, variants in v.items():
            if not variants or any(not s.strip() for s in variants):
                raise ValueError(f"labels.{name} must be a non-empty list of non-empty labels")
        return v

    @field_validator("misreadings", "line_start_labels")
    @classmethod
    def _known_fields(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return v

    def all_labels(self) -> dict[str, tuple[str, ...]]:
        """Label variants plus misreadings, per field."""
        out: dict[str, tuple[str, ...]] = {}
        for name, variants in self.labels.items():
            out[name] = tuple(dict.fromkeys([*variants, *self.misreadings.get(name, [])]))
        for name in self.misreadings:
            if name not in self.labels:
                raise ValueError(f"config/business_license.yaml: misreadings.{name} has no labels entry")
        return out


@lru_cache(maxsize=4)
def load_config(path: Path = CONFIG_PATH) -> LicenceConfig:
    """Load and validate ``config/business_license.yaml`` (cached)."""
    cfg = LicenceConfig.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    cfg.all_labels()
    return cfg


@lru_cache(maxsize=4)
def _tables(path: Path = CONFIG_PATH) -> _Tables:
    cfg = load_config(path)
    suffix = "|".join(sorted(map(re.escape, cfg.name_suffixes), key=len, reverse=True))
    return _Tables(
        labels=cfg.all_labels(),
        line_start={k: tuple(v) for k, v in cfg.line_start_labels.items()},
        suffix_re=re.compile(rf"({suffix})([（(]?个体工商户[）)])?"),
        type_words=tuple(cfg.company_type_words),
        type_keywords=tuple(cfg.company_type_keywords),
        authority_re=re.compile(
            r"[\u4e00-\u9fff（）()]{2,30}?(?:"
            + "|".join(sorted(map(re.escape, cfg.authority_suffixes), key=len, reverse=True))
            + ")"
        ),
    )


@dataclass(frozen=True)
class _Tables:
    labels: dict[str, tuple[str, ...]]
    line_start: dict[str, tuple[str, ...]]
    suffix_re: re.Pattern[str]
    type_words: tuple[str, ...]
    type_keywords: tuple[str, ...]
    authority_re: re.Pattern[str]


# --- constants --------------------------------------------------------------------------------

_USCC_RUN = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{18,}(?![0-9A-Z])")
MAX_FREE_RUN = 20
"""Away from the label, runs longer than this are other numbers (证照编号 and the like)."""
_NOT_NAME_START = set("型人名称所者代表姓")
_DATE_DIGITS = str.maketrans(
    {"t": "1", "l": "1", "I": "1", "|": "1", "O": "0", "o": "0", "D": "0", "S": "5", "B": "8", "Z": "2"}
)
_LEAD_JUNK = re.compile(r"^[\s:：;；,，.。、|_\-—~'\"“”‘’]+")
_NAME_RUN = re.compile(r"[\u4e00-\u9fff·]{2,5}")
GAP_FACTOR = 3.0
"""A horizontal gap wider than this many line heights ends a value."""
SEGMENT_GAP = 4.0
"""An engine line is cut where two words are more than this many text heights apart."""
ROW_GAP = 25.0
"""Segments further apart than this many text heights are not chained into one row."""


@dataclass
class _Value:
    """A value region: row, compact-text span, and the text."""

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
    value: object
    raw: str
    confidence: float
    bbox: BBox | None
    notes: list[str] = field(default_factory=list)
    engine: str | None = None
    page: int = 0
    region: BBox | None = None
    """Codes: the boxes of the engine words holding the code (the line to re-read)."""
    run: str = ""
    """Codes: the whole run of letters and digits the code was read from."""
    ocr: float | None = None
    """Names: the engine's own confidence in the characters of the value."""
    words: tuple[Word, ...] = ()
    """Addresses: the engine words the value was read from (to re-read them)."""


# --- rows -------------------------------------------------------------------------------------


def _h(b: BBox) -> float:
    return max(1e-4, b[3] - b[1])


def _segments(words: Sequence[Word]) -> list[list[Word]]:
    """Words grouped by the engine's (block, line) ids, each cut at wide gaps."""
    groups: dict[tuple[int, int], list[Word]] = {}
    for w in words:
        if w.text.strip():
            groups.setdefault((w.block, w.line), []).append(w)
    segs: list[list[Word]] = []
    for ws in groups.values():
        ws.sort(key=lambda w: w.bbox[0])
        height = median(_h(w.bbox) for w in ws)
        seg = [ws[0]]
        for w in ws[1:]:
            if w.bbox[0] - seg[-1].bbox[2] > SEGMENT_GAP * height or not _overlaps(seg[-1].bbox, w.bbox, 0.3):
                segs.append(seg)
                seg = [w]
            else:
                seg.append(w)
        segs.append(seg)
    return segs


def _overlaps(a: BBox, b: BBox, share: float = 0.5) -> bool:
    ov = min(a[3], b[3]) - max(a[1], b[1])
    return ov >= share * min(_h(a), _h(b))


def _seg_box(seg: Sequence[Word]) -> BBox:
    return (
        min(w.bbox[0] for w in seg),
        min(w.bbox[1] for w in seg),
        max(w.bbox[2] for w in seg),
        max(w.bbox[3] for w in seg),
    )


STACKED_ASPECT = 1.5
"""A word of two or more Chinese characters whose box (in pixels) is this many times taller than
wide holds its characters one above the other: the detector merged the ends of two letter-spaced
labels on consecutive rows (名 称 / 住 所 read as one box 称所). Horizontal text of two characters
is about half as tall as wide."""


def split_stacked(words: Sequence[Word], size: tuple[float, float] | None) -> list[Word]:
    """``words`` with each vertically stacked word (:data:`STACKED_ASPECT`) cut into one word per
    character, top to bottom, each an equal share of the box. ``size`` is the page's (height,
    width) in pixels; without it the words are returned as they are."""
    if size is None or size[0] <= 0 or size[1] <= 0:
        return list(words)
    out: list[Word] = []
    for w in words:
        text = w.text.strip()
        x0, y0, x1, y1 = w.bbox
        height_px, width_px = (y1 - y0) * size[0], (x1 - x0) * size[1]
        if len(text) < 2 or not all(is_cjk(c) for c in text) or height_px < STACKED_ASPECT * width_px:
            out.append(w)
            continue
        step = (y1 - y0) / len(text)
        for k, c in enumerate(text):
            box = (x0, y0 + k * step, x1, y0 + (k + 1) * step)
            out.append(Word(text=c, bbox=box, confidence=w.confidence, block=w.block, line=w.line))
    return out


def build_rows(words: Sequence[Word], size: tuple[float, float] | None = None) -> list[LineIndex]:
    """Visual rows (top to bottom) of ``words``: segments chained left to right by overlap.
    With the page ``size`` (height, width in pixels), vertically stacked words are cut into their
    characters first (:func:`split_stacked`)."""
    words = split_stacked(words, size)
    segs = _segments(words)
    if not segs:
        return []
    if len({(w.block, w.line) for w in words}) <= 1 and len(words) > 1:
        # no engine line ids: one segment per word, chained geometrically
        segs = [[w] for w in words if w.text.strip()]
    boxes = [_seg_box(s) for s in segs]
    order = sorted(range(len(segs)), key=lambda i: boxes[i][0])
    rows: list[list[int]] = []
    for i in order:
        b = boxes[i]
        best, best_gap = None, None
        for r, row in enumerate(rows):
            last = boxes[row[-1]]
            gap = b[0] - last[2]
            h = min(_h(b), _h(last))
            # an overlap is measured against the narrower box (x and y fractions differ in unit
            # on a tall or wide page: a 1080x2400 screenshot made touching boxes look stacked)
            narrow = min(b[2] - b[0], last[2] - last[0])
            if gap < -0.5 * narrow or gap > ROW_GAP * h or not _overlaps(last, b):
                continue
            if best_gap is None or gap < best_gap:
                best, best_gap = r, gap
        if best is None:
            rows.append([i])
        else:
            rows[best].append(i)
    rows.sort(key=lambda row: ((boxes[row[0]][1] + boxes[row[0]][3]) / 2, boxes[row[0]][0]))
    out: list[LineIndex] = []
    for row in rows:
        ws = [w for i in row for w in segs[i]]
        li = LineIndex.of(Line(words=ws))
        if li.text:
            out.append(li)
    return out


# --- label / value geometry -------------------------------------------------------------------


def _row_height(li: LineIndex) -> float:
    return median(_h(w.bbox) for w in li.line.words)


def _cut_at_gap(li: LineIndex, start: int, end: int) -> int:
    """End of the value: before the first horizontal gap wider than GAP_FACTOR line heights."""
    h = _row_height(li)
    prev_word = li.owner[start] if start < len(li.owner) else None
    for k in range(start + 1, end):
        w = li.owner[k]
        if w != prev_word and prev_word is not None:
            gap = li.line.words[w].bbox[0] - li.line.words[prev_word].bbox[2]
            if gap > GAP_FACTOR * h:
                return k
        prev_word = w
    return end


def _value_right(li: LineIndex, hit: LabelHit, next_start: int, cut: bool = True) -> _Value | None:
    start = hit.end
    m = _LEAD_JUNK.match(li.text[start:next_start])
    if m:
        start += m.end()
    if start >= next_start:
        return None
    end = _cut_at_gap(li, start, next_start) if cut else next_start
    return _Value(li, start, end, hit.errors)


def _value_below(lines: Sequence[LineIndex], hits: Sequence[LabelHit], hit: LabelHit) -> _Value | None:
    """The text under a label whose value is on the next row (starting at or right of the label)."""
    label_li = lines[hit.line_no]
    lb = label_li.bbox_for(hit.start, hit.end)
    if lb is None:
        return None
    h = lb[3] - lb[1]
    for ln_no in range(hit.line_no + 1, min(len(lines), hit.line_no + 3)):
        li = lines[ln_no]
        if li.line.words[0].bbox[1] > lb[3] + 2.5 * h:
            break
        idx = [
            k
            for k, o in enumerate(li.owner)
            if li.line.words[o].bbox[2] > lb[0] - h and li.line.words[o].bbox[0] < lb[2] + 12 * h
        ]
        if not idx:
            continue
        start = idx[0]
        ends = [x.start for x in hits if x.line_no == ln_no and x.start > start]
        end = min(ends) if ends else len(li.text)
        if any(x.line_no == ln_no and x.start <= start < x.end for x in hits):
            return None  # another label sits below: no value
        return _Value(li, start, _cut_at_gap(li, start, end), hit.errors)
    return None


def _next_label_start(hits: Sequence[LabelHit], hit: LabelHit) -> int | None:
    nexts = [x.start for x in hits if x.line_no == hit.line_no and x.start >= hit.end]
    return min(nexts) if nexts else None


def _label_values(
    lines: Sequence[LineIndex], hits: Sequence[LabelHit], name: str, cut: bool = True
) -> list[tuple[LabelHit, _Value]]:
    out: list[tuple[LabelHit, _Value]] = []
    for hit in hits:
        if hit.field != name:
            continue
        li = lines[hit.line_no]
        nxt = _next_label_start(hits, hit)
        v = _value_right(li, hit, len(li.text) if nxt is None else nxt, cut)
        if v is None or not any(is_cjk(c) or c.isalnum() for c in v.text):
            v = _value_below(lines, hits, hit)
        if v is not None:
            out.append((hit, v))
    return out


def _continuation(
    lines: Sequence[LineIndex], hits: Sequence[LabelHit], v: _Value, max_rows: int, max_gap: float
) -> list[_Value]:
    """Rows after ``v`` that continue it: starting in the value's column, no label at their start,
    at most ``max_gap`` row heights below the previous part."""
    vb = v.li.bbox_for(v.start, v.end)
    if vb is None:
        return []
    h = vb[3] - vb[1]
    col_x0, col_x1 = vb[0] - 1.5 * h, max(vb[2], vb[0] + 10 * h)
    last_bottom = vb[3]
    row_no = next(i for i, li in enumerate(lines) if li is v.li)
    out: list[_Value] = []
    for ln_no in range(row_no + 1, len(lines)):
        li = lines[ln_no]
        top = min(w.bbox[1] for w in li.line.words)
        if top > last_bottom + max_gap * h:
            break
        ks = [k for k, o in enumerate(li.owner) if col_x0 <= li.line.words[o].bbox[0] < col_x1]
        row_hits = [x for x in hits if x.line_no == ln_no]
        if not ks:
            if any(x.start == 0 for x in row_hits):
                break  # the next field's label row: what follows is its value (shifted down)
            continue
        start = ks[0]
        # a label at (or right before) the start ends the value
        if any(x.start <= start + 1 and x.end > start for x in row_hits) or any(
            x.end <= start for x in row_hits
        ):
            break
        ends = [x.start for x in row_hits if x.start > start]
        end = _cut_at_gap(li, start, min(ends) if ends else len(li.text))
        out.append(_Value(li, start, end))
        if ends:
            break
        last_bottom = max(w.bbox[3] for w in li.line.words)
        if len(out) >= max_rows:
            break
    return out


def _conf(base: float, v: _Value, start: int | None = None, end: int | None = None) -> float:
    ocr = v.li.confidence_for(v.start if start is None else start, v.end if end is None else end)
    penalty = 0.9**v.label_errors
    return round(max(0.0, min(1.0, base * penalty * (0.5 + 0.5 * ocr))), 3)


# --- per-field value parsers ------------------------------------------------------------------


_SUFFIXLESS = "no company-name suffix found"


def _company_name(v: _Value) -> list[_Found]:
    t = _tables()
    text = v.text[: _notice_cut(v.text)]
    first = next((k for k, c in enumerate(text) if is_cjk(c)), None)
    if first is None:
        return []
    last_suffix = None
    for m in t.suffix_re.finditer(text, first):
        last_suffix = m
    if last_suffix is not None:
        end, base, notes = last_suffix.end(), 0.95, list[str]()
    else:
        keep = [k for k, c in enumerate(text) if is_cjk(c) or c in "()（）"]
        end, base, notes = keep[-1] + 1, 0.5, [_SUFFIXLESS]
    value = normalize_name(text[first:end])
    if value.endswith("个体工商户）") and not value.endswith("（个体工商户）"):
        value = value[: -len("个体工商户）")] + "（个体工商户）"
        notes.append("opening parenthesis restored")
    if re.search(r"[\u4e00-\u9fff][A-Za-z]+[\u4e00-\u9fff]", value):
        base = min(base, 0.4)
        notes.append("Latin letters inside the name: OCR noise likely")
    cjk = sum(1 for c in value if is_cjk(c))
    if cjk < 4 or value.startswith(t.type_words):
        return []
    if value.count("（") != value.count("）"):
        return []  # a parenthesis lost by OCR: the name cannot be restored with certainty
    if last_suffix is None and (cjk < 6 or re.search(r"[A-Za-z0-9]", value)):
        return []  # no suffix and short or mixed with Latin: too likely noise
    a, b = v.start + first, v.start + end
    if _inner_gap(v.li, a, b) > NAME_GAP:
        return []  # part of the name is not read (masked, erased or covered): never guess it
    return [
        _Found(
            "company_name", value, text[first:end], _conf(base, v, a, b), v.li.bbox_for(a, b), notes,
            ocr=v.li.confidence_for(a, b),
        )
    ]  # fmt: skip


def _inner_gap(li: LineIndex, start: int, end: int) -> float:
    """The widest gap between the engine words holding ``li.text[start:end]``, in row heights."""
    owners = sorted({li.owner[k] for k in range(start, min(end, len(li.owner)))})
    h = _row_height(li)
    gaps = [li.line.words[o2].bbox[0] - li.line.words[o1].bbox[2] for o1, o2 in pairwise(owners)]
    return max(gaps, default=0.0) / h


def _legal_representative(v: _Value) -> list[_Found]:
    text = v.text[: _overlay_cut(v.text)]  # 李天锋仅限官网APP展示使用: an overlay glued to the name
    skip = 2 if text.startswith("姓名") else 0
    m = _NAME_RUN.search(text, skip)
    if m is None or m.start() > skip + 2 or len(m.group()) > 4 or m.group()[0] in _NOT_NAME_START:
        return []
    if any(w in m.group() for w in load_config().non_name_words):
        return []
    a, b = v.start + m.start(), v.start + m.end()
    if _inner_gap(v.li, a, b) > NAME_GAP:
        return []
    return [
        _Found(
            "legal_representative", m.group(), m.group(), _conf(0.85, v, a, b), v.li.bbox_for(a, b),
            ocr=v.li.confidence_for(a, b),
        )
    ]  # fmt: skip


def _company_type(v: _Value) -> list[_Found]:
    t = _tables()
    text = v.text
    m = re.match(r"[\u4e00-\u9fff()（）【】\[\]、,，]+", text)
    if m is None:
        return []
    value = m.group()
    lead = min((k for w in t.type_words if (k := value.find(w)) >= 0), default=0)
    if 0 < lead <= 2:
        value = value[lead:]
        text = text[lead:]
        v = _Value(v.li, v.start + lead, v.end, v.label_errors)
    for closer in ("】", "]", "）", ")"):
        if closer in value:
            value = value[: value.rfind(closer) + 1]
            break
    value = value.rstrip("、,，")
    notes: list[str] = []
    if "【" in value and "】" not in value:
        value = value[:-1] + "】" if value.endswith("]") else value + "】"
        notes.append("closing 】 added")
    if "（" in value.replace("(", "（") and not value.replace(")", "）").endswith("）") and "【" not in value:
        opened = value.replace("(", "（").rfind("（")
        if value[opened + 1 :] and all(is_cjk(c) or c in "、," for c in value[opened + 1 :]):
            value = value + "）"
            notes.append("closing parenthesis added")
    if not any(w in value for w in t.type_keywords):
        return []
    a = v.start
    b = min(v.start + len(value), v.end)
    raw = v.text[: b - a]
    value = normalize_name(value)
    if value.count("【") == 1 and value.endswith("】") and value.count("（") > value.count("）"):
        value = value[:-1] + "）】"
        notes.append("closing parenthesis added")
    snapped = snap_type(value)
    if snapped is not None and snapped[0] != value:
        value = snapped[0]
        notes.append(f"matched to the enterprise-type list ({snapped[1]} characters differed)")
    return [
        _Found(
            "company_type", value, raw, _conf(0.8, v, a, b), v.li.bbox_for(a, b), notes,
            ocr=v.li.confidence_for(a, b),
        )
    ]  # fmt: skip


TYPE_SNAP_SHARE = 4
"""A type reading is snapped to a listed type when it differs in at most 1 character per this many
(and in fewer than the next-closest type)."""


@lru_cache(maxsize=1)
def _types() -> tuple[str, ...]:
    data = yaml.safe_load(TYPES_PATH.read_text(encoding="utf-8")) or {}
    types = data.get("types", []) if isinstance(data, dict) else []
    if not isinstance(types, list) or not all(isinstance(x, str) and x.strip() for x in types):
        raise ValueError(f"{TYPES_PATH}: types must be a list of non-empty strings")
    return tuple(normalize_name(x) for x in types)


@lru_cache(maxsize=256)
def snap_type(value: str) -> tuple[str, int] | None:
    """The listed enterprise type (``config/licence_types.yaml``) a reading stands for, with the
    number of differing characters, or None when no listed type is clearly closest. A 法人商事主体【…】
    wrapper is kept and its inside matched."""
    value = normalize_name(value)
    m = re.fullmatch(r"(.*【)(.+?)(】)", value)
    head, inner, tail = (m.group(1), m.group(2), m.group(3)) if m else ("", value, "")
    scored = sorted((edit_distance(inner, t), t) for t in _types())
    if not scored:
        return None
    best_d, best = scored[0]
    second_d = scored[1][0] if len(scored) > 1 else best_d + 99
    if best_d > len(best) // TYPE_SNAP_SHARE or second_d <= best_d:
        return None
    return head + best + tail, best_d


def _date_field(name: str) -> Callable[[_Value], list[_Found]]:
    def parse(v: _Value) -> list[_Found]:
        notes: list[str] = []
        d = parse_date(v.text)
        if d is None:
            d = parse_date(v.text.translate(_DATE_DIGITS))
            notes.append("letters read as digits")
        if d is None:
            return []
        a, b = v.start + d.span[0], v.start + d.span[1]
        base = 0.9
        if d.precision == "month":
            base = 0.4
            notes.append("month precision only: a licence prints the day, OCR likely lost it")
        return [_Found(name, d.iso, d.raw, _conf(base, v, a, b), v.li.bbox_for(a, b), notes)]

    return parse


def _registered_capital(v: _Value) -> list[_Found]:
    text = v.text
    amt = parse_amount(text)
    if amt is None or amt.value <= 0:
        return []
    a, b = v.start + amt.span[0], v.start + amt.span[1]
    notes: list[str] = []
    return [
        _Found(
            "registered_capital", float(amt.value), amt.raw, _conf(0.9, v, a, b), v.li.bbox_for(a, b), notes
        )
    ]


def _validity(v: _Value) -> list[_Found]:
    text = v.text
    out: list[_Found] = []
    rng = find_ranges(text)
    if rng:
        r = rng[0]
        a, b = v.start + r.span[0], v.start + r.span[1]
        conf = _conf(0.9, v, a, b)
        bbox = v.li.bbox_for(a, b)
        if r.start is not None:
            out.append(_Found("validity_start", r.start.iso, r.start.raw, conf, bbox))
        if r.open_end:
            word = next((w for w in OPEN_END_WORDS if w in r.raw), "长期")
            out.append(
                _Found("validity_end", None, r.raw, conf, bbox, ["长期", f"open-ended ({word}): no end date"])
            )
        elif r.end is not None:
            out.append(_Found("validity_end", r.end.iso, r.end.raw, conf, bbox))
        return out
    # no range: an open end alone (至长期 / 长期 / ******), possibly with a start date
    m = re.search("|".join(OPEN_END_WORDS) + r"|[*＊※]{3,}", text)
    if m:
        a, b = v.start + m.start(), v.start + m.end()
        word = m.group() if not m.group().startswith(("*", "＊", "※")) else "******"
        out.append(
            _Found(
                "validity_end", None, m.group(), _conf(0.85, v, a, b), v.li.bbox_for(a, b),
                ["长期", f"open-ended ({word}): no end date"],
            )
        )  # fmt: skip
        dates = [d for d in find_dates(text[: m.start()]) if d.precision == "day"]
        if dates:
            d = dates[0]
            a, b = v.start + d.span[0], v.start + d.span[1]
            out.append(_Found("validity_start", d.iso, d.raw, _conf(0.85, v, a, b), v.li.bbox_for(a, b)))
        return out
    # no range and no open end: a start date right after the label (自2005年12月16日), the end
    # unreadable (2035年00月03日) or another column's text after it
    dates = [d for d in find_dates(text) if d.precision == "day"]
    if dates and dates[0].span[0] <= 2:
        d = dates[0]
        a, b = v.start + d.span[0], v.start + d.span[1]
        out.append(
            _Found(
                "validity_start", d.iso, d.raw, _conf(0.8, v, a, b), v.li.bbox_for(a, b),
                ["end of the 营业期限 not read"],
            )
        )  # fmt: skip
    return out


def _registration_number(v: _Value) -> list[_Found]:
    digits = re.sub(r"[^0-9]", "", v.text.replace("O", "0").replace("o", "0"))
    m = re.search(r"[0-9]{15}", digits)
    if m is None:
        return []
    # prefer a 15-digit window that passes its check digit
    for k in range(0, len(digits) - 14):
        if uscc_mod.is_valid_registration_number(digits[k : k + 15]):
            num = digits[k : k + 15]
            break
    else:
        num = m.group()
    span = _find_span(v.text, num) or (0, len(v.text))
    a, b = v.start + span[0], v.start + span[1]
    raw = v.text[span[0] : span[1]]
    region, run = _word_region(v.li, a, b), v.text
    if uscc_mod.is_valid_registration_number(num):
        return [
            _Found(
                "registration_number", num, raw, _conf(0.9, v, a, b), v.li.bbox_for(a, b),
                region=region, run=run,
            )
        ]  # fmt: skip
    return [
        _Found(
            "registration_number", num, raw, min(0.3, _conf(0.3, v, a, b)), v.li.bbox_for(a, b),
            ["check digit (ISO 7064 MOD 11,10) fails"], region=region, run=run,
        )
    ]  # fmt: skip


def _word_region(li: LineIndex, start: int, end: int) -> BBox | None:
    """The union of the whole engine words holding ``li.text[start:end]``."""
    owners = sorted({li.owner[k] for k in range(start, min(end, len(li.owner)))})
    return _union([li.line.words[o].bbox for o in owners])


def _find_span(text: str, digits: str) -> tuple[int, int] | None:
    """Span of ``digits`` in ``text`` allowing non-digits in between."""
    pat = r"[^0-9]*".join(re.escape(c) for c in digits)
    m = re.search(pat.replace("0", "[0Oo]"), text)
    return (m.start(), m.end()) if m else None


def _address(v: _Value, cont: Sequence[_Value]) -> list[_Found]:
    parts = _address_parts([v, *cont])
    if not parts:
        return []
    text = "".join(p.text for p in parts)
    m = re.search(r"[\u4e00-\u9fff0-9A-Za-z（(]", text)
    if m is None:
        return []
    value = normalize_name(text[m.start() :]).rstrip("，,。;；:：、")
    value = _DIGIT_DASH.sub(r"\1—\2", value)  # 1710一1713室: the dash of a number range read as 一
    cjk = sum(1 for c in value if is_cjk(c))
    if cjk < 5 or value.startswith("的") or not _PLACE.search(value) or re.search(r"[;；]|销售|经营", value):
        return []  # fine print (…住所的醒目位置) or the scope, not an address
    boxes = [b for p in parts if (b := p.li.bbox_for(p.start, p.end)) is not None]
    bbox = _union(boxes)
    confs = [_conf(0.85, p) for p in parts]
    notes = [f"joined {len(parts)} lines"] if len(parts) > 1 else []
    ocr = min(p.li.confidence_for(p.start, p.end) for p in parts)
    words = tuple(p.li.line.words[o] for p in parts for o in sorted(set(p.li.owner[p.start : p.end])))
    return [_Found("address", value, text, round(min(confs), 3), bbox, notes, ocr=ocr, words=words)]


_DIGIT_DASH = re.compile(r"([0-9])一([0-9])")
_NOTICE_ITEM = re.compile(r"^[0-9]{1,2}[.．、][《\u4e00-\u9fff]")
ADDRESS_HEIGHT = (0.55, 1.6)
"""Words of an address are about as tall as its first word; much smaller (fine print, a site name)
or larger (a watermark) text after it is something else. (A long RapidOCR box on a photo taken at
an angle is taller than its text: a continuation line measured 0.65 of it.)"""


def _address_parts(parts: Sequence[_Value]) -> list[_Value]:
    """The address's rows cut where something else starts: an overlay phrase (watermark), an
    item of the old licence's notice column (8.办理注销登记…《企业法人营业执照》…), text of another
    size, or a row without a CJK character or digit (a smudge read as letters)."""
    out: list[_Value] = []
    ref_h: float | None = None
    for p in parts:
        end = p.start + _overlay_cut(p.text)
        k = p.start
        while k < end:
            o = p.li.owner[k]
            word = p.li.line.words[o]
            h = _h(word.bbox)
            ref_h = ref_h if ref_h is not None else h
            if k > p.start or out:
                wt = word.text.strip()
                new_word = k == 0 or p.li.owner[k - 1] != o
                if "《" in wt or "》" in wt or (new_word and _NOTICE_ITEM.match(wt)):
                    end = k
                    break
                if not ADDRESS_HEIGHT[0] * ref_h <= h <= ADDRESS_HEIGHT[1] * ref_h:
                    end = k
                    break
            k += 1
        if end > p.start:
            cut = _Value(p.li, p.start, end, p.label_errors)
            if out and not re.search(r"[\u4e00-\u9fff0-9]", cut.text):
                break
            out.append(cut)
        if end < p.end:
            break
    return out


def _notice_cut(text: str) -> int:
    """Where the old licence's notice column (7.《企业法人营业执照》被吊销后…), or an overlay, starts
    in a value that OCR ran into it, else the length of ``text``."""
    m = re.search(r"[0-9]{1,2}[.．、]?[《\u4e00-\u9fff]*《|《", text)
    return min(m.start() if m else len(text), _overlay_cut(text))


def _overlay_cut(text: str) -> int:
    """Where an overlay phrase (``config/licence_overlays.yaml``) starts in ``text``, else its length."""
    upper = text.upper()
    starts = [k for ph in _overlays() if (k := upper.find(ph)) >= 0]
    return min(starts, default=len(text))


@lru_cache(maxsize=1)
def _overlays() -> tuple[str, ...]:
    data = yaml.safe_load(OVERLAYS_PATH.read_text(encoding="utf-8")) or {}
    phrases = data.get("phrases", []) if isinstance(data, dict) else []
    if not isinstance(phrases, list) or not all(isinstance(x, str) and x.strip() for x in phrases):
        raise ValueError(f"{OVERLAYS_PATH}: phrases must be a list of non-empty strings")
    return tuple(x.strip().upper() for x in phrases)


_PLACE = re.compile(r"[省市县区镇乡村路街道巷号楼室幢栋弄里园]")


def _business_scope(v: _Value, cont: Sequence[_Value]) -> list[_Found]:
    parts = [v, *cont]
    text = "".join(p.text for p in parts)
    value = normalize_name(text).lstrip(":：")
    if sum(1 for c in value if is_cjk(c)) < 4:
        return []
    value = value.replace("(", "（").replace(")", "）").replace(":", "：").replace(";", "；")
    value = _SCOPE_COLON.sub("；", value)
    boxes = [b for p in parts if (b := p.li.bbox_for(p.start, p.end)) is not None]
    confs = [_conf(0.85, p) for p in parts]
    notes = [f"joined {len(parts)} lines"] if len(parts) > 1 else []
    return [_Found("business_scope", value, text, round(min(confs), 3), _union(boxes), notes)]


_SCOPE_COLON = re.compile(r"(?<!项目)(?<!是)(?<!范围)(?<!\d)：")
"""In the scope a colon only follows a heading (一般项目： / 许可项目： / 一般经营项目是：); any other
colon is an OCR reading of the item separator ；."""


def _union(boxes: Sequence[BBox]) -> BBox | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _registration_authority(v: _Value) -> list[_Found]:
    m = _tables().authority_re.match(v.text)
    if m is None:
        return []
    value = normalize_name(m.group())
    if not re.search(r"[省市县区州盟旗]", value):
        return []
    a, b = v.start, v.start + m.end()
    return [_Found("registration_authority", value, m.group(), _conf(0.85, v, a, b), v.li.bbox_for(a, b))]


def _issue_date(lines: Sequence[LineIndex], hit: LabelHit) -> list[_Found]:
    """The date printed under (or right of) the 登记机关 label, often half under the seal."""
    li = lines[hit.line_no]
    lb = li.bbox_for(hit.start, hit.end)
    if lb is None:
        return []
    h = lb[3] - lb[1]
    best: tuple[float, _Found] | None = None
    for ln_no in range(hit.line_no, min(len(lines), hit.line_no + 8)):
        row = lines[ln_no]
        top = min(w.bbox[1] for w in row.line.words)
        if top > lb[3] + 7 * h:
            break
        start = hit.end if ln_no == hit.line_no else 0
        for d in find_dates(row.text[start:]) or find_dates(row.text[start:].translate(_DATE_DIGITS)):
            if d.precision != "day":
                continue
            a, b = start + d.span[0], start + d.span[1]
            db = row.bbox_for(a, b)
            if db is None or db[2] < lb[0] - 3 * h or db[0] > lb[2] + 20 * h:
                continue
            dist = abs(db[1] - lb[1]) + 0.2 * abs(db[0] - lb[0])
            f = _Found("issue_date", d.iso, d.raw, _conf(0.85, _Value(row, a, b)), db)
            if best is None or dist < best[0]:
                best = (dist, f)
    return [best[1]] if best else []


# --- credit code ------------------------------------------------------------------------------


def _uscc_candidates(li: LineIndex, near_label: bool, label_errors: int, exact: bool) -> list[_Found]:
    """Every 18-character run on a row, validated or (on OCR pages) repaired."""
    upper = li.text.upper()
    out: list[_Found] = []
    for m in _USCC_RUN.finditer(upper):
        run = m.group()
        starts = range(len(run) - 17) if near_label or len(run) <= MAX_FREE_RUN else []
        for off in starts:
            raw = run[off : off + 18]
            a, b = m.start() + off, m.start() + off + 18
            v = _Value(li, a, b, label_errors)
            repaired: tuple[str, list[str], float] | None = None
            if exact:
                if uscc_mod.is_valid(raw):
                    repaired = (raw, [], uscc_mod.CONFIDENCE_VALID)
            else:
                repaired = uscc_mod.best_repair(raw)
            if repaired is not None:
                code, notes, conf = repaired
                base = conf if near_label else conf * 0.85
                out.append(
                    _Found(
                        "uscc", code, li.text[a:b], _conf(base, v), li.bbox_for(a, b), list(notes),
                        region=_word_region(li, a, b), run=run,
                    )
                )  # fmt: skip
            elif len(run) == 18 and (
                near_label or (raw[:1] in uscc_mod.AUTHORITY_CHARS and raw[2:8].isdigit())
            ):
                try:
                    uscc_mod.validate(raw)
                    reason = "invalid"
                except uscc_mod.UsccError as e:
                    reason = e.code
                note = f"not a valid USCC ({reason})" + ("" if exact else "; no unique repair")
                out.append(
                    _Found(
                        "uscc", raw, li.text[a:b], min(0.3, _conf(0.3, v)), li.bbox_for(a, b), [note],
                        region=_word_region(li, a, b), run=run,
                    )
                )  # fmt: skip
    return out


def _find_uscc(lines: Sequence[LineIndex], hits: Sequence[LabelHit], exact: bool) -> list[_Found]:
    label_lines = {h.line_no: h for h in hits if h.field == "uscc"}
    out: list[_Found] = []
    for ln_no, li in enumerate(lines):
        near = label_lines.get(ln_no)
        if near is None and ln_no - 1 in label_lines:
            near = label_lines[ln_no - 1]
        out.extend(_uscc_candidates(li, near is not None, near.errors if near else 0, exact))
    return out


# --- one reading of a page --------------------------------------------------------------------

_SIMPLE: dict[str, Callable[[_Value], list[_Found]]] = {
    "company_name": _company_name,
    "company_type": _company_type,
    "legal_representative": _legal_representative,
    "established_date": _date_field("established_date"),
    "registration_number": _registration_number,
    "registered_capital": _registered_capital,
    "validity_period": _validity,
    "registration_authority": _registration_authority,
}


def _find_hits(lines: Sequence[LineIndex]) -> list[LabelHit]:
    t = _tables()
    hits = [h for h in find_labels(lines, t.labels, max_errors=1) if not _quoted(lines, h)]
    starts = find_labels(lines, t.line_start, max_errors=0)
    return sorted(
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


def _quoted(lines: Sequence[LineIndex], hit: LabelHit) -> bool:
    """A label word mentioned in a sentence, not a label: in parentheses (…由张三（法定代表人）留存…),
    in an enumeration (…经营范围、经营场所、投资人信息…) or followed by 的 (…置于住所的醒目位置)."""
    text = lines[hit.line_no].text
    before = text[hit.start - 1] if hit.start > 0 else ""
    after = text[hit.end : hit.end + 1]
    if before in ("(", "（") and after in (")", "）"):
        return True
    return before == "、" or after in ("、", "的")


def read_fields(
    words: Sequence[Word], *, exact: bool = False, size: tuple[float, float] | None = None
) -> list[_Found]:
    """Every candidate field value on one reading of a page (``exact``: text layer, no repairs;
    ``size``: the page's (height, width) in pixels, see :func:`build_rows`)."""
    lines = build_rows(words, size)
    hits = _find_hits(lines)
    found: list[_Found] = list(_find_uscc(lines, hits, exact))
    for name, parser in _SIMPLE.items():
        for hit, v in _label_values(lines, hits, name):
            got = parser(v)
            if not got and v.li is lines[hit.line_no]:
                # the text right of the label is something else (the notice column of an old
                # licence, a watermark): the value may be printed under the label instead
                below = _value_below(lines, hits, hit)
                got = parser(below) if below is not None else []
            found.extend(got)
    for hit, v in _label_values(lines, hits, "address"):
        got = _address(v, _continuation(lines, hits, v, max_rows=2, max_gap=1.2))
        if not got and v.li is lines[hit.line_no]:
            # as above: the notice column runs on the label's row, the address is printed under it
            below = _value_below(lines, hits, hit)
            if below is not None:
                got = _address(below, _continuation(lines, hits, below, max_rows=2, max_gap=1.2))
        found.extend(got)
    for _hit, v in _label_values(lines, hits, "business_scope"):
        found.extend(_business_scope(v, _continuation(lines, hits, v, max_rows=12, max_gap=1.2)))
    for hit in hits:
        if hit.field == "registration_authority":
            found.extend(_issue_date(lines, hit))
    if not any(f.name == "company_name" for f in found):
        found.extend(_name_unlabelled(lines, hits))
    if not any(f.name == "company_type" for f in found):
        found.extend(_type_from_title(lines) or _type_unlabelled(lines, hits))
    return found


def _name_unlabelled(lines: Sequence[LineIndex], hits: Sequence[LabelHit]) -> list[_Found]:
    """A name after a 名称 label that OCR garbled beyond matching (住称所: the letter-spaced labels of
    two rows read into one): a row starting with at most three characters holding 名 or 称 and no
    other label, then a name with a company-name suffix and no digits. Only when no labelled name
    was found."""
    for row, li in enumerate(lines):
        if any(h.line_no == row and h.start <= 3 for h in hits):
            continue  # 名住所郑州市…: the row is another label's (the name line was not read)
        head = li.text[:3]
        k = max(head.find("称"), head.find("名"))
        if k < 0 or not is_cjk(li.text[k + 1 : k + 2] or " "):
            continue
        start = k + 1
        while start < min(3, len(li.text)) and li.text[start] in "名称住所":
            start += 1
        for f in _company_name(_Value(li, start, len(li.text))):
            if _SUFFIXLESS not in f.notes and not re.search(r"[0-9]", str(f.value)):
                f.notes.append("名称 label not read exactly")
                f.confidence = round(f.confidence * 0.9, 3)
                return [f]
    return []


def _type_unlabelled(lines: Sequence[LineIndex], hits: Sequence[LabelHit]) -> list[_Found]:
    """A listed type right after a 类型 label that OCR garbled beyond matching (类住型: a character of
    the 住所 label below slipped in): the row starts with at most three characters holding 类 or 型,
    then a type word, and the value matches the enterprise-type list."""
    t = _tables()
    for row, li in enumerate(lines):
        if any(h.line_no == row and h.start <= 3 for h in hits):
            continue
        for word in t.type_words:
            k = li.text.find(word)
            if not 0 < k <= 3 or not ({"类", "型"} & set(li.text[:k])):
                continue
            for f in _company_type(_Value(li, k, len(li.text))):
                if f.value in _types() or snap_type(str(f.value)) is not None:
                    f.notes.append("类型 label not read exactly")
                    f.confidence = round(f.confidence * 0.9, 3)
                    return [f]
    return []


def _type_from_title(lines: Sequence[LineIndex]) -> list[_Found]:
    """The old 个体工商户营业执照 prints no 类型 (only 组成形式 个人经营): its title gives the type."""
    for li in lines[:8]:
        k = li.text.find("个体工商户营业执照")
        if k >= 0:
            v = _Value(li, k, k + 5)
            return [
                _Found(
                    "company_type",
                    "个体工商户",
                    v.text,
                    _conf(0.8, v),
                    li.bbox_for(k, k + 5),
                    ["from the title"],
                )
            ]
    return []


# --- choosing among readings ------------------------------------------------------------------


def _key(value: object) -> str:
    return normalize_name(str(value)) if value is not None else ""


def _best_per_field(cands: Sequence[_Found]) -> dict[str, _Found]:
    """One value per field: check-digit-valid codes first, then agreement, then confidence."""
    by_field: dict[str, list[_Found]] = {}
    for f in cands:
        by_field.setdefault(f.name, []).append(f)
    out: dict[str, _Found] = {}
    for name, fs in by_field.items():
        groups: dict[str, list[_Found]] = {}
        for f in fs:
            groups.setdefault(_key(f.value), []).append(f)

        def score(item: tuple[str, list[_Found]], name: str = name) -> tuple[float, ...]:
            members = item[1]
            engines = {m.engine for m in members}
            top = max(m.confidence * ENGINE_WEIGHT.get(engine_family(m.engine), 1.0) for m in members)
            valid = 1.0 if name == "uscc" and not any("not a valid" in n for n in members[0].notes) else 0.0
            return (valid, top + 0.1 * (len(engines) - 1), len(members))

        _k, members = max(groups.items(), key=score)
        best = max(members, key=lambda m: m.confidence)
        engines = {m.engine for m in members if m.engine}
        if len(engines) > 1:
            best = _Found(
                best.name, best.value, best.raw, round(min(1.0, best.confidence + 0.1), 3), best.bbox,
                [*best.notes, "read alike by " + " and ".join(sorted(e.split(" ")[0] for e in engines))],
                best.engine, best.page,
            )  # fmt: skip
        others = [g for g in groups if g != _k]
        if others and len({m.engine for m in fs}) > 1 and name != "uscc":
            best = replace(best, notes=[*best.notes, "the other engine read a different value"])
        out[name] = best
    return out


def _needs_second_reading(best: dict[str, _Found]) -> bool:
    code = best.get("uscc") or best.get("registration_number")
    if code is None or code.confidence < WEAK or any("not a valid" in n or "fails" in n for n in code.notes):
        return True
    if any(best.get(n) is None or best[n].confidence < WEAK for n in KEY_FIELDS):
        return True
    # the rest of a complete licence: one missing field is worth a second reading too
    return any(best.get(n) is None for n in SECONDARY_FIELDS)


def _page_candidates(page: PageContent, reread: bool) -> list[_Found]:
    exact = page.info.text_source == "text_layer"
    size = None if exact else _image_size(page)
    cands = read_fields(page.words, exact=exact, size=size)
    for f in cands:
        f.engine, f.page = page.info.engine, page.index
    if reread and not exact and _needs_second_reading(_best_per_field(cands)):
        other = other_engine_for(page)
        got = reread_page(page, other) if other else None
        if got is not None:
            engine_name, words = got
            more = read_fields(words, size=size)
            for f in more:
                f.engine, f.page = engine_name, page.index
            cands.extend(more)
    if reread and not exact:
        cands.extend(_reread_code(page, cands))
        cands.extend(_confirm_names(page, cands))
        if not any(f.name == "company_name" and _SUFFIXLESS not in f.notes for f in cands):
            cands.extend(_reread_name(page, cands))
        if not any(f.name == "established_date" for f in cands):
            cands.extend(_reread_date(page, "established_date"))
        cands.extend(_recheck_dates(page, cands))
        cands.extend(_recheck_address(page, cands))
    return cands


ADDRESS_REREAD_MAX_CHANGES = 2
"""An address line re-read from its crop may correct at most this many characters."""
ADDRESS_REREAD_BELOW = 0.98
"""Only address lines RapidOCR read with less confidence than this are re-read (clean scans read
at 0.98-1.0; the line with 永 misread as 水 at 0.96)."""


def _recheck_address(page: PageContent, cands: Sequence[_Found]) -> list[_Found]:
    """Each engine line of the address is read again from its crop (three scales): the full-page
    reading is made at a reduced scale and misreads a character now and then (永→水). When all
    re-readings agree on a text of the same length that differs in at most
    :data:`ADDRESS_REREAD_MAX_CHANGES` characters, those characters are corrected in the address."""
    best = _best_per_field(cands)
    f = best.get("address")
    if f is None or not f.words or engine_family(f.engine) != engine_family(LINE_ENGINE_NAME):
        return []
    if f.ocr is not None and f.ocr < CERTAIN_OCR["rapidocr"]:
        return []  # not reported anyway (see _certain)
    value = str(f.value)
    changed: list[str] = []
    for word in f.words:
        if word.confidence >= ADDRESS_REREAD_BELOW:
            continue
        old = normalize_name(word.text)
        readings = reread_line(page, word.bbox, colours=False)
        texts = {normalize_name(r.text) for r in readings if r.confidence >= CERTAIN_OCR["rapidocr"]}
        if (
            len(readings) < 2
            or len(texts) != 1
            or len(readings) != sum(1 for r in readings if r.confidence >= CERTAIN_OCR["rapidocr"])
        ):
            continue
        new = texts.pop()
        diffs = [k for k, (a, b) in enumerate(zip(old, new, strict=False)) if a != b]
        if len(new) != len(old) or not diffs or len(diffs) > ADDRESS_REREAD_MAX_CHANGES:
            continue
        for k in diffs:
            a, b = max(0, k - 3), min(len(old), k + 4)
            if value.count(old[a:b]) == 1:
                value = value.replace(old[a:b], new[a:b])
                changed.append(f"{old[k]}→{new[k]}")
    if not changed:
        return []
    return [
        _Found(
            "address", value, f.raw, round(min(1.0, f.confidence + 0.05), 3), f.bbox,
            [*f.notes, "re-read from its crop: " + ", ".join(changed)], LINE_ENGINE_NAME, page.index,
            ocr=f.ocr,
        )
    ]  # fmt: skip


_UNEVEN_DATE = re.compile(r"[0-9]{4}\s*年\s*(?:[1-9]\s*月\s*0[1-9]|0[1-9]\s*月\s*[1-9])\s*日")
"""A date printed with a zero-padded month and an unpadded day or the other way round: licences
pad both or neither, so a digit was lost (2020年1月03日 for 2020年11月03日 under a seal)."""
RECHECKED_DATES = ("established_date", "issue_date")


def _recheck_dates(page: PageContent, cands: Sequence[_Found]) -> list[_Found]:
    """Dates whose digits look lost (:data:`_UNEVEN_DATE`) are re-read from their crop; a date that
    two thirds of the readings agree on replaces them."""
    best = _best_per_field(cands)
    out: list[_Found] = []
    for name in RECHECKED_DATES:
        f = best.get(name)
        if f is None or f.bbox is None or not _UNEVEN_DATE.search(f.raw):
            continue
        votes: dict[str, int] = {}
        readings = reread_line(page, f.bbox)
        for r in readings:
            d = parse_date(r.text)
            if d is not None and d.precision == "day":
                votes[d.iso] = votes.get(d.iso, 0) + 1
        if not votes:
            continue
        iso, n = max(votes.items(), key=lambda kv: kv[1])
        if iso == f.value or 3 * n < 2 * len(readings):
            continue
        out.append(
            _Found(
                name, iso, f.raw, round(min(1.0, f.confidence + 0.1), 3), f.bbox,
                [f"re-read: {n} of {len(readings)} readings give {iso} (printed digits looked lost)"],
                LINE_ENGINE_NAME, page.index,
            )
        )  # fmt: skip
    return out


DATE_CROP_WIDTH = 14.0
"""A date right of its label is re-read from a crop this many label heights wide."""


def _reread_date(page: PageContent, name: str) -> list[_Found]:
    """A date label with no date read next to it (a watermark over the value): the strip right of
    the label is re-read (three scales); the day-precision date most of the readings give is taken
    when at least two agree."""
    image_size = _image_size(page)
    if image_size is None:
        return []
    lines = build_rows(page.words, image_size)
    hits = _find_hits(lines)
    out: list[_Found] = []
    for hit in hits:
        if hit.field != name:
            continue
        lb = lines[hit.line_no].bbox_for(hit.start, hit.end)
        if lb is None:
            continue
        h = lb[3] - lb[1]
        width = DATE_CROP_WIDTH * h * image_size[0] / image_size[1]  # label heights in x fractions
        box = (lb[2], lb[1], min(1.0, lb[2] + width), lb[3])
        votes: dict[str, list[str]] = {}
        for r in reread_line(page, box, colours=False):
            d = parse_date(r.text)
            if d is not None and d.precision == "day":
                votes.setdefault(d.iso, []).append(d.raw)
        if not votes:
            continue
        iso, raws = max(votes.items(), key=lambda kv: len(kv[1]))
        if len(raws) < 2 or sum(len(v) for v in votes.values()) > 2 * len(raws):
            continue
        out.append(
            _Found(
                name, iso, raws[0], 0.7, box, [f"re-read right of its label ({len(raws)} readings agree)"],
                LINE_ENGINE_NAME, page.index,
            )
        )  # fmt: skip
    return out


def _image_size(page: PageContent) -> tuple[float, float] | None:
    """(height, width) of the page image in pixels, from the page info or the image."""
    if page.info.width > 0 and page.info.height > 0:
        return page.info.height, page.info.width
    try:
        image = page.get_image()
    except Exception:  # a page that cannot be rendered has no size to tell
        return None
    if image is None or image.ndim < 2 or not image.shape[0] or not image.shape[1]:
        return None
    return float(image.shape[0]), float(image.shape[1])


NAME_CROP_WIDTH = 30.0
"""A name missing beside its 名称 label is re-read from a strip at most this many label heights
wide (less where the next text on the row starts)."""
NAME_REREAD_SHARE = 2 / 3
"""A name found only by re-reading the strip right of its label must be read character for
character alike by at least this share of all the readings (crops x scales x colour variants)."""
NAME_CROP_SHIFTS = (0.0, -0.15, 0.15)
"""The strip is cut three times, shifted up and down by these shares of the label height: one
crop of faint print read at a few scales can agree with itself on a wrong name (a 1-pixel shift
turned 4 of 6 readings of a blurred name into 厂西天下民饮目术…); readings pooled over shifted
crops only agree on what is printed."""
NAME_HEIGHTS = (48, 64)
"""Scales of the strip re-reads: the recogniser's own height and above (at 32 px faint strokes of
small print vanish: 息 read as 愿)."""


def _reread_name(page: PageContent, cands: Sequence[_Found]) -> list[_Found]:
    """A 名称 label with no name read beside or below it by either engine (faint print crossed by
    handwriting: the page's text detection missed the line): the strip right of the label, up to
    the next text on the row, is cut three times (:data:`NAME_CROP_SHIFTS`) and each crop read at
    two scales as colour / red / sharpened (18 recogniser reads, ~0.5-1 s; 6 when no reading of the
    centred crop holds a name at all). A name is taken only with corroboration a reviewer can
    check:

    - it ends with a company-name suffix, and its legal form agrees with the 类型 read on the page
      (…股份有限公司 for a 股份有限公司 type, …有限公司 for 有限责任公司, …分公司 for a branch);
    - at least :data:`NAME_REREAD_SHARE` of all the readings give it character for character,
      each not weak on the name's own characters (mean character score at least :data:`WEAK`; the
      text after the name, handwriting here, is not counted);
    - those readings together are certain: the mean score of the name's characters over all of
      them reaches ``CERTAIN_OCR["rapidocr"]``, the bar a page reading of a name must clear.

    Agreement alone is not enough: crops of a blurred name shifted by a pixel agreed 17 of 18 times
    on a wrong name (…屏饮目水…, character score 0.82); nor is the score alone. Where the readings
    disagree or are unsure, nothing is taken. (On the faint, hand-crossed name this was made for,
    the decision holds for the OCR box as read but not for every 1-2 pixel shift of it: it may
    then be left out, never replaced by another name.)"""
    size = _image_size(page)
    company_type = _best_per_field(cands).get("company_type")
    if size is None or company_type is None:
        return []
    lines = build_rows(page.words, size)
    hits = _find_hits(lines)
    for hit in hits:
        if hit.field != "company_name":
            continue
        li = lines[hit.line_no]
        lb = li.bbox_for(hit.end - 1, hit.end)  # the label's last character
        if lb is None:
            continue
        h = lb[3] - lb[1]
        right = [w.bbox[0] for w in li.line.words if w.bbox[0] >= lb[2] - 1e-6 and w.bbox != lb]
        x_end = min([*right, lb[2] + NAME_CROP_WIDTH * h * size[0] / size[1], 1.0])
        if x_end - lb[2] < 4 * h * size[0] / size[1]:
            continue  # no room for a name before the next text
        readings: list[LineReading] = []
        for shift in NAME_CROP_SHIFTS:
            box = (lb[2], lb[1] + shift * h, x_end, lb[3] + shift * h)
            readings.extend(reread_line(page, box, heights=NAME_HEIGHTS, pad_x=0.0))
            if not any(_name_span(r.text) for r in readings):
                break  # not one reading of the centred crop holds a name (a redacted value): stop
        votes: dict[str, list[tuple[float, str]]] = {}
        for r in readings:
            span = _name_span(r.text)
            if span is None:
                continue
            conf = r.span_confidence(*span)
            if conf >= WEAK:
                value = normalize_name(r.text[span[0] : span[1]])
                votes.setdefault(value, []).append((conf, r.variant))
        if not votes:
            continue
        value, got = max(votes.items(), key=lambda kv: len(kv[1]))
        ocr = round(sum(c for c, _v in got) / len(got), 3)
        if len(got) < NAME_REREAD_SHARE * len(readings) or ocr < CERTAIN_OCR["rapidocr"]:
            continue
        if not legal_form_agrees(value, str(company_type.value)):
            continue
        note = (
            f"no name read beside the label on the page: re-read from the strip right of it, {len(got)} "
            f"of {len(readings)} readings give this name (mean character score {ocr}); its legal form "
            "agrees with the 类型"
        )
        return [
            _Found(
                "company_name", value, value, 0.7, (lb[2], lb[1], x_end, lb[3]), [note], LINE_ENGINE_NAME,
                page.index, ocr=ocr,
            )
        ]  # fmt: skip
    return []


def _name_span(text: str) -> tuple[int, int] | None:
    """Where a company name is in a re-read strip right of its label: from the first Chinese
    character (a label character the crop caught is skipped) to the end of the last company-name
    suffix, every character Chinese or a parenthesis; None when there is no such name."""
    start = 0
    while start < len(text) and (text[start] in _LABEL_TAIL or not is_cjk(text[start])):
        start += 1
    last = None
    for m in _tables().suffix_re.finditer(text, start):
        last = m
    if last is None:
        return None
    value = text[start : last.end()]
    if not all(is_cjk(c) or c in "（）()·" for c in value) or sum(map(is_cjk, value)) < 4:
        return None
    if value.startswith(_tables().type_words) or value.count("（") + value.count("(") != value.count(
        "）"
    ) + value.count(")"):
        return None
    return start, last.end()


def legal_form_agrees(name: str, company_type: str) -> bool:
    """Whether a company name's legal form agrees with the 类型 printed on the same licence: a
    branch type needs …分公司, a 股份有限公司 type …股份有限公司, a 有限责任公司 type …有限公司 (or
    …有限责任公司, not …股份有限公司). Other types (个体工商户, 合伙企业, …) say nothing about the
    name and agree.

    >>> legal_form_agrees("武汉某某技术股份有限公司", "股份有限公司（中外合资、上市）")
    True
    >>> legal_form_agrees("武汉某某技术股份有限公司", "有限责任公司（自然人投资或控股）")
    False
    """
    name, kind = normalize_name(name), normalize_name(company_type)
    if "分公司" in kind:
        return name.endswith("分公司")
    if "股份有限公司" in kind:
        return name.endswith("股份有限公司")
    if "有限责任公司" in kind:
        return name.endswith(("有限公司", "有限责任公司")) and not name.endswith("股份有限公司")
    return True


def _confirm_names(page: PageContent, cands: Sequence[_Found]) -> list[_Found]:
    """A company name or representative read with little confidence, or read by
    Tesseract alone (it misreads more Chinese characters: 祥→样), is read again from its crop by
    RapidOCR (three scales x colour / red / sharpened). The value most of the confident
    re-readings give (at least two thirds of them) confirms the reading or replaces it; the
    same value then counts as certain (see ``_certain``)."""
    best = _best_per_field(cands)
    out: list[_Found] = []
    line_family = engine_family(LINE_ENGINE_NAME)
    for name in ("company_name", "legal_representative"):  # an address's box may not hold all of it
        f = best.get(name)
        if f is None or f.bbox is None:
            continue
        same = [g for g in cands if g.name == name and _key(g.value) == _key(f.value)]
        rapid_read = any(engine_family(g.engine) == line_family for g in same)
        if _certain(f, cands) and rapid_read:
            continue
        readings = reread_line(page, f.bbox)
        values: dict[str, list[float]] = {}
        for r in readings:
            if r.confidence < CERTAIN_OCR[line_family]:
                continue
            value = _value_from_line(name, r.text)
            if value is not None:
                values.setdefault(value, []).append(r.confidence)
        if not values:
            continue
        value, confs = max(values.items(), key=lambda kv: len(kv[1]))
        if 3 * len(confs) < 2 * len(readings):
            continue
        note = f"re-read from its crop: {len(confs)} of {len(readings)} readings"
        conf = f.confidence if value == _key(f.value) else round(min(1.0, f.confidence + 0.05), 3)
        out.append(
            _Found(
                name, value, value, conf, f.bbox, [note], LINE_ENGINE_NAME, page.index,
                ocr=round(sum(confs) / len(confs), 3),
            )
        )  # fmt: skip
    return out


_LABEL_TAIL = "名称人者姓:：、 "


def _value_from_line(name: str, text: str) -> str | None:
    """The value in a re-read crop of a value (the crop may hold a character of its label), in the
    form the field's parser gives; None when the re-reading does not look like one."""
    text = normalize_name(text).lstrip(_LABEL_TAIL)
    if name == "legal_representative":
        m = _NAME_RUN.fullmatch(text)
        return m.group() if m and 2 <= len(m.group()) <= 4 else None
    last = None
    for m in _tables().suffix_re.finditer(text):
        last = m
    if last is None or last.end() < len(text) - 1:
        return None
    value = text[: last.end()]
    return value if all(is_cjk(c) or c in "（）·" for c in value) and len(value) >= 4 else None


def _code_in_doubt(f: _Found | None) -> bool:
    return f is None or f.confidence < WEAK or any("not a valid" in n or "fails" in n for n in f.notes)


def _reread_code(page: PageContent, cands: Sequence[_Found]) -> list[_Found]:
    """When the credit code (or 注册号) read on the page fails its check digit or needed a guessed
    repair, read its line again from the image (several crops, see ``licence_reread.reread_line``)
    and take the valid code best supported by all readings (``uscc.consensus``)."""
    best = _best_per_field(cands)
    codes = [best[n] for n in ("uscc", "registration_number") if n in best]
    if codes and not _code_in_doubt(max(codes, key=lambda f: f.confidence)):
        return []
    out: list[_Found] = []
    for name, kind in (("uscc", uscc_mod.USCC_KIND), ("registration_number", uscc_mod.REGISTRATION_KIND)):
        doubtful = sorted(
            (f for f in cands if f.name == name and f.region is not None and _code_in_doubt(f)),
            key=lambda f: -f.confidence,
        )
        done: list[BBox] = []
        for f in doubtful:
            region = f.region
            assert region is not None
            if any(_overlaps(region, d, 0.5) for d in done) or len(done) >= MAX_CODE_REREADS:
                continue
            done.append(region)
            readings = reread_line(page, region)
            same_line = [g.run for g in cands if g.name == name and g.region and _overlaps(g.region, region)]
            texts = [*same_line, *(r.text for r in readings)]
            got = uscc_mod.consensus(texts, kind)
            if got is None:
                continue
            code, dist, second = got
            if dist > CONSENSUS_MAX_DISTANCE * len(texts):
                continue
            note = f"re-read from the code line: of {len(texts)} readings, the valid code closest to all"
            note += f" ({dist} edits in all, next best {second})"
            out.append(
                _Found(
                    name, code, f.raw, CONSENSUS_CONFIDENCE if dist <= len(texts) else CONSENSUS_FAR, f.bbox,
                    [note],
                    LINE_ENGINE_NAME, page.index, region, code,
                )
            )  # fmt: skip
    return out


def _certain_ocr(f: _Found) -> float:
    family = engine_family(f.engine)
    return CERTAIN_OCR_FIELD.get((family, f.name), CERTAIN_OCR[family])


def _certain(best: _Found, cands: Sequence[_Found]) -> bool:
    """Whether a name is read with certainty: one reading of it is confident for its engine, or
    both engines read it alike. Values with no engine confidence (text layer) are certain."""
    same = [f for f in cands if f.name == best.name and _key(f.value) == _key(best.value)]
    if any(f.ocr is None or engine_family(f.engine) not in CERTAIN_OCR for f in same):
        return True
    if any(f.ocr is not None and f.ocr >= _certain_ocr(f) for f in same):
        return True
    return len({engine_family(f.engine) for f in same}) > 1


SAME_DAY_FIELDS = ("established_date", "validity_start")
"""Two dates a licence prints for the same day as a rule: the 营业期限 starts on the day the
company was founded (a later re-registration starts it years later: 2001-08-09 / 2005-12-16)."""


def one_digit_apart(a: str, b: str) -> bool:
    """Whether two ISO dates differ in exactly one digit (2015-03-04 / 2015-05-04)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def _conflicting_dates(best: dict[str, _Found], cands: Sequence[_Found]) -> list[str]:
    """The :data:`SAME_DAY_FIELDS` not to report: when the chosen 成立日期 and any reading of the
    营业期限 start (or the other way round) differ in exactly one digit, one of the two was misread
    (3/5, 6/8 on a blurred photo, read alike by every crop) and nothing on the page tells which:
    neither is reported rather than possibly the wrong one. Dates that differ in more digits are
    different days and both stay."""
    out: list[str] = []
    for name, other in (SAME_DAY_FIELDS, SAME_DAY_FIELDS[::-1]):
        f = best.get(name)
        if f is None or not isinstance(f.value, str):
            continue
        readings = {g.value for g in cands if g.name == other and isinstance(g.value, str)}
        if any(one_digit_apart(f.value, r) for r in readings):
            out.append(name)
    return out


def extract_business_license(doc: DocumentContent, *, reread: bool | None = None) -> list[ExtractedField]:
    """The licence fields found in ``doc``: at most one value per field, the best supported.

    ``reread`` (default: on unless ``EVIDENCE_LICENCE_REREAD=0``) lets OCR pages with a missing or
    weak key field be read again by the other OCR engine."""
    if reread is None:
        reread = reread_enabled()
    cands: list[_Found] = []
    for page in doc.pages:
        try:
            cands.extend(_page_candidates(page, reread))
        except (ValueError, IndexError, TypeError):  # junk geometry must not lose the other pages
            continue
    best = _best_per_field(cands)
    if "uscc" in best and "registration_number" in best:
        # a licence carries one or the other; keep the better-supported one
        loser = min(("uscc", "registration_number"), key=lambda n: best[n].confidence)
        del best[loser]
    for name in UNCERTAIN_FIELDS:
        if name in best and not _certain(best[name], cands):
            del best[name]
    for name in _conflicting_dates(best, cands):
        del best[name]
    out: list[ExtractedField] = []
    for name in FIELD_ORDER:
        f = best.get(name)
        if f is None:
            continue
        if f.confidence < MIN_REPORT and name not in ("uscc", "registration_number"):
            continue
        out.append(
            ExtractedField(
                name=f.name,
                value=f.value,
                raw=f.raw,
                confidence=f.confidence,
                page=f.page,
                bbox=f.bbox,
                engine=f.engine,
                notes=f.notes,
            )
        )
    return out
