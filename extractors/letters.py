"""Applicant and customer letters: 应用证明 / 推荐函 (application_proof), 注册授权书
(authorization_letter), 申报承诺书 (commitment_letter) and 申报材料公开承诺书 (disclosure_commitment).

Labels and word lists come from ``config/letters.yaml`` (organisation suffixes from
``config/contract.yaml``). Values are read from labelled lines first, then from the signature
block at the bottom of the page (organisation line, date line). The disclosure choice is read from
the glyph in front of each option on a text layer and from the page image otherwise (check box,
circle or strike-through, ``extractors.tick_marks``). No document text is logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from extractors.contract import (
    OCR_PARENS,
    Found,
    PageText,
    after_label,
    date_found,
    labelled_dates,
    labelled_line_value,
    line_label,
    lines_below,
    make_field,
    org_span,
    printed,
    strip_value,
    with_rereads,
)
from extractors.dates import ParsedDate, find_dates, find_ranges
from extractors.text import LineIndex, full_width_parens, fuzzy_find, is_cjk, normalize_name
from extractors.tick_marks import marked_option
from pipeline.content import DocumentContent
from pipeline.model import ExtractedField
from pipeline.yamlio import load_yaml

CONFIG_PATH = Path(__file__).resolve().parent.parent / "config" / "letters.yaml"


class LettersConfig(BaseModel):
    """The whole ``config/letters.yaml``."""

    model_config = ConfigDict(extra="forbid")

    date_labels: list[str]
    issuer_labels: list[str]
    applicant_labels: list[str]
    person_labels: list[str]
    solution_labels: list[str]
    project_labels: list[str]
    project_words: list[str]
    person_context: list[str]
    choice_options: list[str]
    marked_glyphs: list[str]
    unmarked_glyphs: list[str]


@lru_cache(maxsize=4)
def load_config(path: Path = CONFIG_PATH) -> LettersConfig:
    """Load and validate ``config/letters.yaml`` (cached)."""
    cfg = LettersConfig.model_validate(load_yaml(path.read_text(encoding="utf-8")))
    if len(cfg.choice_options) != 3:
        raise ValueError("config/letters.yaml: choice_options must list the three options of 附件4")
    if set(cfg.marked_glyphs) & set(cfg.unmarked_glyphs):
        raise ValueError("config/letters.yaml: a glyph cannot be both marked and unmarked")
    return cfg


def _pages(doc: DocumentContent) -> list[PageText]:
    return [pt for pt in (PageText.of(p) for p in doc.pages) if pt.lines]


# --- shared pieces ------------------------------------------------------------------------------


def _range_spans(pt: PageText) -> list[tuple[int, int]]:
    return [r.span for r in find_ranges(pt.text)]


def issue_date(pages: list[PageText], name: str = "issue_date") -> Found | None:
    """The date of the letter: a labelled 日期 line, else the lowest date on the last page that
    stands on its own (not part of a period, not after 至/到)."""
    cfg = load_config()
    for pt in reversed(pages):
        found = labelled_dates(pt, cfg.date_labels, anywhere=False)
        if found:
            d, off = found[-1]
            return date_found(name, pt, d, off, 0.93)
    for pt in reversed(pages):
        ranges = _range_spans(pt)
        best: tuple[int, ParsedDate, int] | None = None
        for n, li in enumerate(pt.lines):
            for d in find_dates(li.text):
                a = pt.line_starts[n] + d.span[0]
                if any(r0 <= a < r1 for r0, r1 in ranges):
                    continue
                before = li.text[max(0, d.span[0] - 2) : d.span[0]]
                if re.search(r"[至到止]|期限", before):
                    continue
                short_line = len(li.text) - (d.span[1] - d.span[0]) <= 4
                if short_line and (best is None or n >= best[0]):
                    best = (n, d, pt.line_starts[n])
        if best is not None:
            return date_found(name, pt, best[1], best[2], 0.85)
    return None


def _labelled_org(pt: PageText, labels: list[str]) -> Found | None:
    for n, li in enumerate(pt.lines):
        hit = line_label(li.text, labels, anywhere=False)
        if hit is None:
            continue
        a = after_label(li.text, hit[1])
        line_no = n
        if a >= len(li.text):
            below = lines_below(pt, n)
            if not below:
                continue
            line_no, a = below[0], 0
        span = org_span(pt.lines[line_no].text, a)
        if span is None:
            continue
        raw = printed(pt.lines[line_no], *span)
        conf = 0.93 * (0.9 ** hit[2])
        return Found("", normalize_name(raw), raw, conf, pt, [pt.span_of_line(line_no, *span)])
    return None


def _closing_org(pages: list[PageText], labels: list[str], date: Found | None) -> Found | None:
    """The organisation a letter names, from its last page back: after one of ``labels``, or
    standing alone above the signature date."""
    for pt in reversed(pages):
        org = _labelled_org(pt, labels) or _signature_org(pt, date)
        if org is not None:
            return org
    return None


def _signature_org(pt: PageText, date: Found | None) -> Found | None:
    """An organisation name standing alone on a line in the lower part of the page, nearest above
    the letter's date when there is one."""
    limit = None
    if date is not None and date.pt is pt and date.spans:
        limit = pt.where[date.spans[0][0]][0]
    cands: list[tuple[int, tuple[int, int]]] = []
    for n, li in enumerate(pt.lines):
        if limit is not None and n > limit:
            break
        if li.line.bbox[1] < 0.35:
            continue
        span = org_span(li.text)
        if span is None:
            continue
        rest = li.text[: span[0]] + li.text[span[1] :]
        rest = re.sub(r"[(（]?(盖章|公章|签章|章)[)）]?|[:：\s]", "", rest)
        if len(rest) > 2:
            continue
        cands.append((n, span))
    if not cands:
        return None
    n, span = cands[-1]
    raw = printed(pt.lines[n], *span)
    return Found("", normalize_name(raw), raw, 0.88, pt, [pt.span_of_line(n, *span)])


def _named(f: Found | None, name: str) -> Found | None:
    if f is not None:
        f.name = name
    return f


# --- application proof -------------------------------------------------------------------------

_QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]{4,60})[”\"」』》]")
#: 完成XXX项目建设 with the quotes lost by OCR
_DONE = re.compile(r"完成[“\"]?([^“”\"，,。；;]{4,60}(?:项目|系统|平台|工程))[”\"]?(?:的)?(?:建设|实施|部署)")


def _project(pt: PageText) -> Found | None:
    cfg = load_config()
    for m in [*_QUOTED.finditer(pt.text), *_DONE.finditer(pt.text)]:
        inner = m.group(1)
        if any(w in inner for w in cfg.project_words):
            a, b = m.start(1), m.end(1)
            return Found("project_name", normalize_name(inner), inner, 0.88, pt, [(a, b)])
    for n, li in enumerate(pt.lines):
        hit = line_label(li.text, cfg.project_labels)
        if hit is None:
            continue
        a = after_label(li.text, hit[1])
        a, b = strip_value(li.text, a, len(li.text))
        if b - a >= 2:
            raw = printed(li, a, b)
            return Found("project_name", normalize_name(raw), raw, 0.85, pt, [pt.span_of_line(n, a, b)])
    return None


def _deployment(pt: PageText, issued: Found | None) -> list[Found]:
    avoid = issued.spans[0] if issued is not None and issued.pt is pt else (-1, -1)
    for r in find_ranges(pt.text):
        if r.start is None or r.span[0] <= avoid[0] < r.span[1]:
            continue
        out = [date_found("deployment_start", pt, r.start, 0, 0.88)]
        out[0].notes.extend(r.notes)
        if r.end is not None:
            out.append(date_found("deployment_end", pt, r.end, 0, 0.88))
        return out
    return []


def extract_application_proof(doc: DocumentContent) -> list[ExtractedField]:
    """应用证明 / 推荐函: issuer, project_name, deployment_start/end, issue_date."""
    pages = _pages(doc)
    if not pages:
        return []

    def compute(pages: list[PageText]) -> list[Found | None]:
        issued = issue_date(pages)
        issuer = _closing_org(pages, load_config().issuer_labels, issued)
        project = next((f for f in map(_project, pages) if f), None)
        deployment = next((d for d in (_deployment(pt, issued) for pt in pages) if d), [])
        return [_named(issuer, "issuer"), project, *deployment, issued]

    found = with_rereads(pages, compute, {"issuer", "project_name"})
    return [make_field(f) for f in found if f is not None]


# --- authorization letter ----------------------------------------------------------------------

_NAME = r"[\u4e00-\u9fff·]{2,4}?"


def _person(pt: PageText) -> Found | None:
    cfg = load_config()
    ctx = "|".join(re.escape(w) for w in cfg.person_context)
    pat = re.compile(
        rf"授权(?:我单位|本单位|我公司|本公司)?(?:员工|职工|人员)?[:：]?(?P<name>{_NAME})"
        rf"(?={ctx}|[(（,，:：])"
    )
    m = pat.search(pt.text)
    if m is not None:
        a, b = m.span("name")
        return Found("authorized_person", m.group("name"), m.group("name"), 0.9, pt, [(a, b)])
    for n, li in enumerate(pt.lines):
        hit = line_label(li.text, cfg.person_labels, anywhere=True)
        if hit is None:
            continue
        a = after_label(li.text, hit[1])
        mm = re.match(r"[\u4e00-\u9fff·]{2,4}", li.text[a:])
        if mm is None or "签" in mm.group() or "章" in mm.group():
            continue
        a2, b2 = a + mm.start(), a + mm.end()
        return Found("authorized_person", mm.group(), mm.group(), 0.85, pt, [pt.span_of_line(n, a2, b2)])
    return None


def extract_authorization_letter(doc: DocumentContent) -> list[ExtractedField]:
    """注册授权书: authorized_person, company_name (the authorising applicant), issue_date."""
    pages = _pages(doc)
    if not pages:
        return []

    def compute(pages: list[PageText]) -> list[Found | None]:
        issued = issue_date(pages)
        company = _closing_org(pages, load_config().applicant_labels, issued)
        person = next((f for f in map(_person, pages) if f), None)
        return [person, _named(company, "company_name"), issued]

    found = with_rereads(pages, compute, {"authorized_person", "company_name"})
    return [make_field(f) for f in found if f is not None]


# --- commitment letter -------------------------------------------------------------------------

_ITEM_NO = re.compile(
    r"^(?:(?P<a>\d{1,2})\s*[.．、,，]|[(（](?P<b>\d{1,2})[)）]|(?P<c>\d{1,2})(?=[\u4e00-\u9fff])|(?P<d>\d{1,2})$)"
)


def _solution(pt: PageText) -> Found | None:
    return labelled_line_value(pt, load_config().solution_labels, "solution_name", 0.93)


@dataclass
class _Item:
    number: int
    line_no: int
    start: int  # item text start in the line
    end: int


def _numbered_items(pt: PageText) -> list[_Item]:
    items: list[_Item] = []
    used: set[int] = set()
    for n, li in enumerate(pt.lines):
        if n in used:
            continue
        m = _ITEM_NO.match(li.text)
        if m is None:
            continue
        number = int(m.group("a") or m.group("b") or m.group("c") or m.group("d"))
        if m.end() < len(li.text):
            items.append(_Item(number, n, m.end(), len(li.text)))
            continue
        # a table row: the number in one cell, the name in the next cell on the same row
        bb = li.line.bbox
        row = [
            k
            for k, other in enumerate(pt.lines)
            if k != n
            and other.line.bbox[0] > bb[2]
            and min(bb[3], other.line.bbox[3]) - max(bb[1], other.line.bbox[1]) > 0.5 * (bb[3] - bb[1])
        ]
        if row:
            k = min(row, key=lambda k: pt.lines[k].line.bbox[0])
            used.add(k)
            items.append(_Item(number, k, 0, len(pt.lines[k].text)))
    # the longest run numbered 1, 2, 3, …
    best: list[_Item] = []
    for i, it in enumerate(items):
        if it.number != 1:
            continue
        run = [it]
        for nxt in items[i + 1 :]:
            if nxt.number == run[-1].number + 1:
                run.append(nxt)
            elif nxt.number == 1:
                break
        if len(run) > len(best):
            best = run
    return best


def _materials(pt: PageText) -> Found | None:
    items = _numbered_items(pt)
    if not items:
        return None
    names: list[str] = []
    spans: list[tuple[int, int]] = []
    for k, it in enumerate(items):
        li: LineIndex = pt.lines[it.line_no]
        a, b = strip_value(li.text, it.start, it.end)
        text = printed(li, a, b)
        spans.append(pt.span_of_line(it.line_no, a, b))
        nxt_line = items[k + 1].line_no if k + 1 < len(items) else None
        # a name that wraps: an open parenthesis continues on the next line
        if text.count("(") + text.count("（") > text.count(")") + text.count("）"):
            below = it.line_no + 1
            if below < len(pt.lines) and below != nxt_line and not _ITEM_NO.match(pt.lines[below].text):
                cont = pt.lines[below]
                c0, c1 = strip_value(cont.text, 0, len(cont.text))
                text += printed(cont, c0, c1)
                spans.append(pt.span_of_line(below, c0, c1))
        if not any(is_cjk(c) or c.isalnum() for c in text):
            return None
        names.append(full_width_parens(text.translate(OCR_PARENS)))
    conf = 0.9 if len(items) >= 2 else 0.6
    return Found("materials", names, "\n".join(names), conf, pt, spans)


def extract_commitment_letter(doc: DocumentContent) -> list[ExtractedField]:
    """申报承诺书: solution_name, materials (the numbered list, in order), issue_date."""
    pages = _pages(doc)
    if not pages:
        return []

    def compute(pages: list[PageText]) -> list[Found | None]:
        solution = next((f for f in map(_solution, pages) if f), None)
        materials = next((f for f in map(_materials, pages) if f), None)
        return [solution, materials, issue_date(pages)]

    found = with_rereads(pages, compute, {"solution_name", "materials"})
    return [make_field(f) for f in found if f is not None]


# --- disclosure commitment ---------------------------------------------------------------------


@dataclass
class _Option:
    option: str
    pt: PageText
    line_no: int
    start: int
    end: int


def _options(pt: PageText) -> list[_Option]:
    """Each option's first occurrence, preferring a line that holds several options."""
    opts = load_config().choice_options
    per_line: list[list[_Option]] = []
    for n, li in enumerate(pt.lines):
        here = []
        for name in opts:
            ms = fuzzy_find(name, li.text, 1 if len(name) >= 4 else 0)
            if ms:
                here.append(_Option(name, pt, n, ms[0].start, ms[0].end))
        if here:
            per_line.append(here)
    if not per_line:
        return []
    best = max(per_line, key=len)
    # options wide apart are cut into separate visual lines: gather the whole row
    bb = pt.lines[best[0].line_no].line.bbox
    row = [
        o
        for here in per_line
        for o in here
        if min(bb[3], pt.lines[o.line_no].line.bbox[3]) - max(bb[1], pt.lines[o.line_no].line.bbox[1])
        > 0.5 * (bb[3] - bb[1])
    ]
    if len({o.option for o in row}) >= 2:
        first: dict[str, _Option] = {}
        for opt in row:
            first.setdefault(opt.option, opt)
        return list(first.values())
    seen: dict[str, _Option] = {}
    for here in per_line:
        for opt in here:
            seen.setdefault(opt.option, opt)
    return list(seen.values())


def _glyph_marks(options: list[_Option]) -> dict[str, bool]:
    """option -> marked, from the character printed just before it (text layer)."""
    cfg = load_config()
    out: dict[str, bool] = {}
    for o in options:
        text = o.pt.lines[o.line_no].text
        before = text[o.start - 1] if o.start > 0 else ""
        if before in cfg.marked_glyphs:
            out[o.option] = True
        elif before in cfg.unmarked_glyphs:
            out[o.option] = False
    return out


def _image_marks(options: list[_Option]) -> tuple[str | None, str]:
    """The option marked on the page image (check box, circle, strike-through, tick): see
    ``extractors.tick_marks``."""
    page = options[0].pt.page
    try:
        img = page.get_image()
    except Exception:  # a page that cannot be rendered gives no evidence
        img = None
    if img is None:
        return None, "no page image"
    regions = {}
    for o in options:
        bb = o.pt.lines[o.line_no].bbox_for(o.start, o.end)
        if bb is not None:
            regions[o.option] = bb
    return marked_option(img, regions)


def _choice(pt: PageText) -> Found | None:
    options = _options(pt)
    if not options:
        return None
    marks = _glyph_marks(options) if pt.page.info.text_source == "text_layer" else {}
    marked = [k for k, v in marks.items() if v]
    chosen: str | None = None
    conf, notes = 0.0, []
    if len(marked) == 1:
        chosen, conf = marked[0], 0.97
        notes.append("check mark glyph before the option")
    elif len(marked) > 1:
        return None  # several marked: not a valid choice, report nothing
    else:
        chosen, why = _image_marks(options)
        conf = 0.85
        notes.append(why)
    if chosen is None:
        return None
    o = next(x for x in options if x.option == chosen)
    return Found("choice", chosen, chosen, conf, pt, [pt.span_of_line(o.line_no, o.start, o.end)], notes)


def extract_disclosure_commitment(doc: DocumentContent) -> list[ExtractedField]:
    """申报材料公开承诺书: choice (自愿 / 经审批后 / 不愿) and issue_date."""
    pages = _pages(doc)
    if not pages:
        return []
    choice = next((f for f in map(_choice, pages) if f), None)
    found = [choice, issue_date(pages)]
    return [make_field(f) for f in found if f is not None]
