"""seal.*, contract.* and deployment.* — the deployment evidence and who sealed what."""

from __future__ import annotations

from datetime import date

from pipeline.model import ExtractionResult
from validators.context import ReviewContext, ref
from validators.materials_labels import label
from validators.model import EvidenceRef
from validators.names import compare_names
from validators.rules import Verdict, parse_iso, rule

# Who is expected to have sealed each document type ("applicant" or the field naming the sealer).
SEAL_OWNER = {
    "authorization_letter": "applicant",
    "commitment_letter": "applicant",
    "disclosure_commitment": "applicant",
    "application_proof": "issuer",
    "contract": "party",
}


def _seal_ref(r: ExtractionResult, i: int) -> EvidenceRef:
    s = r.seals[i]
    return EvidenceRef(
        document=r.document.name,
        sha256=r.document.sha256,
        page=s.page,
        bbox=s.bbox,
        field="seal",
        value=s.text,
    )


@rule("seal.required", "应盖章材料已盖章")
def seal_required(ctx: ReviewContext) -> Verdict:
    docs = ctx.docs(*ctx.config.seal_required)
    if not docs:
        return Verdict("not_applicable", "没有需要盖章的材料。")
    unsealed: list[ExtractionResult] = []
    unread: list[ExtractionResult] = []
    for r in docs:
        if r.status == "failure":
            unread.append(r)
            continue
        pages = {s.page for s in r.seals}
        if ctx.doc_type(r) == "contract":
            # the signature page is the last one read
            last = max((p.index for p in r.pages), default=0)
            ok = last in pages
        else:
            ok = bool(pages)
        if not ok:
            unsealed.append(r)
    if unsealed:
        return Verdict(
            "fail",
            "以下材料未检测到印章："
            + "、".join(f"{r.document.name}（{label(ctx.doc_type(r))}）" for r in unsealed),
            evidence=[ref(r) for r in unsealed],
        )
    if unread:
        return Verdict(
            "needs_review",
            "部分材料无法读取，无法确认是否盖章：" + "、".join(r.document.name for r in unread),
            evidence=[ref(r) for r in unread],
        )
    return Verdict(
        "pass",
        f"{len(docs)} 份应盖章材料均检测到印章。",
        evidence=[_seal_ref(r, 0) for r in docs if r.seals][:6],
    )


def _expected_sealers(ctx: ReviewContext, r: ExtractionResult) -> list[str]:
    owner = SEAL_OWNER.get(ctx.doc_type(r))
    if owner == "applicant":
        return [ctx.declared.applicant.name]
    if owner == "issuer":
        return [str(f.value) for f in ctx.fields(r, "issuer")]
    if owner == "party":
        names: list[str] = []
        for field in ("party_a", "party_b"):
            for f in ctx.fields(r, field):
                names.extend(map(str, f.value) if isinstance(f.value, list) else [str(f.value)])
        return names
    return []


@rule("seal.name_matches", "印章单位名称正确")
def seal_name_matches(ctx: ReviewContext) -> Verdict:
    threshold = ctx.config.name_similarity_for_review
    checked = 0
    wrong: list[tuple[ExtractionResult, int, str]] = []
    unsure: list[tuple[ExtractionResult, int, str]] = []
    for r in ctx.docs(*SEAL_OWNER):
        expected = _expected_sealers(ctx, r)
        for i, seal in enumerate(r.seals):
            if not expected:
                continue
            if not seal.text:
                unsure.append((r, i, "印章文字未能识别"))
                continue
            checked += 1
            verdicts = [compare_names(seal.text, e, threshold) for e in expected]
            if any(v == "same" for v, _ in verdicts):
                continue
            best = max(verdicts, key=lambda v: v[1])
            if best[0] == "similar":
                unsure.append((r, i, f"印章「{seal.text}」与「{'/'.join(expected)}」相近（{best[1]:.2f}）"))
            else:
                wrong.append((r, i, f"印章「{seal.text}」不是「{'/'.join(expected)}」"))
    if wrong:
        return Verdict(
            "fail",
            "印章单位与应盖章单位不符：" + "；".join(f"{r.document.name}：{why}" for r, _, why in wrong),
            evidence=[_seal_ref(r, i) for r, i, _ in wrong + unsure],
        )
    if unsure:
        return Verdict(
            "needs_review",
            "以下印章需人工核对：" + "；".join(f"{r.document.name}：{why}" for r, _, why in unsure),
            evidence=[_seal_ref(r, i) for r, i, _ in unsure],
        )
    if checked == 0:
        return Verdict("not_applicable", "没有可核对文字的印章。")
    return Verdict("pass", f"{checked} 枚印章的单位名称均正确。")


@rule("contract.party_is_applicant", "合同乙方为申报单位")
def party_is_applicant(ctx: ReviewContext) -> Verdict:
    contracts = ctx.docs("contract")
    if not contracts:
        return Verdict("not_applicable", "未上传项目实施合同。")
    applicant = ctx.declared.applicant.name
    threshold = ctx.config.name_similarity_for_review
    results: list[tuple[str, ExtractionResult, str]] = []
    for r in contracts:
        parties = ctx.fields(r, "party_b")
        names = [n for f in parties for n in (f.value if isinstance(f.value, list) else [f.value])]
        if not names:
            results.append(("needs_review", r, "未读出乙方"))
            continue
        verdicts = [compare_names(str(n), applicant, threshold) for n in names]
        if any(v == "same" for v, _ in verdicts):
            results.append(("pass", r, f"乙方 {'、'.join(map(str, names))}"))
        elif any(v == "similar" for v, _ in verdicts):
            results.append(("needs_review", r, f"乙方「{'、'.join(map(str, names))}」与申报单位相近但不相同"))
        else:
            results.append(("fail", r, f"乙方为「{'、'.join(map(str, names))}」"))
    evidence = [ref(r, f) for _, r, _ in results for f in ctx.fields(r, "party_b")[:1]]
    fails = [x for x in results if x[0] == "fail"]
    if fails:
        return Verdict(
            "fail",
            f"合同乙方不是申报单位「{applicant}」："
            + "；".join(f"{r.document.name} {why}" for _, r, why in fails),
            evidence=evidence,
        )
    unsure = [x for x in results if x[0] == "needs_review"]
    if unsure:
        return Verdict(
            "needs_review",
            "请人工核对合同乙方：" + "；".join(f"{r.document.name} {why}" for _, r, why in unsure),
            evidence=evidence or [ref(r) for _, r, _ in unsure],
        )
    return Verdict("pass", f"{len(contracts)} 份合同的乙方（或联合体成员）均为申报单位。", evidence=evidence)


DEPLOYMENT_DATES = {
    "contract": ["sign_date", "effective_date", "term_start", "term_end", "acceptance_date"],
    "application_proof": ["issue_date", "deployment_start", "deployment_end"],
}
PRIMARY = {"sign_date", "issue_date"}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@rule("deployment.within_two_years", "近两年落地应用")
def within_two_years(ctx: ReviewContext) -> Verdict:
    docs = ctx.docs(*DEPLOYMENT_DATES)
    ref_day = ctx.reference_date
    years = ctx.config.deployment_window_years
    start = _years_before(ref_day, years)
    if not docs:
        if ctx.unreadable(*DEPLOYMENT_DATES):
            return Verdict("needs_review", "合同/应用证明无法读取，请人工核对落地时间。")
        return Verdict("fail", "未上传合同或应用证明，无法证明近两年落地应用。")
    window = f"{start} 至 {ref_day}"
    in_primary: list[EvidenceRef] = []
    in_secondary: list[tuple[EvidenceRef, str]] = []
    future: list[EvidenceRef] = []
    seen: list[str] = []
    for r in docs:
        for name in DEPLOYMENT_DATES[ctx.doc_type(r)]:
            for f in ctx.fields(r, name):
                d = parse_iso(f.value)
                if d is None:
                    continue
                seen.append(f"{r.document.name} {name}={d}")
                e = ref(r, f)
                if d > ref_day:
                    future.append(e)
                elif d >= start:
                    (in_primary.append(e) if name in PRIMARY else in_secondary.append((e, name)))
    details = [f"窗口 window: {window}", *seen]
    if future:
        return Verdict(
            "needs_review",
            f"有日期晚于参考日期 {ref_day}，请核实："
            + "、".join(f"{e.document} {e.field}={e.value}" for e in future),
            evidence=future + in_primary,
            details=details,
        )
    if in_primary:
        e = in_primary[0]
        return Verdict(
            "pass",
            f"{e.document} 的 {e.field}（{e.value}）在 {window} 内。",
            evidence=in_primary,
            details=details,
        )
    if in_secondary:
        e, name = in_secondary[0]
        return Verdict(
            "pass",
            f"合同签订早于窗口，但 {e.document} 的 {name}（{e.value}）在 {window} 内，实施或验收在近两年。",
            evidence=[x for x, _ in in_secondary],
            details=details,
        )
    if not seen:
        return Verdict(
            "needs_review",
            "未能从合同/应用证明读出日期，请人工核对。",
            evidence=[ref(r) for r in docs],
            details=details,
        )
    return Verdict(
        "fail",
        f"合同和应用证明的日期均不在 {window} 内。",
        evidence=[
            ref(r, f) for r in docs for n in DEPLOYMENT_DATES[ctx.doc_type(r)] for f in ctx.fields(r, n)
        ],
        details=details,
    )
