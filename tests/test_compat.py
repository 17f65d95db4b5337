"""信创 catalogue and compatibility-entry matching: declared free text, OCR noise, negatives, bboxes,
and (when present) the sample submissions' truth."""

from __future__ import annotations

import json
import time
import unicodedata
from pathlib import Path

import pytest

from extractors.catalogue import CATEGORIES, load_catalogue
from extractors.compat import find_compat_entries, normalize_product, normalize_products, page_compat_entries
from pipeline.content import DocumentContent, PageContent
from pipeline.model import PageInfo, Word

SAMPLES = Path(__file__).resolve().parents[1] / "sample_docs" / "submissions"

# Ids the sample generator (sample_docs/generate.py) spells differently from the catalogue.
GENERATOR_IDS = {"openeuler-20-03-lts": "openeuler-20.03-lts", "bes-appserver-v9": "bes-v9.5"}


# --- helpers ----------------------------------------------------------------------------------


def make_page(rows: list[list[tuple[str, float, float]]], index: int = 0) -> PageContent:
    """A page from rows of (text, x0, x1) words; row r spans y 0.1+0.04r .. 0.12+0.04r."""
    words = [
        Word(text=text, bbox=(x0, 0.1 + 0.04 * r, x1, 0.12 + 0.04 * r), line=r)
        for r, row in enumerate(rows)
        for text, x0, x1 in row
    ]
    return PageContent(
        index=index, info=PageInfo(index=index, text_source="text_layer", reason="test"), words=words
    )


def text_page(*lines: str) -> PageContent:
    """One word per line, left-aligned, short enough never to wrap."""
    return make_page([[(ln, 0.1, 0.1 + 0.012 * len(ln))] for ln in lines])


def ids(page: PageContent) -> list[str]:
    return [e.canonical for e in page_compat_entries(page)]


# --- catalogue --------------------------------------------------------------------------------


def test_catalogue_loads_with_every_category_and_the_named_ids() -> None:
    cat = load_catalogue()
    counts = cat.count_by_category()
    assert set(counts) == set(CATEGORIES) and all(n >= 10 for n in counts.values())
    for pid in (
        "phytium-ft2000plus-64", "phytium-d2000", "phytium-s2500", "phytium-s5000c", "kunpeng-920",
        "hygon-c86-7185", "hygon-3000", "loongson-3a5000", "loongson-3c5000", "loongson-3a6000",
        "zhaoxin-kx-6000", "zhaoxin-kh-40000", "sunway-1621", "sunway-3231",
        "kylin-server-v10", "kylin-desktop-v10", "neokylin-server-v7", "uos-server-v20", "uos-desktop-v20",
        "openeuler-22.03-lts", "nfs-server-v4", "deepin-v20", "anolis-8",
        "dameng-dm8", "kingbase-es-v8", "gbase-8a", "gbase-8s", "gbase-8c", "shentong-v7", "oceanbase-v4",
        "opengauss-5", "gaussdb", "tidb-v6", "tidb-v7", "polardb", "tdsql", "highgo-v6", "highgo-v9",
        "yashandb-v23", "tongweb-v7", "tonglinkq", "bes-v9.5", "inforsuite-as-v10", "apusic-as-v10",
        "primeton-eos", "thunisoft",
    ):  # fmt: skip
        assert pid in cat.products, pid
    for p in cat.products.values():
        assert p.id == p.id.lower() and " " not in p.id
        assert p.vendor.zh and p.vendor.en and p.names
    assert load_catalogue() is cat  # cached


# --- declared free text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category", "canonical", "level"),
    [
        ("银河麒麟V10", None, "kylin-server-v10", "exact"),
        ("麒麟 V10 SP1", "os", "kylin-server-v10", "exact"),
        ("银河麒麟高级服务器操作系统V10", None, "kylin-server-v10", "exact"),
        ("银河麒麟桌面操作系统V10", None, "kylin-desktop-v10", "exact"),
        ("Kylin V10", None, "kylin-server-v10", "exact"),
        ("KylinOS", None, "kylin-server", "family"),
        ("中标麒麟V7", None, "neokylin-server-v7", "exact"),
        ("麒麟信安", None, "kylinsec", "family"),
        ("统信UOS V20", None, "uos-server-v20", "exact"),
        ("UnionTech OS Desktop V20", None, "uos-desktop-v20", "exact"),
        ("openEuler", None, "openeuler", "family"),
        ("openEuler 22.03 LTS SP1", None, "openeuler-22.03-lts", "exact"),
        ("中科方德服务器操作系统V4", None, "nfs-server-v4", "exact"),
        ("龙蜥操作系统8", None, "anolis-8", "exact"),
        ("deepin V20", None, "deepin-v20", "exact"),
        ("飞腾", "cpu", "phytium", "family"),
        ("飞腾FT-2000+/64", None, "phytium-ft2000plus-64", "exact"),
        ("FT2000+/64", None, "phytium-ft2000plus-64", "exact"),
        ("腾云S5000C", None, "phytium-s5000c", "exact"),
        ("飞腾腾锐D2000", None, "phytium-d2000", "exact"),
        ("鲲鹏", "cpu", "kunpeng", "family"),
        ("Kunpeng920", None, "kunpeng-920", "exact"),
        ("华为鲲鹏 920 处理器", None, "kunpeng-920", "exact"),
        ("海光", None, "hygon", "family"),
        ("海光C86 7285", None, "hygon-c86-7285", "exact"),
        ("海光3000系列", None, "hygon-3000", "exact"),
        ("龙芯3A5000", None, "loongson-3a5000", "exact"),
        ("龙芯 3C5000L", None, "loongson-3c5000", "exact"),
        ("兆芯开先KX-6000", None, "zhaoxin-kx-6000", "exact"),
        ("申威1621", None, "sunway-1621", "exact"),
        ("达梦DM8", None, "dameng-dm8", "exact"),
        ("达梦", "database", "dameng", "family"),
        ("DM8", None, "dameng-dm8", "exact"),
        ("人大金仓KingbaseES V8", None, "kingbase-es-v8", "exact"),
        ("金仓数据库KES V8R6", None, "kingbase-es-v8", "exact"),
        ("GBase 8a", None, "gbase-8a", "exact"),
        ("南大通用GBase 8s", None, "gbase-8s", "exact"),
        ("神通数据库V7.0", None, "shentong-v7", "exact"),
        ("OceanBase 4.2", None, "oceanbase-v4", "exact"),
        ("openGauss 5.0", None, "opengauss-5", "exact"),
        ("华为GaussDB", None, "gaussdb", "exact"),
        ("TiDB v7", None, "tidb-v7", "exact"),
        ("瀚高数据库V6", None, "highgo-v6", "exact"),
        ("崖山数据库 23.1", None, "yashandb-v23", "exact"),
        ("东方通TongWeb", None, "tongweb", "family"),
        ("TongWeb V7.0", None, "tongweb-v7", "exact"),
        ("东方通TongLINK/Q", None, "tonglinkq", "exact"),
        ("宝兰德BES", None, "bes", "family"),
        ("BES Application Server V9.5", None, "bes-v9.5", "exact"),
        ("中创InforSuite AS V10", None, "inforsuite-as-v10", "exact"),
        ("金蝶Apusic应用服务器V10", None, "apusic-as-v10", "exact"),
        ("普元EOS", None, "primeton-eos", "exact"),
    ],
)
def test_normalize_declared(text: str, category: str | None, canonical: str, level: str) -> None:
    m = normalize_product(text, category)
    assert m is not None, text
    assert (m.canonical, m.level) == (canonical, level)
    assert m.category == load_catalogue().families[m.family].category
    if category:
        assert m.category == category


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("银 河 麒 麟 高 级 服 务 器 操 作 系 统 V 1 0", "kylin-server-v10"),  # letter-spaced OCR
        ("银河麒麟高级服务器操作糸统V10", "kylin-server-v10"),  # one wrong character
        ("银河麒麟高级服务器操系统V10", "kylin-server-v10"),  # one missing character
        ("统信UOS服务器操作系統V20", "uos-server-v20"),
        ("ＫＵＮＰＥＮＧ　９２０", "kunpeng-920"),  # full width
        ("kunpeng 920", "kunpeng-920"),
        ("达梦数据库管理系统 DM 8", "dameng-dm8"),
        ("openEuler 22.03-LTS-SP1", "openeuler-22.03-lts"),
        ("人大金仓数据库管理系统KingbaseES V8", "kingbase-es-v8"),
        ("东方通应用服务器软件 TongWeb v7.0", "tongweb-v7"),
        ("飞 腾 FT - 2000+/64", "phytium-ft2000plus-64"),
    ],
)
def test_normalize_noisy_forms(text: str, canonical: str) -> None:
    m = normalize_product(text)
    assert m is not None and m.canonical == canonical, (text, m)


@pytest.mark.parametrize(
    "text", ["", "无", "Windows Server 2019", "Intel Xeon Gold 6248", "MySQL 8.0", "其他"]
)
def test_normalize_nothing(text: str) -> None:
    assert normalize_product(text) is None


def test_category_restricts_candidates() -> None:
    assert normalize_product("达梦", "os") is None
    assert normalize_products("飞腾、鲲鹏920、银河麒麟V10", "cpu")[1].canonical == "kunpeng-920"
    assert [p.canonical for p in normalize_products("飞腾/鲲鹏")] == ["phytium", "kunpeng"]


def test_versions_and_families_back_declarations() -> None:
    cat = load_catalogue()
    uos20 = normalize_product("统信UOS V20")
    uos23 = normalize_product("统信UOS V23")
    assert uos20 is not None and uos23 is not None
    assert uos20.accepts("uos-server-v20") and uos20.accepts("uos-desktop-v20")
    # A version the catalogue does not know: family level, the version kept, V20 does not back it.
    assert (uos23.level, uos23.version, uos23.accepted) == ("family", "V23", ())
    assert not uos23.accepts("uos-server-v20")
    assert uos23.accepts("uos-server", "V23") and not uos23.accepts("uos-server", "V20")
    # A family without version matches any version of the family (family-level match).
    ft = normalize_product("飞腾")
    assert ft is not None and ft.level == "family"
    assert all(ft.accepts(p.id) for p in cat.family_products("phytium"))
    assert ft.accepts("phytium") and not ft.accepts("kunpeng-920")
    # A brand with a version covers the editions of that version only.
    kylin = normalize_product("银河麒麟V10")
    assert kylin is not None and set(kylin.accepted) == {"kylin-server-v10", "kylin-desktop-v10"}
    assert not kylin.accepts("kylin-server-v4") and not kylin.accepts("kylin-server")
    # 中标麒麟 is not 银河麒麟, 麒麟信安 neither.
    neo = normalize_product("中标麒麟")
    assert neo is not None and neo.family == "neokylin-server" and not neo.accepts("kylin-server-v10")
    sec = normalize_product("麒麟信安操作系统")
    assert sec is not None and sec.family == "kylinsec"


# --- pages ------------------------------------------------------------------------------------


def test_entries_on_a_page_with_names_versions_vendors() -> None:
    page = text_page(
        "测试环境",
        "CPU：飞腾FT-2000+/64、鲲鹏920",
        "操作系统：银河麒麟高级服务器操作系统V10 SP1",
        "数据库：达梦数据库管理系统DM8",
        "中间件：东方通应用服务器软件TongWeb V7.0",
    )
    entries = page_compat_entries(page)
    got = [(e.category, e.canonical, e.name, e.version) for e in entries]
    assert got == [
        ("cpu", "phytium-ft2000plus-64", "飞腾FT-2000+/64", "FT-2000+/64"),
        ("cpu", "kunpeng-920", "鲲鹏920", "920"),
        ("os", "kylin-server-v10", "银河麒麟高级服务器操作系统V10 SP1", "V10 SP1"),
        ("database", "dameng-dm8", "达梦数据库管理系统DM8", "DM8"),
        ("middleware", "tongweb-v7", "东方通应用服务器软件TongWeb V7.0", "V7"),
    ]
    assert entries[2].vendor == "麒麟软件有限公司"
    assert all(e.page == 0 and e.confidence >= 0.7 for e in entries)


@pytest.mark.parametrize(
    "line",
    [
        "请管理员ADMIN登录后查看DM单据",  # DM inside a word, DM alone without context
        "BEST practice for TUBES",
        "麒麟山文化传媒有限公司",  # 麒麟 in an unrelated company name
        "颁发单位：麒麟软件有限公司",  # a vendor, not a product
        "飞腾信息技术有限公司 龙芯中科技术股份有限公司",
        "鲲鹏展翅，海光万里",
        "本合同一式两份，甲乙双方各执一份。",
    ],
)
def test_no_false_positives(line: str) -> None:
    assert ids(text_page(line)) == []


def test_weak_names_need_context() -> None:
    assert ids(text_page("数据库：DM")) == ["dameng"]
    assert ids(text_page("DM")) == []
    assert ids(text_page("操作系统 麒麟")) == ["kylin-server"]
    assert ids(text_page("麒麟V10")) == ["kylin-server-v10"]
    assert ids(text_page("中间件：BES")) == ["bes"]


def test_table_header_gives_context() -> None:
    page = make_page(
        [
            [("CPU", 0.10, 0.20), ("操作系统", 0.40, 0.55), ("数据库", 0.70, 0.80)],
            [("鲲鹏", 0.10, 0.16), ("麒麟", 0.40, 0.46), ("DM", 0.70, 0.74)],
        ]
    )
    assert ids(page) == ["kunpeng", "kylin-server", "dameng"]


def test_bbox_is_the_union_of_the_covering_words() -> None:
    page = make_page(
        [
            [
                ("互认产品：", 0.10, 0.20),
                ("银河", 0.30, 0.34),
                ("麒麟V10", 0.35, 0.42),
                ("完成适配", 0.50, 0.60),
            ],
        ]
    )
    (entry,) = page_compat_entries(page)
    assert entry.canonical == "kylin-server-v10" and entry.name == "银河麒麟V10"
    assert entry.bbox == (0.30, 0.10, 0.42, 0.12)


def test_bbox_cuts_a_partly_covered_word() -> None:
    # 7 full-width characters (1 unit each) and 3 digits (0.55 each), 0.05 page width per unit:
    # 鲲鹏920 runs from unit 2 to unit 5.65.
    page = make_page([[("采用鲲鹏920服务器", 0.10, 0.10 + 0.05 * 8.65)]])
    (entry,) = page_compat_entries(page)
    assert entry.canonical == "kunpeng-920"
    x0, y0, x1, y1 = entry.bbox or (0, 0, 0, 0)
    assert (y0, y1) == (0.10, 0.12)
    assert x0 == pytest.approx(0.20, abs=0.002) and x1 == pytest.approx(0.3825, abs=0.002)


def test_mention_split_across_words_and_wrapped_lines() -> None:
    page = make_page(
        [
            [("经测试，本产品与银", 0.10, 0.90)],
            [("河麒麟高级服务器操作系统V10完成兼容性适配测试，功能与性能表现良好，", 0.10, 0.90)],
            [("数据库", 0.10, 0.20), ("达", 0.30, 0.32), ("梦DM8", 0.33, 0.40)],
        ]
    )
    entries = page_compat_entries(page)
    assert [(e.canonical, e.name) for e in entries] == [
        ("kylin-server-v10", "银河麒麟高级服务器操作系统V10"),
        ("dameng-dm8", "达梦DM8"),
    ]
    assert entries[0].bbox is not None and entries[0].bbox[1] == 0.10 and entries[0].bbox[3] == 0.16


def test_document_pages_and_speed() -> None:
    body = [
        "兼容性互认证明",
        "经双方联合测试，榕信协同办公平台V5.2与统信UOS服务器操作系统V20完成兼容性适配测试。",
        "测试环境：海光C86 7285处理器、openEuler 20.03 LTS SP3、人大金仓KingbaseES V8。",
    ] + [f"第{i}条 本证明仅用于项目申报，有效期三年，请妥善保管，不得转借他人使用。" for i in range(40)]
    doc = DocumentContent(
        name="cert.pdf",
        sha256="0" * 64,
        media_type="application/pdf",
        pages=[text_page(*body), text_page("无关内容"), text_page("中间件：宝兰德BES AppServer V9.5")],
    )
    for p, page in enumerate(doc.pages):
        page.index = p
    entries = find_compat_entries(doc)
    assert [(e.page, e.canonical) for e in entries] == [
        (0, "uos-server-v20"),
        (0, "hygon-c86-7285"),
        (0, "openeuler-20.03-lts"),
        (0, "kingbase-es-v8"),
        (2, "bes-v9.5"),
    ]
    t0 = time.perf_counter()
    for _ in range(10):
        page_compat_entries(doc.pages[0])
    assert (time.perf_counter() - t0) / 10 < 0.05  # a few ms on one core; generous for CI


# --- sample submissions (born-digital PDFs) -----------------------------------------------------


def _pdf_content(path: Path) -> DocumentContent:
    import pymupdf

    pages: list[PageContent] = []
    with pymupdf.open(path) as pdf:
        for i, pg in enumerate(pdf):
            w, h = pg.rect.width, pg.rect.height
            words = [
                Word(
                    text=unicodedata.normalize("NFKC", t[4]),
                    bbox=(t[0] / w, t[1] / h, t[2] / w, t[3] / h),
                    block=t[5],
                    line=t[6],
                )
                for t in pg.get_text("words")
                if t[4].strip()
            ]
            pages.append(
                PageContent(
                    index=i, info=PageInfo(index=i, text_source="text_layer", reason="t"), words=words
                )
            )
    return DocumentContent(name=path.name, sha256="0" * 64, media_type="application/pdf", pages=pages)


def test_sample_truth() -> None:
    truths = sorted(SAMPLES.glob("*/truth.json"))
    if not truths:
        pytest.skip("no sample submissions (sample_docs/generate.py)")
    cat = load_catalogue()
    want_all: set[tuple[str, str, int, str]] = set()
    got_all: set[tuple[str, str, int, str]] = set()
    unknown: set[str] = set()
    for truth_path in truths:
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        for name, doc in truth["documents"].items():
            path = truth_path.parent / name
            if path.suffix.lower() != ".pdf" or not path.is_file() or not doc.get("compatibility"):
                continue
            content = _pdf_content(path)
            pages_with_text = {p.index for p in content.pages if p.words}
            want = {
                (truth_path.parent.name, name, c["page"], GENERATOR_IDS.get(c["canonical"], c["canonical"]))
                for c in doc["compatibility"]
                if c["page"] in pages_with_text  # scans without a text layer are the OCR tests' business
            }
            unknown |= {c for *_, c in want if c not in cat.products}
            want_all |= want
            if want:
                got_all |= {
                    (truth_path.parent.name, name, e.page or 0, e.canonical)
                    for e in find_compat_entries(content)
                }
    if not want_all:
        pytest.skip("no born-digital sample with compatibility truth")
    assert not unknown, f"truth ids not in the catalogue: {sorted(unknown)}"
    missed = want_all - got_all
    extra = got_all - want_all
    assert not missed, f"missed: {sorted(missed)}"
    assert not extra, f"not in truth: {sorted(extra)}"
