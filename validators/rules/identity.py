"""identity.* and license.* — the applicant on the licence is the declared applicant."""

from __future__ import annotations

import contextlib
import io
from functools import cache
from typing import Any

from extractors import uscc as uscc_mod
from validators.context import ReviewContext, ref
from validators.model import EvidenceRef
from validators.names import compare_names
from validators.rules import Verdict, parse_iso, rule


def _licence_unreadable(ctx: ReviewContext) -> Verdict | None:
    if ctx.docs("business_license"):
        return None
    if ctx.unreadable("business_license"):
        return Verdict(
            "needs_review", "营业执照无法读取，请人工核对。", evidence=[ref(r) for r in ctx.unreadable()]
        )
    return Verdict("not_applicable", "未上传营业执照。")


@rule("identity.uscc_valid", "统一社会信用代码校验位正确")
def uscc_valid(ctx: ReviewContext) -> Verdict:
    found = [(r, f) for r in ctx.results for f in ctx.fields(r, "uscc")]
    if not found:
        blocked = _licence_unreadable(ctx)
        if blocked is not None:
            return blocked
        if any(ctx.fields(r, "registration_number") for r in ctx.docs("business_license")):
            return Verdict(
                "needs_review",
                "营业执照为旧版（15位注册号），无统一社会信用代码，请人工核对。",
                evidence=[
                    ref(r, f)
                    for r in ctx.docs("business_license")
                    for f in ctx.fields(r, "registration_number")
                ],
            )
        return Verdict(
            "needs_review",
            "未能从营业执照读出统一社会信用代码，请人工核对。",
            evidence=[ref(r) for r in ctx.docs("business_license")],
        )
    bad = [(r, f) for r, f in found if not uscc_mod.is_valid(str(f.value))]
    if bad:
        return Verdict(
            "fail",
            "统一社会信用代码校验失败："
            + "、".join(f"{f.value}（{r.document.name} 第{(f.page or 0) + 1}页）" for r, f in bad),
            evidence=[ref(r, f) for r, f in bad],
        )
    return Verdict(
        "pass",
        f"读出的 {len(found)} 个统一社会信用代码均校验通过。",
        evidence=[ref(r, f) for r, f in found][:5],
    )


@rule("identity.uscc_matches_declared", "营业执照信用代码与申报一致")
def uscc_matches_declared(ctx: ReviewContext) -> Verdict:
    declared = ctx.declared.applicant.uscc
    if not declared:
        return Verdict("not_applicable", "申报数据未填写统一社会信用代码。")
    blocked = _licence_unreadable(ctx)
    if blocked is not None:
        return blocked
    pairs = [(r, f) for r in ctx.docs("business_license") for f in ctx.fields(r, "uscc")]
    if not pairs:
        return Verdict(
            "needs_review",
            f"未能从营业执照读出信用代码，申报为 {declared}，请人工核对。",
            evidence=[ref(r) for r in ctx.docs("business_license")],
        )
    declared_c = uscc_mod.compact(declared)
    for r, f in pairs:
        if uscc_mod.compact(str(f.value)) == declared_c:
            return Verdict("pass", f"营业执照信用代码 {f.value} 与申报一致。", evidence=[ref(r, f)])
    r, f = pairs[0]
    return Verdict(
        "fail", f"营业执照信用代码为 {f.value}，申报为 {declared}，两者不一致。", evidence=[ref(r, f)]
    )


@rule("identity.name_matches_declared", "营业执照名称与申报单位一致")
def name_matches_declared(ctx: ReviewContext) -> Verdict:
    blocked = _licence_unreadable(ctx)
    if blocked is not None:
        return blocked
    expected = ctx.declared.applicant.name
    pairs = [(r, f) for r in ctx.docs("business_license") for f in ctx.fields(r, "company_name")]
    if not pairs:
        return Verdict(
            "needs_review",
            f"未能从营业执照读出名称，申报单位为「{expected}」，请人工核对。",
            evidence=[ref(r) for r in ctx.docs("business_license")],
        )
    best = None
    for r, f in pairs:
        verdict, score = compare_names(str(f.value), expected, ctx.config.name_similarity_for_review)
        if verdict == "same":
            return Verdict("pass", f"营业执照名称「{f.value}」与申报单位一致。", evidence=[ref(r, f)])
        if best is None or score > best[2]:
            best = (r, f, score, verdict)
    assert best is not None
    r, f, score, verdict = best
    if verdict == "similar":
        return Verdict(
            "needs_review",
            f"营业执照名称「{f.value}」与申报单位「{expected}」相近但不相同"
            f"（相似度 {score:.2f}），请人工确认。",
            evidence=[ref(r, f)],
        )
    return Verdict("fail", f"营业执照名称「{f.value}」与申报单位「{expected}」不一致。", evidence=[ref(r, f)])


@rule("identity.region_matches", "申报区域与注册地一致")
def region_matches(ctx: ReviewContext) -> Verdict:
    region = ctx.declared.solution.region
    if not region:
        return Verdict("not_applicable", "申报数据未填写申报区域。")
    region = region.removesuffix("区域")
    sources: list[tuple[str, str, EvidenceRef | None]] = []  # (how, province, evidence)
    for r in ctx.docs("business_license"):
        for f in ctx.fields(r, "uscc"):
            # the division code (characters 3-8) stands even when the check digit is wrong
            prov = uscc_mod.province_of(str(f.value))
            if prov:
                how = "信用代码行政区划码" + ("" if uscc_mod.is_valid(str(f.value)) else "（校验位错误）")
                sources.append((how, prov, ref(r, f)))
                break
        for f in ctx.fields(r, "address"):
            prov = province_of_address(str(f.value))
            if prov:
                sources.append(("营业执照住所", prov, ref(r, f)))
            break
    declared_code = ctx.declared.applicant.uscc
    if not sources and declared_code:
        prov = uscc_mod.province_of(declared_code)
        if prov:
            sources.append(("申报信用代码行政区划码", prov, None))
    if not sources and ctx.declared.applicant.address:
        prov = province_of_address(ctx.declared.applicant.address)
        if prov:
            sources.append(("申报地址", prov, None))
    if not sources:
        return Verdict("needs_review", f"无法确定注册地所在省份，申报区域为{region}，请人工核对。")
    details = [f"{how}: {prov} → {ctx.regions.region_of(prov) or '?'}" for how, prov, _ in sources]
    evidence = [e for _, _, e in sources if e is not None]
    mismatched = [(how, prov) for how, prov, _ in sources if ctx.regions.region_of(prov) != region]
    if not mismatched:
        return Verdict(
            "pass", f"注册地（{sources[0][1]}）属于申报区域{region}。", evidence=evidence, details=details
        )
    how, prov = mismatched[0]
    return Verdict(
        "fail",
        f"{how}显示注册地为{prov}（{ctx.regions.region_of(prov) or '未知区域'}），与申报区域{region}不符。",
        evidence=evidence,
        details=details,
    )


@cache
def _jionlp() -> Any:
    # jionlp prints a banner on stdout when imported, which would corrupt `--json` output
    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp
    return jionlp


def province_of_address(address: str) -> str | None:
    """The province an address lies in, also from a city or county alone (jionlp's region
    table), or None."""
    try:
        parsed = _jionlp().parse_location(address, town_village=False)
    except Exception:  # jionlp raises on some junk; an address we cannot place gives no evidence
        return None
    province = parsed.get("province") if isinstance(parsed, dict) else None
    return str(province) if province else None


@rule("license.valid_on_date", "营业执照在参考日期有效")
def license_valid_on_date(ctx: ReviewContext) -> Verdict:
    blocked = _licence_unreadable(ctx)
    if blocked is not None:
        return blocked
    day = ctx.reference_date
    for r in ctx.docs("business_license"):
        starts = ctx.fields(r, "validity_start")
        ends = ctx.fields(r, "validity_end")
        if not starts and not ends:
            continue
        start = parse_iso(starts[0].value) if starts else None
        end_f = ends[0] if ends else None
        end = parse_iso(end_f.value) if end_f else None
        evidence = [ref(r, f) for f in (starts[:1] + ends[:1])]
        if start and start > day:
            return Verdict("fail", f"营业期限自 {start} 起，晚于参考日期 {day}。", evidence=evidence)
        if end_f is not None and end is not None and end < day:
            return Verdict(
                "fail", f"营业期限至 {end} 止，早于参考日期 {day}，执照已过期。", evidence=evidence
            )
        span = "长期" if end is None else str(end)
        return Verdict("pass", f"营业期限（{start or '?'} 至 {span}）覆盖参考日期 {day}。", evidence=evidence)
    return Verdict(
        "needs_review",
        "未能从营业执照读出营业期限，请人工核对。",
        evidence=[ref(r) for r in ctx.docs("business_license")],
    )
