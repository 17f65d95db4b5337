"""form.*, compat.* and sensitive.* — the declared form against limits and the evidence."""

from __future__ import annotations

from typing import Any

from validators.context import ReviewContext, ref
from validators.materials_labels import label
from validators.model import EvidenceRef
from validators.rules import Verdict, rule


@rule("form.length_limits", "信息表字段长度符合限制")
def length_limits(ctx: ReviewContext) -> Verdict:
    texts: dict[str, str | None] = dict(ctx.declared.solution.texts)
    texts["name"] = ctx.declared.solution.name
    over: list[str] = []
    details: list[str] = []
    for key, limit in ctx.config.length_limits.items():
        text = texts.get(key)
        if text is None:
            continue
        # the platform counts every character once, whatever its width
        n = len(text)
        details.append(f"{limit.label}({key}): {n}/{limit.max}")
        if n > limit.max:
            over.append(f"{limit.label} {n} 字，超过 {limit.max} 字")
    if over:
        return Verdict("fail", "超出字数限制：" + "；".join(over) + "。", details=details)
    if not details:
        return Verdict("not_applicable", "申报数据中没有受字数限制的字段。")
    return Verdict("pass", "信息表各字段均在字数限制内。", details=details)


@rule("form.max_solutions", "同一单位申报不超过规定数量")
def max_solutions(ctx: ReviewContext) -> Verdict:
    limit = ctx.config.max_solutions_per_applicant
    subs = sorted(set(ctx.applicant_submissions) | {ctx.declared.submission_id})
    if len(subs) > limit:
        return Verdict(
            "fail", f"申报单位共有 {len(subs)} 个申报（{', '.join(subs)}），超过 {limit} 个的上限。"
        )
    return Verdict("pass", f"申报单位共有 {len(subs)} 个申报，未超过 {limit} 个。", details=subs)


@rule("form.counts_backed", "申报数量有证书支撑", "warning")
def counts_backed(ctx: ReviewContext) -> Verdict:
    counts = ctx.declared.solution.counts
    short: list[str] = []
    details: list[str] = []
    for key, doc_type in ctx.config.counts_backed_by.items():
        declared = int(counts.get(key, 0) or 0)
        if declared <= 0:
            continue
        have = len(ctx.docs(doc_type))
        details.append(f"{key}: 申报 {declared}，证书 {have}（{label(doc_type)}）")
        if have < declared:
            short.append(f"{key} 申报 {declared} 项，仅有 {have} 份{label(doc_type)}")
    if not details:
        return Verdict("not_applicable", "申报数据未填写专利、软著或荣誉数量。")
    if short:
        return Verdict("fail", "证书数量不足：" + "；".join(short) + "。", details=details)
    return Verdict("pass", "申报的专利、软著、荣誉数量均有证书支撑。", details=details)


@rule("compat.declared_backed", "申报适配产品有证明支撑")
def declared_backed(ctx: ReviewContext) -> Verdict:
    from extractors.compat import normalize_product

    declared = ctx.declared.solution.adapted.items()
    if not declared:
        return Verdict("not_applicable", "申报数据未填写适配的 CPU、操作系统、数据库或中间件。")
    evidence_docs = ctx.docs("compat_certificate", "test_report")
    entries: list[tuple[Any, Any]] = [(r, e) for r in evidence_docs for e in r.compatibility]
    backed: list[str] = []
    unbacked: list[str] = []
    unknown: list[str] = []
    used: set[int] = set()
    refs: list[EvidenceRef] = []
    for category, text in declared:
        match = normalize_product(text, category)
        if match is None:
            unknown.append(f"{text}（{category}）")
            continue
        hits = [(i, r, e) for i, (r, e) in enumerate(entries) if match.accepts(e.canonical, e.version)]
        if hits:
            used.update(i for i, _, _ in hits)
            _, r, e = hits[0]
            backed.append(f"{text} ← {r.document.name} 第{(e.page or 0) + 1}页「{e.name}」")
            refs.append(
                EvidenceRef(
                    document=r.document.name,
                    sha256=r.document.sha256,
                    page=e.page,
                    bbox=e.bbox,
                    field="compatibility",
                    value=e.canonical,
                )
            )
        else:
            unbacked.append(f"{text}（{match.canonical}）")
    undeclared = sorted({f"{e.name}（{e.canonical}）" for i, (_, e) in enumerate(entries) if i not in used})
    details = [f"有支撑 backed: {b}" for b in backed] + [f"无支撑 unbacked: {u}" for u in unbacked]
    details += [f"无法识别的申报产品 unrecognised: {u}" for u in unknown]
    details += [f"证明中有但未申报 evidenced, undeclared (info): {u}" for u in undeclared]
    if unbacked:
        return Verdict(
            "fail",
            "以下申报的适配产品没有兼容性证明或测试报告支撑：" + "、".join(unbacked) + "。",
            evidence=refs,
            details=details,
        )
    if unknown:
        return Verdict(
            "needs_review",
            "以下申报产品无法在产品目录中识别，请人工核对：" + "、".join(unknown) + "。",
            evidence=refs,
            details=details,
        )
    if ctx.unreadable("compat_certificate", "test_report") and not backed:
        return Verdict("needs_review", "兼容性证明无法读取，请人工核对。", details=details)
    return Verdict("pass", f"申报的 {len(backed)} 项适配产品均有证明支撑。", evidence=refs, details=details)


@rule("sensitive.none_found", "无敏感或涉密内容")
def none_found(ctx: ReviewContext) -> Verdict:
    hits = [(r, h) for r in ctx.results for h in r.sensitive]
    if not hits:
        unread = ctx.unreadable()
        if unread:
            return Verdict(
                "needs_review",
                "部分材料无法读取，未能完成敏感内容筛查：" + "、".join(r.document.name for r in unread),
                evidence=[ref(r) for r in unread],
            )
        return Verdict("pass", f"{len(ctx.results)} 份材料未发现敏感或涉密内容。")
    evidence = [
        EvidenceRef(
            document=r.document.name,
            sha256=r.document.sha256,
            page=h.page,
            bbox=h.bbox,
            field=h.rule,
            value=h.text,
        )
        for r, h in hits
    ]
    summary = "；".join(
        f"{r.document.name} 第{(h.page or 0) + 1}页 {h.category}「{h.text}」" for r, h in hits[:8]
    )
    if any(h.severity == "high" for _, h in hits):
        return Verdict(
            "fail", f"发现高风险敏感/涉密内容，材料暂停形式审查，须审核人员处理：{summary}", evidence=evidence
        )
    return Verdict(
        "needs_review", f"发现疑似敏感内容，请人工确认：{summary}", evidence=evidence, severity="warning"
    )
