"""What the pages show, read from the index and the store: the submission listing (synchronised
into ``ui_submission_listing`` and paged by keyset), reviews, extraction results, declared vs
extracted data, decisions and the audit log.

Every store key is built by ``pipeline.store.keys`` helpers from values looked up here (a
document name is resolved through the submission's review, never used as a path)."""

from __future__ import annotations

import base64
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import and_, exists, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from pipeline.errors import EvidenceError, ObjectNotFoundError
from pipeline.index import Index
from pipeline.index.db import with_retry
from pipeline.index.models import FindingRow, Submission, utcnow
from pipeline.index.ui_models import UIAudit, UIDecision, UIJob, UISubmissionListing
from pipeline.loading import sha256_of
from pipeline.model import ExtractionResult
from pipeline.page_reader import vector_page_png
from pipeline.processing import stored_page_image
from pipeline.store import ObjectStore
from pipeline.store.keys import (
    declared_key,
    parse_review_key,
    result_key,
    upload_key,
    validate_submission_id,
)
from validators.declared import Declared, DeclaredDataError, parse_declared
from validators.model import DocumentSummary, Finding, ReviewResult

STATUS_LABELS = {
    "pass": "通过",
    "fail": "不通过",
    "needs_review": "需人工复核",
    "held": "暂停审查（敏感内容）",
    "processing": "处理中",
    "failed": "处理失败",
}
OUTCOME_LABELS = {"pass": "通过", "fail": "不通过", "needs_review": "需复核", "not_applicable": "不适用"}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}
ACTION_LABELS = {
    "confirm": "确认",
    "override": "推翻",
    "clear_hold": "解除暂停",
    "reprocess": "重新处理",
    "login": "登录",
    "logout": "退出",
    "login_failed": "登录失败",
    "user_add": "添加用户",
}
SENSITIVE_RULE = "sensitive.none_found"
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

SortKey = Literal["id", "applicant", "region", "status", "failed", "sensitive", "processed"]
SORT_COLUMNS = {
    "id": UISubmissionListing.submission_id,
    "applicant": UISubmissionListing.applicant_name,
    "region": UISubmissionListing.region,
    "status": UISubmissionListing.status,
    "failed": UISubmissionListing.failed_rules,
    "sensitive": UISubmissionListing.sensitive_hits,
    "processed": UISubmissionListing.last_processed,
}


class WebDataError(EvidenceError):
    """Something a page needs is missing or unreadable."""

    code = "web_data"
    exit_code = 1


# ------------------------------------------------------------------------------------ listing


class ListingQuery(BaseModel):
    """The submissions table's filters, search, sort and keyset cursor (validated from the URL)."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["", "pass", "needs_review", "fail", "held", "processing", "failed"] = ""
    region: str = Field(default="", max_length=16)
    rule: str = Field(default="", max_length=100)
    applicant: str = Field(default="", max_length=300)
    q: str = Field(default="", max_length=300)
    sort: SortKey = "id"
    desc: bool = False
    after: str = Field(default="", max_length=800)
    limit: int = Field(default=PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class ListingRow(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    submission_id: str
    applicant_name: str
    uscc: str
    region: str
    solution_name: str
    status: str
    review_status: str
    hold_cleared: bool
    failed_rules: int
    review_rules: int
    sensitive_hits: int
    documents_count: int
    last_processed: str


class ListingPage(BaseModel):
    rows: list[ListingRow]
    total: int
    next_cursor: str | None


def encode_cursor(value: Any, submission_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, submission_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, str] | None:
    try:
        value, sid = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(sid, str) or not isinstance(value, str | int):
        return None
    return value, sid


def listing_statement(query: ListingQuery) -> tuple[Any, Any]:
    """(page SELECT, COUNT SELECT) for ``query``; the page uses the sort key's index."""
    L = UISubmissionListing
    conds: list[ColumnElement[bool]] = []
    if query.status:
        conds.append(L.status == query.status)
    if query.region:
        conds.append(L.region == query.region)
    if query.applicant:
        # a prefix range, so the applicant index serves it
        conds.append(
            and_(L.applicant_name >= query.applicant, L.applicant_name < query.applicant + "\U0010ffff")
        )
    if query.q:
        like = "%" + query.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(
            or_(
                L.applicant_name.like(like, escape="\\"),
                L.uscc.like(query.q.strip().upper() + "%"),
                L.submission_id.like(like, escape="\\"),
                L.solution_name.like(like, escape="\\"),
            )
        )
    if query.rule:
        conds.append(
            exists().where(
                FindingRow.submission_id == L.submission_id,
                FindingRow.rule == query.rule,
                FindingRow.outcome.in_(("fail", "needs_review")),
            )
        )
    count = select(func.count()).select_from(L).where(*conds)
    col = SORT_COLUMNS[query.sort]
    page = select(L).where(*conds)
    cursor = decode_cursor(query.after) if query.after else None
    if cursor is not None:
        value, sid = cursor
        if query.sort == "id":
            page = page.where(L.submission_id < sid if query.desc else L.submission_id > sid)
        else:
            key = tuple_(col, L.submission_id)
            page = page.where(key < tuple_(value, sid) if query.desc else key > tuple_(value, sid))
    order: list[Any]
    if query.sort == "id":
        order = [L.submission_id.desc() if query.desc else L.submission_id.asc()]
    else:
        order = [col.desc(), L.submission_id.desc()] if query.desc else [col.asc(), L.submission_id.asc()]
    return page.order_by(*order).limit(query.limit), count


@with_retry
def query_listing(index: Index, query: ListingQuery, *, with_total: bool = True) -> ListingPage:
    page_stmt, count_stmt = listing_statement(query)
    with index.session() as s:
        rows = [ListingRow.model_validate(r) for r in s.execute(page_stmt).scalars()]
        total = int(s.execute(count_stmt).scalar_one()) if with_total else -1
    next_cursor = None
    if len(rows) == query.limit:
        last = rows[-1]
        attr = {
            "id": "submission_id",
            "applicant": "applicant_name",
            "region": "region",
            "status": "status",
            "failed": "failed_rules",
            "sensitive": "sensitive_hits",
            "processed": "last_processed",
        }[query.sort]
        next_cursor = encode_cursor(getattr(last, attr), last.submission_id)
    return ListingPage(rows=rows, total=total, next_cursor=next_cursor)


@with_retry
def listing_facets(index: Index) -> tuple[list[str], list[str]]:
    """Regions present and rule ids present (for the filter drop-downs)."""
    with index.session() as s:
        regions = [r for r in s.execute(select(UISubmissionListing.region).distinct()).scalars() if r]
        rules = list(s.execute(select(FindingRow.rule).distinct()).scalars())
    return sorted(regions), sorted(rules)


# --------------------------------------------------------------------------- sync of listing


@dataclass
class ReviewCounts:
    review_status: str = "pending"
    failed_rules: int = 0
    review_rules: int = 0
    sensitive_hits: int = 0
    status_without_hold: str = "pending"


def review_counts(review: ReviewResult) -> ReviewCounts:
    from validators.review import decide_status

    sensitive = [f for f in review.findings if f.rule == SENSITIVE_RULE]
    hits = sum(len(f.evidence) for f in sensitive if f.outcome in ("fail", "needs_review"))
    others = [f for f in review.findings if f.rule != SENSITIVE_RULE]
    return ReviewCounts(
        review_status=review.status,
        failed_rules=sum(1 for f in review.findings if f.outcome == "fail"),
        review_rules=sum(1 for f in review.findings if f.outcome == "needs_review"),
        sensitive_hits=hits,
        status_without_hold=decide_status(others),
    )


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO UPDATE for many listing rows at once (executemany)."""
    if not rows:
        return
    L = UISubmissionListing
    dialect = session.get_bind().dialect.name
    stmt: Any = sqlite.insert(L) if dialect == "sqlite" else postgresql.insert(L)
    stmt = stmt.on_conflict_do_update(
        index_elements=["submission_id"],
        set_={k: stmt.excluded[k] for k in rows[0] if k != "submission_id"},
    )
    for i in range(0, len(rows), 1000):
        session.execute(stmt, rows[i : i + 1000])


def effective_status(
    sub_status: str, failed_docs: int, counts: ReviewCounts, hold_cleared: bool, busy: bool
) -> str:
    if busy:
        return "processing"
    if sub_status == "pending":
        return "failed" if failed_docs else "processing"
    if counts.review_status == "held" and hold_cleared:
        return counts.status_without_hold
    return counts.review_status if counts.review_status != "pending" else sub_status


@with_retry
def sync_listing(
    index: Index, store: ObjectStore, submission_id: str | None = None, *, force: bool = False
) -> int:
    """Bring ``ui_submission_listing`` up to date with ``submissions`` and the reviews; returns
    how many rows changed. Cheap when nothing changed (one join)."""
    L, S = UISubmissionListing, Submission
    with index.session() as s, s.begin():
        q = select(S, L).outerjoin(L, L.submission_id == S.id)
        if submission_id is not None:
            q = q.where(S.id == submission_id)
        if not force:
            q = q.where(
                or_(
                    L.submission_id.is_(None),
                    L.source_updated_at.is_(None),
                    L.source_updated_at != S.updated_at,
                )
            )
        stale = s.execute(q).all()
        if not stale:
            return 0
        ids = [sub.id for sub, _ in stale]
        cleared = _holds_cleared(s, ids)
        busy = _busy(s, ids)
        values: list[dict[str, Any]] = []
        for sub, row in stale:
            counts = ReviewCounts(review_status=sub.status if sub.status != "pending" else "pending")
            if row is not None and row.review_key == sub.review_key and not force:
                counts = ReviewCounts(
                    review_status=row.review_status,
                    failed_rules=row.failed_rules,
                    review_rules=row.review_rules,
                    sensitive_hits=row.sensitive_hits,
                    status_without_hold=row.status_without_hold,
                )
            elif sub.review_key:
                review = load_review_key(store, sub.review_key)
                if review is not None:
                    counts = review_counts(review)
            status = effective_status(sub.status, sub.failed_count, counts, sub.id in cleared, sub.id in busy)
            values.append(
                {
                    "submission_id": sub.id,
                    "applicant_name": sub.applicant_name or "",
                    "uscc": (sub.uscc or "").upper(),
                    "region": sub.region or "",
                    "solution_name": sub.solution_name or "",
                    "status": status,
                    "review_status": counts.review_status,
                    "status_without_hold": counts.status_without_hold,
                    "hold_cleared": sub.id in cleared,
                    "failed_rules": counts.failed_rules,
                    "review_rules": counts.review_rules,
                    "sensitive_hits": counts.sensitive_hits,
                    "documents_count": sub.documents_count,
                    "last_processed": sub.reviewed_at.strftime("%Y-%m-%dT%H:%M:%S")
                    if sub.reviewed_at
                    else "",
                    "review_key": sub.review_key,
                    # a job or a decision forces a re-sync by clearing this
                    "source_updated_at": None if sub.id in busy else sub.updated_at,
                    "synced_at": utcnow(),
                }
            )
        _upsert(s, values)
        return len(stale)


def _holds_cleared(s: Session, ids: list[str]) -> set[str]:
    cleared: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        latest = (
            select(UIDecision.submission_id, func.max(UIDecision.id).label("mid"))
            .where(UIDecision.submission_id.in_(chunk), UIDecision.rule == SENSITIVE_RULE)
            .group_by(UIDecision.submission_id)
            .subquery()
        )
        rows = s.execute(
            select(UIDecision.submission_id, UIDecision.action).join(latest, UIDecision.id == latest.c.mid)
        )
        cleared.update(sid for sid, action in rows if action == "clear_hold")
    return cleared


def _busy(s: Session, ids: list[str]) -> set[str]:
    busy: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        busy.update(
            s.execute(
                select(UIJob.submission_id).where(
                    UIJob.submission_id.in_(chunk), UIJob.state.in_(("queued", "running"))
                )
            ).scalars()
        )
    return busy


@with_retry
def mark_listing_stale(index: Index, submission_id: str) -> None:
    with index.session() as s, s.begin():
        s.execute(
            update(UISubmissionListing)
            .where(UISubmissionListing.submission_id == submission_id)
            .values(source_updated_at=None)
        )


# ------------------------------------------------------------------------- reviews, results


def load_review_key(store: ObjectStore, key: str) -> ReviewResult | None:
    if parse_review_key(key) is None:
        return None
    try:
        return ReviewResult.model_validate_json(store.get_bytes(key))
    except (ObjectNotFoundError, ValidationError):
        return None


def latest_review(store: ObjectStore, index: Index, submission_id: str) -> tuple[ReviewResult, str] | None:
    """The submission's newest review: the index's pointer, else the newest in the store."""
    validate_submission_id(submission_id)
    sub = index.submission(submission_id)
    keys: list[str] = []
    if sub is not None and sub.review_key:
        keys.append(sub.review_key)
    stored = sorted(i.key for i in store.list(f"reviews/{submission_id}/") if i.key.endswith(".json"))
    if stored:
        keys.insert(0, stored[-1]) if not keys or stored[-1] > keys[0] else keys.append(stored[-1])
    for key in keys:
        review = load_review_key(store, key)
        if review is not None:
            return review, key
    return None


def load_declared(store: ObjectStore, submission_id: str) -> Declared | None:
    key = declared_key(submission_id)
    try:
        return parse_declared(store.get_bytes(key), key)
    except (ObjectNotFoundError, DeclaredDataError):
        return None


def document_of(review: ReviewResult, name: str) -> DocumentSummary | None:
    return next((d for d in review.documents if d.name == name), None)


def load_result(store: ObjectStore, doc: DocumentSummary, version: str) -> ExtractionResult | None:
    try:
        raw = store.get_bytes(result_key(doc.sha256, version))
        return ExtractionResult.model_validate_json(raw)
    except (ObjectNotFoundError, ValidationError):
        return None


def result_json(store: ObjectStore, doc: DocumentSummary, version: str) -> bytes | None:
    try:
        return store.get_bytes(result_key(doc.sha256, version))
    except ObjectNotFoundError:
        return None


def page_png(
    store: ObjectStore, doc: DocumentSummary, version: str, page: int, submission_id: str | None = None
) -> bytes | None:
    """The page as stored (OCR pages), else rendered from the uploaded PDF (text-layer pages get
    no stored image; see ``pipeline.page_reader.vector_page_png``)."""
    if page < 0 or page >= max(doc.pages, 1):
        return None
    stored = stored_page_image(store, doc.sha256, version, page)
    if stored is not None:
        return stored
    if submission_id is None:
        return None
    try:
        data = store.get_bytes(upload_key(submission_id, doc.name))
    except (ObjectNotFoundError, EvidenceError):
        return None
    if sha256_of(data) != doc.sha256:  # the upload changed since: do not show another document
        return None
    return vector_page_png(data, page)


# ------------------------------------------------------------------- declared vs extracted


def _norm(value: object) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).upper()


@dataclass
class Comparison:
    label: str
    declared: str
    extracted: list[dict[str, Any]] = field(default_factory=list)
    verdict: Literal["same", "different", "missing", "info"] = "info"


def _found(results: list[ExtractionResult], doc_types: tuple[str, ...], name: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in results:
        if r.document.doc_type not in doc_types:
            continue
        for f in r.fields:
            if f.name == name and f.value not in (None, ""):
                out.append(
                    {
                        "value": str(f.value),
                        "document": r.document.name,
                        "page": f.page,
                        "confidence": f.confidence,
                    }
                )
    return out


def compare_declared(declared: Declared, results: list[ExtractionResult]) -> list[Comparison]:
    """Rows of declared value vs what the documents say, with a verdict per row."""
    rows: list[Comparison] = []

    def add(label: str, value: str | None, found: list[dict[str, Any]]) -> None:
        row = Comparison(label, value or "", found)
        if not value:
            row.verdict = "info"
        elif not found:
            row.verdict = "missing"
        else:
            row.verdict = "same" if all(_norm(f["value"]) == _norm(value) for f in found) else "different"
        rows.append(row)

    lic = ("business_license",)
    add("申报单位 applicant", declared.applicant.name, _found(results, lic, "company_name"))
    add("统一社会信用代码 uscc", declared.applicant.uscc, _found(results, lic, "uscc"))
    add(
        "法定代表人 legal_representative",
        declared.applicant.legal_representative,
        _found(results, lic, "legal_representative"),
    )
    add("住所 address", declared.applicant.address, _found(results, lic, "address"))
    add("合同乙方 contract party_b", declared.applicant.name, _found(results, ("contract",), "party_b"))
    rows.append(Comparison("申报区域 region", declared.solution.region or "", [], "info"))
    rows.append(
        Comparison(
            "解决方案 solution",
            declared.solution.name,
            _found(results, ("commitment_letter",), "solution_name"),
            "info",
        )
    )
    from extractors.compat import normalize_product

    entries = [
        (r, e)
        for r in results
        if r.document.doc_type in ("compat_certificate", "test_report")
        for e in r.compatibility
    ]
    for category, text in declared.solution.adapted.items():
        match = normalize_product(text, category)
        hits = [
            {
                "value": f"{e.name}（{e.canonical}）",
                "document": r.document.name,
                "page": e.page,
                "confidence": e.confidence,
            }
            for r, e in entries
            if match is not None and match.accepts(e.canonical, e.version)
        ]
        row = Comparison(f"适配 {category}", text, hits[:3], "same" if hits else "missing")
        rows.append(row)
    counts_by = {
        "patents": "patent_certificate",
        "software_copyrights": "software_copyright",
        "honors": "honor_certificate",
    }
    for key, doc_type in counts_by.items():
        n = int(declared.solution.counts.get(key, 0) or 0)
        have = [r for r in results if r.document.doc_type == doc_type]
        if n or have:
            found = [{"value": f"{len(have)} 份", "document": None, "page": None, "confidence": None}]
            rows.append(Comparison(f"数量 {key}", str(n), found, "same" if len(have) >= n else "different"))
    return rows


# --------------------------------------------------------------------------------- decisions


class DecisionView(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    submission_id: str
    rule: str
    action: str
    reason: str
    outcome: str | None
    review_key: str | None
    username: str
    created_at: datetime


@with_retry
def record_decision(
    index: Index,
    submission_id: str,
    rule: str,
    action: str,
    reason: str,
    outcome: str | None,
    review_key: str | None,
    username: str,
) -> DecisionView:
    with index.session() as s, s.begin():
        row = UIDecision(
            submission_id=submission_id,
            rule=rule,
            action=action,
            reason=reason,
            outcome=outcome,
            review_key=review_key,
            username=username,
            created_at=utcnow(),
        )
        s.add(row)
        s.flush()
        return DecisionView.model_validate(row)


@with_retry
def current_decisions(index: Index, submission_id: str) -> dict[str, DecisionView]:
    """The newest decision per rule of a submission (whatever review it was made on)."""
    with index.session() as s:
        rows = s.execute(
            select(UIDecision).where(UIDecision.submission_id == submission_id).order_by(UIDecision.id)
        ).scalars()
        return {r.rule: DecisionView.model_validate(r) for r in rows}


class AuditView(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)

    id: int
    at: datetime
    username: str
    action: str
    submission_id: str | None
    target: str | None
    detail: str
    ip: str | None


@with_retry
def audit_page(
    index: Index, *, submission_id: str = "", before: int | None = None, limit: int = 100
) -> list[AuditView]:
    with index.session() as s:
        q = select(UIAudit).order_by(UIAudit.id.desc()).limit(limit)
        if submission_id:
            q = q.where(UIAudit.submission_id == submission_id)
        if before is not None:
            q = q.where(UIAudit.id < before)
        return [AuditView.model_validate(r) for r in s.execute(q).scalars()]


def finding_by_rule(review: ReviewResult, rule: str) -> Finding | None:
    return next((f for f in review.findings if f.rule == rule), None)
