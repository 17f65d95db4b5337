"""materials.* — is everything there, and does the commitment letter list what was uploaded."""

from __future__ import annotations

from validators.context import ReviewContext, ref
from validators.materials_labels import label
from validators.names import normalize_name
from validators.rules import Verdict, rule


@rule("materials.required_present", "必备材料齐全")
def required_present(ctx: ReviewContext) -> Verdict:
    present = {ctx.doc_type(r) for r in ctx.results if r.status != "failure"}
    unreadable = {ctx.doc_type(r) for r in ctx.unreadable()}
    missing = [t for t in ctx.config.required_materials if t not in present]
    deployment = ctx.config.deployment_evidence
    no_deployment = not any(t in present for t in deployment)
    details = [f"已识别 found: {', '.join(sorted(label(t) for t in present)) or '无'}"]
    if not missing and not no_deployment:
        return Verdict("pass", "必备材料均已上传。", details=details)
    wanted = missing + (["/".join(deployment)] if no_deployment else [])
    if any(t in unreadable for t in missing) or (no_deployment and unreadable & set(deployment)):
        return Verdict(
            "needs_review",
            f"有材料无法读取，无法确认是否齐全：缺少 {', '.join(label(t) for t in wanted)}。",
            evidence=[ref(r) for r in ctx.unreadable()],
            details=details,
        )
    return Verdict("fail", f"缺少必备材料：{', '.join(label(t) for t in wanted)}。", details=details)


def _item_type(item: str, keywords: dict[str, list[str]]) -> str | None:
    text = normalize_name(item)
    # the most specific keyword wins (公开承诺书 before 承诺书)
    best: tuple[int, str] | None = None
    for doc_type, words in keywords.items():
        for w in words:
            if w in text and (best is None or len(w) > best[0]):
                best = (len(w), doc_type)
    return best[1] if best else None


@rule("materials.listed_in_commitment", "承诺书所列材料与上传材料一致", "warning")
def listed_in_commitment(ctx: ReviewContext) -> Verdict:
    letters = ctx.docs("commitment_letter")
    if not letters:
        return Verdict("not_applicable", "未上传申报承诺书，无法核对材料清单。")
    letter = letters[0]
    items = [f for f in ctx.fields(letter, "materials")]
    listed: list[str] = []
    for f in items:
        listed.extend(f.value if isinstance(f.value, list) else [f.value])
    if not listed:
        return Verdict("needs_review", "未能从申报承诺书中读出材料清单，请人工核对。", evidence=[ref(letter)])
    uploaded: dict[str, int] = {}
    for r in ctx.results:
        t = ctx.doc_type(r)
        uploaded[t] = uploaded.get(t, 0) + 1
    listed_types: dict[str, int] = {}
    unknown: list[str] = []
    for item in listed:
        item_type = _item_type(str(item), ctx.config.material_keywords)
        if item_type is None:
            unknown.append(str(item))
        else:
            listed_types[item_type] = listed_types.get(item_type, 0) + 1
    missing = [t for t in listed_types if uploaded.get(t, 0) == 0]
    extra = [
        t for t in uploaded if t not in listed_types and t not in ("commitment_letter", "unknown", "other")
    ]
    evidence = [ref(letter, f) for f in items]
    details = [f"清单 listed: {'; '.join(map(str, listed))}"]
    if unknown:
        details.append(f"无法归类的清单项 unrecognised items: {'; '.join(unknown)}")
    if missing:
        return Verdict(
            "fail",
            f"承诺书列出但未上传：{', '.join(label(t) for t in missing)}。",
            evidence=evidence,
            details=details,
        )
    if extra or unknown:
        msg = (
            "上传了承诺书未列出的材料：" + ", ".join(label(t) for t in extra)
            if extra
            else "清单中有无法归类的项目"
        )
        return Verdict("needs_review", msg + "。", evidence=evidence, details=details)
    return Verdict("pass", f"承诺书所列 {len(listed)} 项材料均已上传。", evidence=evidence, details=details)
