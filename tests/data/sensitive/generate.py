"""Generate the synthetic part of the labelled set (``generated.yaml``), deterministically.

Run: ``.venv/bin/python tests/data/sensitive/generate.py`` (the output is committed).
Every personal number is fictional: resident IDs are built for made-up birth dates with a correct
GB 11643 check digit; card numbers are random digits with a Luhn check digit.
Subsets: ``clean`` (typed text) and ``ocr`` (spaces between characters, line breaks inside terms,
full-width forms, star look-alikes, one OCR look-alike character on a long term).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml
from stdnum import luhn
from stdnum.cn import ric

OUT = Path(__file__).with_name("generated.yaml")
rng = random.Random(20230131)

FILLER = [
    "本方案基于飞腾CPU与银河麒麟高级服务器操作系统V10构建，",
    "系统已在客户生产环境稳定运行两年，",
    "项目覆盖全省十四个地市的办公自动化业务，",
    "经第三方测试机构检测，各项性能指标满足要求。",
    "数据库采用达梦DM8，中间件采用东方通TongWeb。",
    "平台支持国产密码算法SM2/SM3/SM4，",
]

LEVELS = ["绝密", "机密", "秘密"]
PERIODS = ["", "1年", "5年", "10年", "30年", "长期", "6个月", "二十年"]
STARS = ["★", "☆", "*", "＊"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def fill() -> str:
    return "".join(rng.sample(FILLER, 2))


def resident_id(valid: bool = True) -> str:
    region = rng.choice(["110101", "350102", "440305", "510104", "320106"])
    birth = f"{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{region}{birth}{rng.randint(0, 999):03d}"
    check = ric.calc_check_digit(body)
    if not valid:
        check = rng.choice([c for c in "0123456789X" if c != check])
    return body + check


def bank_card(valid: bool = True) -> str:
    body = "6222" + "".join(rng.choice("0123456789") for _ in range(11))
    check = luhn.calc_check_digit(body)
    if not valid:
        check = str((int(check) + rng.randint(1, 9)) % 10)
    return body + check


def mobile() -> str:
    return rng.choice(["139", "138", "186", "177", "150"]) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def spaced(s: str) -> str:
    return " ".join(s)


def split_line(s: str) -> str:
    i = rng.randint(1, len(s) - 1)
    return s[:i] + "\n" + s[i:]


def item(i: str, subset: str, text: str, expect: list[dict[str, str]], note: str) -> dict[str, Any]:
    return {"id": i, "source": "generated", "subset": subset, "note": note, "text": text, "expect": expect}


def main() -> None:
    items: list[dict[str, Any]] = []
    n = 0

    def add(subset: str, text: str, expect: list[dict[str, str]], note: str) -> None:
        nonlocal n
        n += 1
        items.append(item(f"g{n:03d}", subset, text, expect, note))

    # classification marks, clean
    for level in LEVELS:
        for period in PERIODS:
            mark = f"{level}★{period}"
            add(
                "clean",
                f"{mark}\n{fill()}",
                [{"category": "classified", "text": mark}],
                "mark on its own line",
            )
            add(
                "clean",
                f"{fill()}（{mark}）{fill()}",
                [{"category": "classified", "text": mark}],
                "mark inline",
            )
    for value in ["绝密", "机密", "秘密", "内部"]:
        add(
            "clean",
            f"密级：{value}\n{fill()}",
            [{"category": "classified", "text": f"密级：{value}"}],
            "label",
        )
    for phrase in ["内部资料 严禁外传", "限内部传阅", "内部★", "商密★5年", "本文件含国家秘密，请妥善保管。"]:
        key = phrase.split("，")[0].replace("本文件含", "").split(" ")[-1]
        add(
            "clean",
            f"{fill()}\n{phrase}\n{fill()}",
            [{"category": "classified", "text": key}],
            "internal marks",
        )

    # classification marks, OCR noise
    for level in LEVELS:
        for period in rng.sample(PERIODS[1:], 4):
            star = rng.choice(STARS)
            mark = f"{level}{star}{period}"
            canon = f"{level}★{period}"
            noisy = [spaced(mark), split_line(mark), mark.translate(FULLWIDTH), mark]
            for k, v in enumerate(noisy):
                add(
                    "ocr",
                    f"{fill()}\n{v}\n{fill()}",
                    [{"category": "classified", "text": canon}],
                    f"ocr noise {k}",
                )
    for noisy_term in ["国家泌密", "国冢秘密", "限内部传闾", "严禁夘传"]:
        add(
            "ocr",
            f"本报告含{noisy_term}，{fill()}",
            [{"category": "classified", "text": noisy_term}],
            "one look-alike character",
        )

    # negatives: commitment letter and ordinary words
    negatives = [
        "我单位申报的所有材料，均真实、完整，且不涉及国家秘密，如有不实，自愿承担相应的责任。",
        "在不涉及商业机密的情况下，我单位自愿公开本材料供主办单位和承办单位用于学习交流分享。",
        "请勿填报任何敏感或涉密内容！",
        "本系统为非涉密信息系统，部署于互联网区。",
        "申报材料无涉密内容。",
        "平台通过国密算法保证数据的机密性、完整性和可用性。",
        "双方应对在合作中知悉的商业秘密和技术秘密承担保密义务。",
        "用户可通过手机密码或短信验证码登录。",
        "本公司具有涉密信息系统集成资质。",
        "依据《中华人民共和国保守国家秘密法》开展保密管理工作。",
        "系统支持机密计算，基于可信执行环境保护内存数据。",
        "是否涉密：否",
        "涉密内容：无",
        "加强内部控制和内部审计，规范内部管理流程。",
        "该方案已修复全部已公开漏洞，并提供补丁升级服务。",
        "门户系统按部门划分内部通知栏目。",
    ]
    for t in negatives:
        add("clean", f"{fill()}{t}{fill()}", [], "tricky negative")
    for t in negatives[:6]:
        add("ocr", split_line(t), [], "tricky negative, line split")

    # personal identifiers
    for _ in range(8):
        rid = resident_id()
        add(
            "clean",
            f"被授权人：赵某某，身份证号：{rid}，{fill()}",
            [{"category": "personal", "text": rid}],
            "valid ID",
        )
    for _ in range(4):
        rid = resident_id(valid=False)
        add("clean", f"{fill()}编号{rid}。", [], "ID-shaped number with a wrong check digit, no context")
    for _ in range(6):
        card = bank_card()
        add(
            "clean",
            f"收款银行卡号：{card}，开户行：某银行。",
            [{"category": "personal", "text": card}],
            "Luhn-valid card",
        )
    for _ in range(4):
        card = bank_card(valid=False)
        add("clean", f"报告编号：{card}。{fill()}", [], "16-digit number failing Luhn")
    for _ in range(6):
        m = mobile()
        add("clean", f"项目负责人 钱某，手机：{m}。", [{"category": "personal", "text": m}], "mobile")
    add("clean", "联系电话：0591-87654321", [{"category": "personal", "text": "0591-87654321"}], "landline")
    add(
        "clean",
        "邮箱：qianmou@example.com",
        [{"category": "personal", "text": "qianmou@example.com"}],
        "email",
    )
    add("clean", "护照号码：E12345678", [{"category": "personal", "text": "E12345678"}], "passport")
    add("clean", "软件版本：V10.1.2.3，构建号20230101。", [], "version string, not IP")

    # keywords
    kw = [
        ("military", "附件包含作战方案及兵力部署图。", "作战方案|兵力部署"),
        ("military", "61398部队驻地网络改造。", "61398部队"),
        ("military", "该型号研制任务的技术指标如下。", "型号研制任务"),
        ("vulnerability", "发现一个未公开漏洞，漏洞利用代码见附件。", "未公开漏洞|漏洞利用代码"),
        ("vulnerability", "附上远程代码执行漏洞的复现步骤。", "远程代码执行漏洞"),
        ("network", "详见网络拓扑图与内网网段规划。", "网络拓扑图|内网网段"),
        ("network", "核心交换机管理地址为 10.12.0.1。", "10.12.0.1"),
        ("network", "数据库服务器 192.168.10.25/24。", "192.168.10.25/24"),
        ("credential", "数据库账号 admin 密码：Xc#2021db", "密码:Xc#2021db"),
        ("credential", "-----BEGIN RSA PRIVATE KEY-----", "BEGIN RSA PRIVATE KEY"),
        ("credential", "设备默认口令为 admin123。", "默认口令"),
    ]
    for cat, t, key in kw:
        keys = [{"category": cat, "text": k} for k in key.split("|")]
        add("clean", f"{fill()}{t}", keys, f"keyword {cat}")
    for cat, t, key in kw[:6]:
        keys = [{"category": cat, "text": k} for k in key.split("|")]
        add("ocr", spaced(t), keys, f"keyword {cat}, spaced")
    OUT.write_text(
        "# 生成的标注集（generated labelled set）— 由 generate.py 生成，勿手改。\n"
        "# 个人号码均为虚构：身份证号按 GB 11643 计算校验码，银行卡号按 Luhn 计算校验码。\n"
        + yaml.safe_dump({"items": items}, allow_unicode=True, sort_keys=False, width=200),
        encoding="utf-8",
    )
    print(f"{len(items)} items → {OUT}")


if __name__ == "__main__":
    main()
