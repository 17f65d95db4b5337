"""Contract (项目实施合同) fields from the first page and the signature page.

Fields: contract_title, contract_number, project_name, party_a, party_b (a list for a consortium),
sign_date, effective_date, term_start, term_end, amount, acceptance_date.

Labels come from ``config/contract.yaml``. A label is looked for near the start of a visual line
(after an optional 第X条 / 一、 / 1. heading number); its value is the rest of the line or, when the
line holds only the label, the following line(s). Paragraph text (amounts, periods) is read on the
page's lines joined without separators, since a figure or a date may wrap onto the next line.
Parties on the first page are cross-checked with the signature page. No document text is logged.

The helpers in the first part of this module (:class:`PageText`, :func:`org_span`,
:func:`make_field`, :func:`line_label`) are shared with ``extractors.letters``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from extractors.amounts import Amount, find_amounts
from extractors.dates import ParsedDate, find_dates, find_ranges
from extractors.line_reread import reread_lines
from extractors.text import LineIndex, fuzzy_find, is_cjk, normalize_name
from pipeline.content import DocumentContent, PageContent
from pipeline.model import BBox, ExtractedField, Line, Word, clamp_bbox, union_bbox
from pipeline.yamlio import load_yaml

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "contract.yaml"


class ContractConfig(BaseModel):
    """The whole ``config/contract.yaml``."""

    model_config = ConfigDict(extra="forbid")

    labels: dict[str, list[str]]
    party_labels: dict[str, list[str]]
    consortium_words: list[str]
    title_endings: list[str]
    organisation_suffixes: list[str]


@lru_cache(maxsize=4)
def load_config(path: Path = CONFIG_PATH) -> ContractConfig:
    """Load and validate ``config/contract.yaml`` (cached)."""
    cfg = ContractConfig.model_validate(load_yaml(path.read_text(encoding="utf-8")))
    for key in ("contract_number", "project_name", "sign_date", "term", "amount"):
        if not cfg.labels.get(key):
            raise ValueError(f"config/contract.yaml: labels.{key} must not be empty")
    if set(cfg.party_labels) != {"party_a", "party_b"}:
        raise ValueError("config/contract.yaml: party_labels must define party_a and party_b")
    return cfg


# --- shared helpers ---------------------------------------------------------------------------

#: A heading number in front of a label: 第三条 / 三、 / 3. / （三） / 3、
HEADING_NO = re.compile(
    r"^(?:第[一二三四五六七八九十百零〇\d]{1,4}[条章节款]|[一二三四五六七八九十]{1,3}[、.．]"
    r"|\d{1,2}(?:\.\d{1,2})*[、.．]?|[(（][一二三四五六七八九十\d]{1,3}[)）])"
)
_PAREN = re.compile(r"^(?:[(（〈〔\[][^()（）〈〉〔〕\[\]]{0,16}[)）〉〕\]])+")
#: OCR reads of parentheses (〈 〔 [ for （) and of the quote/stroke junk left before a heading label.
OCR_PARENS = str.maketrans({"〈": "（", "〔": "（", "〉": "）", "〕": "）"})
_LABEL_JUNK = re.compile(r"[\s\"'“”‘’|:：.,、_]*")
_COLON = re.compile(r"^[\s:：;；,，.。、_\-—]*")
_STRIP_VALUE = "。.,，;；:：、“”\"'‘’《》「」_ "
GAP_FACTOR = 3.0


@dataclass
class PageText:
    """A page's lines joined without separators, with a map from characters back to lines."""

    page: PageContent
    lines: list[LineIndex]
    text: str
    where: list[tuple[int, int]]  # (line number, character index in that line)
    line_starts: list[int]

    @classmethod
    def of(cls, page: PageContent) -> PageText:
        """Index ``page``'s visual lines."""
        return cls.from_lines(
            page, [li for li in (LineIndex.of(ln) for ln in _split_rows(page.lines)) if li.text]
        )

    @classmethod
    def from_lines(cls, page: PageContent, lines: list[LineIndex]) -> PageText:
        """Index ``lines`` of ``page`` (some of them re-read)."""
        text = ""
        where: list[tuple[int, int]] = []
        starts: list[int] = []
        for n, li in enumerate(lines):
            starts.append(len(text))
            text += li.text
            where.extend((n, k) for k in range(len(li.text)))
        return cls(page, lines, text, where, starts)

    def bbox(self, start: int, end: int) -> BBox | None:
        """Bbox of ``text[start:end]`` (a union over the lines the span covers)."""
        boxes: list[BBox] = []
        for n, (a, b) in self._per_line(start, end).items():
            bb = self.lines[n].bbox_for(a, b)
            if bb is not None:
                boxes.append(bb)
        return clamp_bbox(*union_bbox(boxes)) if boxes else None

    def confidence(self, start: int, end: int) -> float:
        """Mean OCR confidence of the words behind ``text[start:end]``."""
        confs = [self.lines[n].confidence_for(a, b) for n, (a, b) in self._per_line(start, end).items()]
        return sum(confs) / len(confs) if confs else 0.0

    def span_of_line(self, line_no: int, a: int, b: int) -> tuple[int, int]:
        """Page-text span of characters ``a:b`` of line ``line_no``."""
        s = self.line_starts[line_no]
        return s + a, s + b

    def _per_line(self, start: int, end: int) -> dict[int, tuple[int, int]]:
        out: dict[int, tuple[int, int]] = {}
        for n, k in self.where[max(0, start) : max(0, end)]:
            a, b = out.get(n, (k, k + 1))
            out[n] = (min(a, k), max(b, k + 1))
        return out


def _split_rows(lines: list[Line]) -> list[Line]:
    """Lines as grouped by the layout, with a line that holds two text rows (words of two rows
    bridged by a seal's noise) split again by the words' vertical centres."""
    out: list[Line] = []
    for ln in lines:
        heights = sorted(w.bbox[3] - w.bbox[1] for w in ln.words)
        h = heights[len(heights) // 2]
        if h <= 0 or ln.bbox[3] - ln.bbox[1] < 1.8 * h or len(ln.words) < 4:
            out.append(ln)
            continue
        words = sorted(ln.words, key=lambda w: (w.bbox[1] + w.bbox[3]) / 2)
        rows: list[list[Word]] = [[words[0]]]
        for w in words[1:]:
            prev = rows[-1][-1]
            if (w.bbox[1] + w.bbox[3]) / 2 - (prev.bbox[1] + prev.bbox[3]) / 2 > 0.5 * h:
                rows.append([w])
            else:
                rows[-1].append(w)
        out.extend(Line(words=sorted(r, key=lambda w: w.bbox[0])) for r in rows)
    return out


@dataclass
class Found:
    """A field value with its page-text span, before it becomes an ExtractedField."""

    name: str
    value: object
    raw: str
    confidence: float
    pt: PageText
    spans: list[tuple[int, int]]
    notes: list[str] = field(default_factory=list)


def make_field(f: Found) -> ExtractedField:
    """Turn a :class:`Found` into an ``ExtractedField`` with page, bbox and engine."""
    boxes = [b for b in (f.pt.bbox(a, z) for a, z in f.spans) if b is not None]
    conf = f.confidence
    if f.pt.page.info.text_source == "ocr" and f.spans:
        ocr = sum(f.pt.confidence(a, z) for a, z in f.spans) / len(f.spans)
        conf *= 0.6 + 0.4 * ocr
    notes = list(f.notes)
    if (
        f.pt.page.info.text_source == "ocr"
        and boxes
        and _under_seal(f.pt.page, clamp_bbox(*union_bbox(boxes)))
    ):
        conf *= 0.5
        notes.append("a red seal covers the text: OCR characters unreliable")
    return ExtractedField(
        name=f.name,
        value=f.value,
        raw=f.raw,
        confidence=round(max(0.0, min(1.0, conf)), 3),
        page=f.pt.page.index,
        bbox=clamp_bbox(*union_bbox(boxes)) if boxes else None,
        engine=f.pt.page.info.engine,
        notes=notes,
    )


SEAL_RED_SHARE = 0.08
"""A value box with more red pixels than this share is (partly) under a seal."""


def _under_seal(page: PageContent, bbox: BBox) -> bool:
    """True when the page image shows red seal ink over ``bbox`` (OCR pages keep their image)."""
    img = page.image
    if img is None or img.ndim != 3:
        return False
    h, w = img.shape[:2]
    x0, y0, x1, y1 = int(bbox[0] * w), int(bbox[1] * h), int(bbox[2] * w) + 1, int(bbox[3] * h) + 1
    crop = img[y0:y1, x0:x1].astype(np.int16)
    if crop.size == 0:
        return False
    b, g, r = crop[..., 0], crop[..., 1], crop[..., 2]
    red = (r - np.maximum(g, b) > 40) & (r > 100)
    return float(red.mean()) > SEAL_RED_SHARE


def value_lines(found: Sequence[Found | None], names: Collection[str]) -> dict[int, set[int]]:
    """``id(page text) -> line numbers`` of the lines holding the values of fields ``names``."""
    out: dict[int, set[int]] = {}
    for f in found:
        if f is None or f.name not in names:
            continue
        for a, b in f.spans:
            out.setdefault(id(f.pt), set()).update(n for n, _ in f.pt.where[max(0, a) : max(0, b)])
    return out


def reread_pages(
    pages: list[PageText], wanted: dict[int, set[int]]
) -> tuple[list[PageText], dict[tuple[int, int], str]]:
    """``pages`` with the ``wanted`` lines of OCR pages read again (``extractors.line_reread``),
    and a note per changed ``(page index, line number)``; the same pages when nothing changed."""
    out: list[PageText] = []
    notes: dict[tuple[int, int], str] = {}
    for pt in pages:
        lines = wanted.get(id(pt))
        changed = reread_lines(pt.page, pt.lines, lines) if lines else {}
        if not changed:
            out.append(pt)
            continue
        out.append(
            PageText.from_lines(
                pt.page, [changed[n][0] if n in changed else li for n, li in enumerate(pt.lines)]
            )
        )
        notes.update(((pt.page.index, n), note) for n, (_, note) in changed.items())
    return out, notes


def note_rereads(found: Sequence[Found | None], notes: dict[tuple[int, int], str]) -> None:
    """Add the re-read note of each line a value comes from to that value's notes."""
    for f in found:
        if f is None:
            continue
        lines = sorted({n for a, b in f.spans for n, _ in f.pt.where[max(0, a) : max(0, b)]})
        for n in lines:
            note = notes.get((f.pt.page.index, n))
            if note is not None and note not in f.notes:
                f.notes.append(note)


def with_rereads(
    pages: list[PageText], compute: Callable[[list[PageText]], list[Found | None]], names: Collection[str]
) -> list[Found | None]:
    """``compute(pages)``, and again on the pages with the lines of fields ``names`` re-read when a
    re-read changed one of them (scanned pages only; see :func:`reread_pages`)."""
    found = compute(pages)
    pages, notes = reread_pages(pages, value_lines(found, names))
    if notes:
        found = compute(pages)
        note_rereads(found, notes)
    return found


def printed(li: LineIndex, start: int, end: int) -> str:
    """``li.text[start:end]`` as printed: a space between Latin/digit words separated by a gap."""
    out = ""
    h = max(1e-4, li.line.bbox[3] - li.line.bbox[1])
    for k in range(start, end):
        ch = li.text[k]
        if k > start and li.owner[k] != li.owner[k - 1]:
            prev, cur = li.line.words[li.owner[k - 1]], li.line.words[li.owner[k]]
            gap = cur.bbox[0] - prev.bbox[2]
            if ch.isascii() and ch.isalnum() and out[-1:].isascii() and out[-1:].isalnum() and gap > 0.12 * h:
                out += " "
        out += ch
    return out


def org_span(text: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """Span of an organisation name in ``text[start:end]``: from its first CJK character to the
    last organisation suffix before a stop character; None when there is no suffix."""
    end = len(text) if end is None else end
    first = next((k for k in range(start, end) if is_cjk(text[k])), None)
    if first is None:
        return None
    stop = end
    for k in range(first, end):
        if text[k] in ",，;；:：。、 \t" or (text[k] in "(（" and "盖章" in text[k : k + 5]):
            stop = k
            break
    best = None
    for suffix in load_config().organisation_suffixes:
        pos = text.rfind(suffix, first, stop)
        if pos >= 0:
            e = pos + len(suffix)
            # a closing parenthesis right after the suffix belongs to the name: 公司（筹）
            if best is None or e > best:
                best = e
    if best is None or sum(1 for c in text[first:best] if is_cjk(c)) < 4:
        return None
    return first, best


def line_label(
    text: str, variants: Sequence[str], *, anywhere: bool = False, max_errors: int = 1
) -> tuple[int, int, int] | None:
    """``(start, end, errors)`` of a label on a line: at its start (after a heading number) unless
    ``anywhere``; labels of 4+ characters tolerate ``max_errors`` wrong characters."""
    m = HEADING_NO.match(text)
    lead = m.end() if m else 0
    lead = _LABEL_JUNK.match(text, lead).end()  # type: ignore[union-attr]
    best: tuple[int, int, int] | None = None
    for v in sorted(variants, key=len, reverse=True):
        k = max_errors if len(v) >= 4 else 0
        for mt in fuzzy_find(v, text, k):
            if not anywhere and mt.start > lead:
                continue
            cand = (mt.start, mt.end, mt.errors)
            if best is None or _label_rank(cand) < _label_rank(best):
                best = cand
    return best


def _label_rank(hit: tuple[int, int, int]) -> tuple[int, int, int]:
    """Fewer errors first, then the earlier, then the longer label."""
    return hit[2], hit[0], hit[0] - hit[1]


def after_label(text: str, end: int) -> int:
    """Index of the value after a label: skips （盖章）-style parentheses and a colon."""
    m = _PAREN.match(text[end:])
    if m:
        end += m.end()
    m2 = _COLON.match(text[end:])
    return end + (m2.end() if m2 else 0)


def strip_value(text: str, a: int, b: int) -> tuple[int, int]:
    """Shrink ``text[a:b]`` by quotes and punctuation at both ends."""
    while a < b and text[a] in _STRIP_VALUE:
        a += 1
    while b > a and text[b - 1] in _STRIP_VALUE:
        b -= 1
    return a, b


def lines_below(pt: PageText, line_no: int, max_lines: int = 1) -> list[int]:
    """Line numbers of up to ``max_lines`` lines under ``line_no`` that overlap it horizontally."""
    base = pt.lines[line_no].line.bbox
    h = max(1e-4, base[3] - base[1])
    out: list[int] = []
    for n in range(line_no + 1, len(pt.lines)):
        bb = pt.lines[n].line.bbox
        if bb[1] < base[3] - 0.3 * h:
            continue  # same row (another column)
        if bb[1] > base[3] + (3.5 + 2 * len(out)) * h:
            break
        if bb[2] > base[0] - h and bb[0] < base[0] + max(base[2] - base[0], 6 * h):
            out.append(n)
            if len(out) >= max_lines:
                break
    return out


def labelled_dates(
    pt: PageText, labels: Sequence[str], *, anywhere: bool = True
) -> list[tuple[ParsedDate, int]]:
    """Dates after one of ``labels`` (same line, or the line below): ``(date, page-text offset)``."""
    out: list[tuple[ParsedDate, int]] = []
    for n, li in enumerate(pt.lines):
        hit = line_label(li.text, labels, anywhere=anywhere)
        if hit is None:
            continue
        a = after_label(li.text, hit[1])
        ds = [d for d in find_dates(li.text[a:]) if d.span[0] <= 2]
        if ds:
            out.append((ds[0], pt.line_starts[n] + a))
            continue
        if a >= len(li.text):
            for m in lines_below(pt, n):
                below = pt.lines[m].text
                ds = [d for d in find_dates(below) if d.span[0] <= 2]
                if ds:
                    out.append((ds[0], pt.line_starts[m]))
    return out


def date_found(name: str, pt: PageText, d: ParsedDate, offset: int, conf: float) -> Found:
    """A date field found at page-text ``offset + d.span``."""
    notes: list[str] = []
    if d.precision == "month":
        conf = min(conf, 0.5)
        notes.append("month precision only: the first of the month is reported")
    return Found(name, d.iso, d.raw, conf, pt, [(offset + d.span[0], offset + d.span[1])], notes)


def section_text(pt: PageText, line_no: int, start: int, max_lines: int = 3) -> tuple[int, int]:
    """Page-text span from ``start`` in ``line_no`` to the end of the section: following lines up to
    the next heading (第X条 / 一、 …), at most ``max_lines`` of them."""
    a = pt.line_starts[line_no] + start
    end = pt.line_starts[line_no] + len(pt.lines[line_no].text)
    for n in range(line_no + 1, min(len(pt.lines), line_no + 1 + max_lines)):
        if HEADING_NO.match(pt.lines[n].text) and not pt.lines[n].text[:1].isdigit():
            break
        end = pt.line_starts[n] + len(pt.lines[n].text)
    return a, end


# --- contract fields ---------------------------------------------------------------------------


def _title(pt: PageText) -> Found | None:
    cfg = load_config()
    best: tuple[float, int] | None = None
    for n, li in enumerate(pt.lines):
        bb = li.line.bbox
        if bb[1] > 0.4:
            break
        t = li.text.rstrip(_STRIP_VALUE)
        if len(t) < 4 or not any(t.endswith(e) for e in cfg.title_endings):
            continue
        if line_label(t, cfg.labels["contract_number"], anywhere=True) is not None:
            continue
        height = bb[3] - bb[1]
        if best is None or height > best[0] + 1e-4:
            best = (height, n)
    if best is None:
        return None
    n = best[1]
    li = pt.lines[n]
    a, b = strip_value(li.text, 0, len(li.text))
    raw = printed(li, a, b)
    return Found("contract_title", normalize_name(raw), raw, 0.9, pt, [pt.span_of_line(n, a, b)])


_NUMBER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.（）()〔〕\[\]]*[A-Za-z0-9）)\]〕]|[A-Za-z0-9]")


def _contract_number(pt: PageText) -> Found | None:
    for n, li in enumerate(pt.lines):
        hit = line_label(li.text, load_config().labels["contract_number"], anywhere=True)
        if hit is None:
            continue
        a = after_label(li.text, hit[1])
        m = _NUMBER_RE.match(li.text, a)
        if m is None or not any(c.isdigit() for c in m.group()):
            continue
        conf = 0.95 * (0.9 ** hit[2])
        return Found(
            "contract_number", m.group(), m.group(), conf, pt, [pt.span_of_line(n, m.start(), m.end())]
        )
    return None


def labelled_line_value(pt: PageText, labels: list[str], field: str, base_conf: float) -> Found | None:
    """The value after the first of ``labels`` at the start of a line (or on the line below
    when the label ends its line), as an organisation/project name."""
    for n, li in enumerate(pt.lines):
        hit = line_label(li.text, labels)
        if hit is None:
            continue
        a = after_label(li.text, hit[1])
        line_no = n
        if a >= len(li.text):
            below = lines_below(pt, n)
            if not below:
                continue
            line_no, a = below[0], 0
        text = pt.lines[line_no].text
        a, b = strip_value(text, a, len(text))
        if b - a < 2:
            continue
        raw = printed(pt.lines[line_no], a, b)
        conf = base_conf * (0.9 ** hit[2])
        return Found(field, normalize_name(raw), raw, conf, pt, [pt.span_of_line(line_no, a, b)])
    return None


def _project_name(pt: PageText) -> Found | None:
    return labelled_line_value(pt, load_config().labels["project_name"], "project_name", 0.9)


@dataclass
class _Party:
    role: str  # party_a / party_b
    name: str
    raw: str
    line_no: int
    span: tuple[int, int]  # page-text span
    consortium: bool


def _parties(pt: PageText) -> list[_Party]:
    cfg = load_config()
    out: list[_Party] = []
    for n, li in enumerate(pt.lines):
        for role, variants in cfg.party_labels.items():
            hit = line_label(li.text, variants, max_errors=0)
            if hit is None or hit[0] > 0:
                continue
            a = after_label(li.text, hit[1])
            label_part = li.text[hit[0] : a]
            if a == hit[1] and not label_part.endswith((":", "：")):
                continue  # 乙方负责…: the label starts a sentence, not a party line
            if not re.search(r"[:：]|盖章|签章|签字", label_part) and a < len(li.text):
                continue
            consortium = any(w in label_part for w in cfg.consortium_words)
            line_no, start = n, a
            if a >= len(li.text):
                below = lines_below(pt, n)
                if not below:
                    continue
                line_no, start = below[0], 0
            text = pt.lines[line_no].text
            span = org_span(text, start)
            if span is None:
                continue
            raw = printed(pt.lines[line_no], *span)
            out.append(
                _Party(role, normalize_name(raw), raw, line_no, pt.span_of_line(line_no, *span), consortium)
            )
            break
    return out


def _party_fields(first: PageText, sig: PageText | None) -> list[Found]:
    front = _parties(first)
    back = _parties(sig) if sig is not None and sig is not first else []
    out: list[Found] = []
    for role in ("party_a", "party_b"):
        mine = [p for p in front if p.role == role] or [p for p in back if p.role == role]
        if not mine:
            continue
        pt = first if any(p.role == role for p in front) else sig
        assert pt is not None
        names: list[str] = []
        for p in mine:
            if p.name not in names:
                names.append(p.name)
        if role == "party_a":
            names = names[:1]
        chosen = [p for p in mine if p.name in names]
        conf, notes = 0.85, []
        other = [p.name for p in back if p.role == role] if pt is first else []
        if other:
            if set(other) == set(names) or (role == "party_a" and names[0] in other):
                conf = 0.97
            else:
                conf = 0.6
                notes.append("signature page names a different party")
        value: object = names if len(names) > 1 else names[0]
        if role == "party_b" and len(names) > 1 and not any(p.consortium for p in chosen):
            notes.append("several 乙方 without 联合体: reported as a list")
        raw = "；".join(p.raw for p in chosen[: len(names)])
        out.append(Found(role, value, raw, conf, pt, [p.span for p in chosen], notes))
    return out


def _sign_date(pages: list[PageText], sig: PageText | None) -> Found | None:
    cfg = load_config()
    found: list[tuple[ParsedDate, int, PageText]] = []
    for pt in pages:
        found.extend((d, off, pt) for d, off in labelled_dates(pt, cfg.labels["sign_date"]))
    if not found and sig is not None:
        found.extend((d, off, sig) for d, off in labelled_dates(sig, cfg.labels["sign_date_signature_page"]))
    if not found and sig is not None:
        # dates beside the seals: on the signature page below the first party label
        parties = _parties(sig)
        if parties:
            top = min(sig.lines[p.line_no].line.bbox[1] for p in parties)
            for n, li in enumerate(sig.lines):
                if li.line.bbox[1] >= top:
                    found.extend((d, sig.line_starts[n], sig) for d in find_dates(li.text))
    if not found:
        return None
    dates = sorted({d.value for d, _, _ in found})
    latest = dates[-1]
    d, off, pt = next(x for x in found if x[0].value == latest)
    f = date_found("sign_date", pt, d, off, 0.95 if len(found) > 1 else 0.9)
    if len(dates) > 1:
        f.confidence = 0.6
        f.notes.append(f"parties signed on {len(dates)} different dates: the latest is reported")
    return f


def _labelled_single_date(name: str, pages: list[PageText]) -> Found | None:
    for pt in pages:
        for d, off in labelled_dates(pt, load_config().labels[name]):
            return date_found(name, pt, d, off, 0.9)
    return None


def _term(pages: list[PageText]) -> list[Found]:
    for pt in pages:
        for n, li in enumerate(pt.lines):
            hit = line_label(li.text, load_config().labels["term"])
            if hit is None:
                continue
            a, b = section_text(pt, n, after_label(li.text, hit[1]))
            ranges = find_ranges(pt.text[a:b])
            if not ranges:
                continue
            r = ranges[0]
            out: list[Found] = []
            base = 0.9 * (0.9 ** hit[2])
            if r.start is not None:
                f = date_found("term_start", pt, r.start, a, base)
                f.notes.extend(r.notes)
                out.append(f)
            if r.end is not None:
                out.append(date_found("term_end", pt, r.end, a, base))
            return out
    return []


def amount_from(cands: list[Amount], pt: PageText, offset: int, base: float) -> Found | None:
    """The amount field from figure and 大写 candidates of one passage: agreement raises the
    confidence, disagreement is reported with both figures and a low confidence."""
    figures = [c for c in cands if c.form == "figures"]
    capitals = [c for c in cands if c.form == "capital"]
    if not cands:
        return None
    main = figures[0] if figures else capitals[0]
    spans = [(offset + main.span[0], offset + main.span[1])]
    notes: list[str] = []
    conf = base
    if figures and capitals:
        cap = capitals[0]
        if abs(cap.value - main.value) < 0.005:
            conf = min(1.0, base + 0.08)
            spans.append((offset + cap.span[0], offset + cap.span[1]))
            notes.append("大写 and 小写 agree")
        else:
            conf = 0.35
            notes.append(f"大写 reads {cap.value:.2f} but 小写 reads {main.value:.2f}: 小写 reported")
    else:
        notes.append("only the 小写 figures found" if figures else "only the 大写 form found")
    return Found("amount", main.value, main.raw, conf, pt, spans, notes)


def _amount(pages: list[PageText]) -> Found | None:
    for pt in pages:
        for n, li in enumerate(pt.lines):
            hit = line_label(li.text, load_config().labels["amount"], anywhere=True)
            if hit is None:
                continue
            a, b = section_text(pt, n, hit[1])
            f = amount_from(find_amounts(pt.text[a:b]), pt, a, 0.9 * (0.9 ** hit[2]))
            if f is not None:
                return f
    return None


def _signature_page(pages: list[PageText]) -> PageText | None:
    for pt in reversed(pages):
        if any(re.search(r"盖章|签章|签字", li.text) for li in pt.lines) and _parties(pt):
            return pt
    return None


#: names and titles whose lines are read a second time on scanned pages
REREAD_FIELDS = frozenset({"contract_title", "project_name", "party_a", "party_b"})


def extract_contract(doc: DocumentContent) -> list[ExtractedField]:
    """Contract fields of ``doc`` (first page + signature page); nothing is guessed. On scanned
    pages the lines of names and titles (and the signature page's party lines they are checked
    against) are read a second time, and the fields read again from the corrected lines."""
    pages = [PageText.of(p) for p in doc.pages]
    pages = [p for p in pages if p.lines]
    if not pages:
        return []
    found, sig = _contract_found(pages)
    wanted = value_lines(found, REREAD_FIELDS)
    if sig is not None:
        wanted.setdefault(id(sig), set()).update(p.line_no for p in _parties(sig))
    pages, notes = reread_pages(pages, wanted)
    if notes:
        found, _ = _contract_found(pages)
        note_rereads(found, notes)
    return [make_field(f) for f in found if f is not None]


def _contract_found(pages: list[PageText]) -> tuple[list[Found | None], PageText | None]:
    first = pages[0]
    sig = _signature_page(pages[1:]) or (first if _signature_page([first]) else None)
    found: list[Found | None] = [_title(first), _contract_number(first) or _contract_number_any(pages)]
    found.append(_project_name(first) or next((f for f in map(_project_name, pages[1:]) if f), None))
    found.extend(_party_fields(first, sig))
    found.append(_sign_date(pages, sig))
    found.append(_labelled_single_date("effective_date", pages))
    found.extend(_term(pages))
    found.append(_amount(pages))
    found.append(_labelled_single_date("acceptance_date", pages))
    return found, sig


def _contract_number_any(pages: list[PageText]) -> Found | None:
    return next((f for f in map(_contract_number, pages[1:]) if f), None)
