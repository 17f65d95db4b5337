"""Sensitive-content screening (issue 5): per-category positives and negatives, OCR noise,
checksums, allow-list, masking, bbox mapping, levels."""

from __future__ import annotations

import time

import pytest
from stdnum import luhn
from stdnum.cn import ric

from extractors.sensitive import (
    AllowList,
    load_config,
    screen_document,
    screen_text,
    sensitivity_level,
    summarize,
)
from extractors.sensitive.checksums import private_ipv4, resident_id_valid
from extractors.sensitive.config import load_config_uncached
from pipeline.content import DocumentContent, PageContent
from pipeline.model import PageInfo, SensitiveHit, Word

THR = load_config().screening.finding_threshold


def findings(text: str, allow: AllowList | None = None) -> list[SensitiveHit]:
    return [h for h in screen_text(text, allow) if h.score >= THR]


def rules(text: str, allow: AllowList | None = None) -> list[str]:
    return [h.rule for h in findings(text, allow)]


def valid_id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17)


def luhn_card(body: str) -> str:
    return body + luhn.calc_check_digit(body)


# -- classification markings ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected_text",
    [
        ("机密★1年", "机密★1年"),
        ("秘密★长期", "秘密★长期"),
        ("绝密★", "绝密★"),
        ("秘密★6个月\n关于系统建设的请示", "秘密★6个月"),
        ("机密★二十年", "机密★二十年"),
        ("密级：机密", "密级:机密"),
        ("文件密级：秘密★10年", "文件密级:秘密★10年"),
        ("内部★", "内部★"),
        ("商密★3年", "商密★3年"),
        ("该资料严禁外传。", "严禁外传"),
        ("本纪要限内部传阅。", "限内部传阅"),
        ("该数据库存储的数据涉及国家秘密。", "国家秘密"),
        ("系统部署在客户涉密内网。", "涉密"),
        ("机密\n关于某项目的报告", "机密"),
        ("绝密文件目录", "绝密"),
    ],
)
def test_classification_positive(text: str, expected_text: str) -> None:
    hits = findings(text)
    assert [h.rule for h in hits] == ["classification_mark"]
    assert hits[0].text == expected_text
    assert hits[0].severity == "high" and hits[0].category == "classified"
    assert any("pattern" in e for e in hits[0].explanation)


@pytest.mark.parametrize(
    "text",
    [
        "我单位申报的所有材料，均真实、完整，且不涉及国家秘密，如有不实，自愿承担相应的责任。",
        "在不涉及商业机密的情况下，我单位自愿公开本材料供主办单位和承办单位用于学习交流分享。",
        "请勿填报任何敏感或涉密内容！",
        "本系统为非涉密系统。",
        "申报材料无涉密内容。",
        "是否涉密：否",
        "涉密内容：无",
        "保障数据的机密性和完整性。",
        "基于鲲鹏的机密计算方案。",
        "乙方应保守甲方的商业秘密和技术秘密。",
        "双方不得泄露国家秘密。",
        "依据《中华人民共和国保守国家秘密法》。",
        "用户可使用手机密码登录。",
        "公司具有涉密信息系统集成甲级资质。",
        "成功的秘密在于持续投入研发。",
        "门户提供内部通知、内部邮件功能。",
        "加强内部控制和内部审计。",
        "本系统不处理涉密信息。",
        "召开内部会议，机密大楼。",
    ],
)
def test_classification_negative(text: str) -> None:
    assert [h for h in findings(text) if h.category == "classified"] == []


# -- OCR robustness ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected_text",
    [
        ("机 密 ★ 1 年", "机密★1年"),
        ("机密\n★1年", "机密★1年"),
        ("机\n密★1年", "机密★1年"),
        ("秘密☆长期", "秘密☆长期"),
        ("秘密＊１年", "秘密*1年"),
        ("绝密*5年", "绝密*5年"),
        ("机蜜★1年", "机蜜★1年"),  # one look-alike in the level word
        ("机密女1年", "机密女1年"),  # Tesseract read the ★ as 女 (scanned sample)
        ("本文件属于国家泌密。", "国家泌密"),  # confusion table
        ("限内部传闾", "限内部传闾"),
        ("本文件内容属于国家\n秘密。", "国家秘密"),
    ],
)
def test_classification_ocr_noise(text: str, expected_text: str) -> None:
    hits = [h for h in findings(text) if h.category == "classified"]
    assert len(hits) == 1
    assert hits[0].text == expected_text


def test_ocr_confusion_lowers_score_and_explains() -> None:
    clean = findings("该系统包含国家秘密。")[0]
    noisy = findings("该系统包含国家泌密。")[0]
    assert noisy.score < clean.score
    assert any("ocr_confusion" in e for e in noisy.explanation)


def test_wildcard_only_on_long_terms() -> None:
    # 武器装备型号 (6 chars) tolerates one arbitrary interior character; 涉密 (2 chars) does not
    assert rules("附件列出武器装甲型号参数。") == ["keyword.military"]
    assert rules("步密人员") == []


def test_two_substitutions_are_not_a_match() -> None:
    assert rules("本文件属于国冢泌密。") == []


# -- keywords ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, rule",
    [
        ("附件包含作战方案。", "keyword.military"),
        ("61398部队驻地网络改造。", "keyword.military"),
        ("发现一个未公开漏洞。", "keyword.vulnerability"),
        ("附 0day 利用说明。", "keyword.vulnerability"),
        ("详见网络拓扑图。", "keyword.network"),
        ("核心交换机地址 10.12.0.1", "network.private_ip"),
        ("服务器 192.168.10.25/24", "network.private_ip"),
        ("-----BEGIN RSA PRIVATE KEY-----", "keyword.credential"),
        ("数据库账号 admin 密码：Xc#2021db", "credential.password"),
        ("成员名单含家庭住址。", "keyword.personal"),
    ],
)
def test_keyword_positive(text: str, rule: str) -> None:
    assert rule in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "应用行业：国防科工。",
        "测试项目包括功能测试、性能测试和渗透测试。",
        "该方案已修复全部已公开漏洞。",
        "产品版本 V10.1.2.3。",
        "公网地址 8.8.8.8。",
        "172.15.0.1 不是私有地址。",
        "* 密码：请输入密码",
        "密码：******",
        "口令复杂度策略：长度不少于8位。",
        "支持 webshells2 检测",  # ASCII term inside a longer word
        "本项目不涉及作战方案。",
    ],
)
def test_keyword_negative(text: str) -> None:
    assert rules(text) == []


def test_keyword_list_is_data(tmp_path: pytest.TempPathFactory) -> None:
    """Adding a word to keywords.yaml needs no code."""
    import shutil
    from pathlib import Path

    src = Path(load_config().source_dir)
    dst = Path(str(tmp_path))
    for f in src.glob("*.yaml"):
        shutil.copy(f, dst / f.name)
    kw = (dst / "keywords.yaml").read_text(encoding="utf-8")
    (dst / "keywords.yaml").write_text(
        kw.replace("terms: [部队番号,", "terms: [某某工程代号,"), encoding="utf-8"
    )
    cfg = load_config_uncached(dst)
    assert [h.rule for h in screen_text("本项目属于某某工程代号。", config=cfg)] == ["keyword.military"]
    assert screen_text("本项目属于某某工程代号。") == []


# -- personal identifiers and checksums -------------------------------------------------------------
def test_resident_id_checksum() -> None:
    good = valid_id("11010519900307003")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert resident_id_valid(good) and not resident_id_valid(bad)
    assert not resident_id_valid("110105199013070035")  # month 13


def test_resident_id_hit_masked_and_scored() -> None:
    good = valid_id("35010219880512001")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    hit_good = next(h for h in screen_text(f"身份证号：{good}") if h.rule == "pii.resident_id")
    hit_bad = next(h for h in screen_text(f"身份证号：{bad}") if h.rule == "pii.resident_id")
    assert hit_good.text == good[:4] + "*" * 10 + good[-4:]
    assert good not in hit_good.context and good[4:14] not in hit_good.context
    assert hit_bad.score < hit_good.score  # failed checksum lowers, does not hide
    assert any("未通过" in e for e in hit_bad.explanation)
    assert any("通过" in e for e in hit_good.explanation)


def test_failed_checksum_without_context_is_below_threshold_but_reported() -> None:
    good = valid_id("44030519751111123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    hits = screen_text(f"编号{bad}。")
    assert hits and all(h.score < THR for h in hits)


@pytest.mark.parametrize(
    "number, valid",
    [(luhn_card("622202123456789012"), True), (luhn_card("622848001234567"), True)],
)
def test_bank_card_luhn(number: str, valid: bool) -> None:
    hits = [h for h in screen_text(f"银行卡号：{number}") if h.rule == "pii.bank_card"]
    assert len(hits) == 1 and hits[0].score >= THR
    assert hits[0].text.startswith(number[:4]) and "*" in hits[0].text
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    low = [h for h in screen_text(f"报告编号：{wrong}") if h.rule == "pii.bank_card"]
    assert all(h.score < THR for h in low)


@pytest.mark.parametrize(
    "text, rule, masked",
    [
        ("手机：13905910123", "pii.mobile", "139****0123"),
        ("手机：139-0591-0123", "pii.mobile", "139-****-0123"),
        ("电话：0591-87654321", "pii.landline", "0591-******21"),
        ("邮箱：qianmou@example.com", "pii.email", "q******@example.com"),
        ("护照号码：E12345678", "pii.passport", "E1*****78"),
    ],
)
def test_pii_positive_masked(text: str, rule: str, masked: str) -> None:
    hits = findings(text)
    assert [h.rule for h in hits] == [rule]
    assert hits[0].text == masked


@pytest.mark.parametrize(
    "text",
    [
        "合同编号：20210512001",
        "报告编号 CEPREI-2022-XC-0158",
        "证书编号：NO.2022-10-1035",
        "构建号 20230101",
        "型号 E12345678",  # passport-shaped, no passport context, negative context
    ],
)
def test_pii_negative(text: str) -> None:
    assert rules(text) == []


# -- allow-list ---------------------------------------------------------------------------------------
DECLARED = {
    "applicant": {
        "name": "福州闽信科技有限公司",
        "legal_representative": "张三",
        "contact": {"name": "李四", "phone": "13800000000", "email": "lisi@minxin.example.cn"},
    }
}


def test_allow_list_from_declared() -> None:
    allow = AllowList.from_declared(DECLARED)
    assert allow.names == ["李四", "张三"]
    assert allow.phones == ["13800000000"]
    assert allow.emails == ["lisi@minxin.example.cn"]


def test_declared_contact_is_not_a_finding() -> None:
    allow = AllowList.from_declared(DECLARED)
    text = "联系人：李四，手机：138 0000 0000，邮箱：lisi@minxin.example.cn"
    assert rules(text) == ["pii.mobile", "pii.email"]
    assert rules(text, allow) == []
    assert rules("联系人：王五，手机：13912345678", allow) == ["pii.mobile"]
    rid = valid_id("11010519900307003")
    assert rules(f"兹授权李四（身份证号：{rid}）办理注册", allow) == []
    assert rules(f"兹授权王五（身份证号：{rid}）办理注册", allow) == ["pii.resident_id"]


# -- context enhancer -------------------------------------------------------------------------------
def test_context_words_raise_and_lower() -> None:
    card = luhn_card("622202123456789012")
    with_ctx = next(h for h in screen_text(f"银行卡号：{card}") if h.rule == "pii.bank_card")
    neutral = next(h for h in screen_text(f"数值{card}") if h.rule == "pii.bank_card")
    lowered = [h for h in screen_text(f"证书号：{card}") if h.rule == "pii.bank_card"]
    assert with_ctx.score > neutral.score
    assert any("context" in e and "卡号" in e for e in with_ctx.explanation)
    assert not lowered or lowered[0].score < neutral.score


def test_every_hit_explains_itself() -> None:
    for h in screen_text("机密★1年\n身份证号：110105199003070035\n详见网络拓扑图"):
        assert h.explanation and h.explanation[-1].startswith("最终分值")
        assert h.rule and h.category and h.context


# -- bbox mapping -----------------------------------------------------------------------------------
def _page(words: list[Word], index: int = 2) -> PageContent:
    return PageContent(index=index, info=PageInfo(index=index, text_source="ocr", reason="test"), words=words)


def test_bbox_is_union_of_covered_characters() -> None:
    # "测试报告" then "机" "密" "★1年" as separate OCR tokens on one header line
    words = [
        Word(text="机", bbox=(0.10, 0.04, 0.12, 0.06), line=0),
        Word(text="密", bbox=(0.12, 0.04, 0.14, 0.06), line=0),
        Word(text="★1年", bbox=(0.14, 0.04, 0.20, 0.06), line=0),
        Word(text="本报告共三页，测试结论合格。", bbox=(0.10, 0.30, 0.90, 0.32), line=1),
    ]
    doc = DocumentContent(name="r.pdf", sha256="0" * 64, media_type="application/pdf", pages=[_page(words)])
    hits = screen_document(doc)
    assert len(hits) == 1
    h = hits[0]
    assert h.page == 2 and h.text == "机密★1年"
    assert h.bbox == (0.10, 0.04, 0.20, 0.06)
    assert any("页眉" in e for e in h.explanation)


def test_bbox_partial_word_and_split_line() -> None:
    words = [
        Word(text="本文件内容属于国家", bbox=(0.10, 0.50, 0.55, 0.52), line=0),  # 9 chars
        Word(text="秘密，未经批准不得复制。", bbox=(0.10, 0.53, 0.70, 0.55), line=1),  # 12 chars
    ]
    doc = DocumentContent(
        name="x.pdf", sha256="0" * 64, media_type="application/pdf", pages=[_page(words, 0)]
    )
    (h,) = screen_document(doc)
    assert h.text == "国家秘密"
    x0, y0, x1, y1 = h.bbox or (0, 0, 0, 0)
    # union: the last 2 chars of line 0 and the first 2 of line 1
    assert x0 == pytest.approx(0.10) and y0 == pytest.approx(0.50) and y1 == pytest.approx(0.55)
    assert x1 == pytest.approx(0.55)  # "国家" is the last 2 of 9 chars of 0.10–0.55
    assert not any("页眉" in e for e in h.explanation)


def test_header_footer_raises_classification_score() -> None:
    def score_at(y: float) -> float:
        words = [Word(text="XX公司内部资料注意保存说明", bbox=(0.1, y, 0.6, y + 0.02), line=0)]
        doc = DocumentContent(name="x", sha256="0" * 64, media_type="x", pages=[_page(words, 0)])
        return max(h.score for h in screen_document(doc))

    assert score_at(0.95) > score_at(0.5)


# -- levels and summary -----------------------------------------------------------------------------
def test_levels_and_hold() -> None:
    assert sensitivity_level([]) == "none"
    assert sensitivity_level(screen_text("手机：13905910123")) == "low"
    assert sensitivity_level(screen_text("身份证号：110105199003070035")) == "medium"
    s = summarize(screen_text("机密★1年"))
    assert s.level == "high" and s.held and s.outcome == "fail" and "sensitive.none_found" in s.message
    assert summarize(screen_text("我单位申报的材料不涉及国家秘密。")).outcome == "pass"


def test_config_validates() -> None:
    cfg = load_config()
    assert cfg is load_config()  # cached
    assert {kl.id for kl in cfg.keywords.lists} >= {"military", "vulnerability", "network", "credential"}
    assert all(kl.source for kl in cfg.keywords.lists)


def test_private_ip() -> None:
    assert private_ipv4("10.0.0.1") and private_ipv4("172.31.2.3/16") and private_ipv4("192.168.0.1")
    assert not private_ipv4("172.32.0.1") and not private_ipv4("8.8.8.8") and not private_ipv4("10.0.0.256")


def test_screening_a_page_takes_milliseconds() -> None:
    page = (
        "本方案基于飞腾CPU和银河麒麟操作系统，部署于客户数据中心，联系人：王五，电话：0591-87654321。\n"
    ) * 25
    screen_text(page)
    t = time.perf_counter()
    for _ in range(20):
        screen_text(page)
    assert (time.perf_counter() - t) / 20 < 0.05  # generous for a loaded CI box; bench reports ~3 ms
