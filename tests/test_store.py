"""The object store: both implementations against the same behaviour, S3 against moto over HTTP."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pipeline.errors import (
    ConfigError,
    ObjectExistsError,
    ObjectNotFoundError,
    StoreError,
    UnsafeKeyError,
)
from pipeline.store import (
    LocalFolderStore,
    ObjectStore,
    S3Store,
    StoreSettings,
    declared_key,
    is_declared_key,
    open_store,
    page_image_key,
    parse_review_key,
    parse_upload_key,
    result_key,
    results_prefix,
    review_key,
    submission_prefix,
    upload_key,
    validate_key,
    validate_prefix,
)

if TYPE_CHECKING:
    from tests.s3_server import MotoServer

# Fixtures s3_server, s3_bucket, s3_store, restartable_s3_server: a real moto S3 server on loopback.
pytest_plugins = ["tests.s3_server"]

# Dummy credentials (moto accepts any); the tests check they never leak into messages.
ACCESS_KEY = "moto-access-key"
SECRET_KEY = "moto-secret-key-not-a-real-secret"
REGION = "us-east-1"

SHA = "ab" * 32
CHINESE_KEY = "uploads/S-2023-0001/营业执照.pdf"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """Each shared behaviour runs on both implementations."""
    if request.param == "local":
        return LocalFolderStore(tmp_path / "store")
    s3: S3Store = request.getfixturevalue("s3_store")
    return s3


# --------------------------------------------------------------------------------- shared behaviour


def test_round_trip_bytes_with_chinese_key(store: ObjectStore) -> None:
    data = "营业执照 business licence".encode() + bytes(range(256))
    info = store.put_bytes(CHINESE_KEY, data)
    assert info.key == CHINESE_KEY
    assert info.size == len(data)
    assert store.get_bytes(CHINESE_KEY) == data
    assert store.exists(CHINESE_KEY)
    assert not store.exists("uploads/S-2023-0001/other.pdf")
    assert store.stat(CHINESE_KEY).content_type == "application/pdf"  # guessed from the extension


def test_explicit_content_type_is_kept(store: ObjectStore) -> None:
    store.put_bytes("results/x/extraction.json", b"{}", content_type="application/json; charset=utf-8")
    assert store.stat("results/x/extraction.json").content_type == "application/json; charset=utf-8"


def test_put_file_and_download(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "合同.pdf"
    source.write_bytes(b"%PDF-1.7 contract" * 1000)
    info = store.put_file("uploads/S-1/合同.pdf", source)
    assert info.size == source.stat().st_size
    dest = tmp_path / "out" / "deep" / "copy.pdf"
    got = store.download("uploads/S-1/合同.pdf", dest)
    assert dest.read_bytes() == source.read_bytes()
    assert got.etag == info.etag
    assert [p.name for p in dest.parent.iterdir()] == ["copy.pdf"]  # no temp files left behind


def test_overwrite_refused_then_allowed(store: ObjectStore) -> None:
    key = "results/abc/0.1.0/extraction.json"
    store.put_bytes(key, b"first")
    with pytest.raises(ObjectExistsError, match="对象已存在 object already exists"):
        store.put_bytes(key, b"second")
    assert store.get_bytes(key) == b"first"
    store.put_bytes(key, b"second", overwrite=True)
    assert store.get_bytes(key) == b"second"


def test_put_file_overwrite_refused(store: ObjectStore, tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"new")
    store.put_bytes("k/a.bin", b"old")
    with pytest.raises(ObjectExistsError):
        store.put_file("k/a.bin", source)
    assert store.get_bytes("k/a.bin") == b"old"
    store.put_file("k/a.bin", source, overwrite=True)
    assert store.get_bytes("k/a.bin") == b"new"


def test_list_by_prefix_sorted(store: ObjectStore) -> None:
    keys = ["p/a-c.txt", "p/a/b.txt", "p/a/z/y.txt", "p/a0.txt", "p/中文.txt", "p/Z.txt", "q/x", "p2/x"]
    for i, key in enumerate(reversed(keys)):
        store.put_bytes(key, b"x" * i)
    listed = [info.key for info in store.list("p/")]
    assert listed == sorted(k for k in keys if k.startswith("p/"))
    assert [i.key for i in store.list("p")] == sorted(k for k in keys if k.startswith("p"))
    assert [i.key for i in store.list("p/a")] == ["p/a-c.txt", "p/a/b.txt", "p/a/z/y.txt", "p/a0.txt"]
    assert [i.key for i in store.list()] == sorted(keys)
    assert list(store.list("nothing/")) == []
    for info in store.list("p/"):
        assert info.last_modified.tzinfo is not None
        assert info.size == store.stat(info.key).size


def test_list_non_recursive(store: ObjectStore) -> None:
    for key in ["uploads/S-1/a.pdf", "uploads/S-1/b.pdf", "uploads/S-1/sub/c.pdf", "uploads/S-10/d.pdf"]:
        store.put_bytes(key, b"x")
    assert [i.key for i in store.list("uploads/S-1/", recursive=False)] == [
        "uploads/S-1/a.pdf",
        "uploads/S-1/b.pdf",
    ]
    assert list(store.list("uploads/", recursive=False)) == []


def test_stat_size_and_stable_etag(store: ObjectStore) -> None:
    data = b"evidence" * 1000
    put = store.put_bytes("a/b.bin", data)
    first = store.stat("a/b.bin")
    assert first.size == len(data)
    assert first.etag == put.etag == store.stat("a/b.bin").etag
    assert first.etag == hashlib.md5(data).hexdigest()  # local always; S3 for single-part uploads
    assert first.last_modified.tzinfo is not None
    assert abs(first.last_modified - datetime.now(UTC)) < timedelta(minutes=5)
    listed = next(iter(store.list("a/")))
    assert listed.etag == first.etag
    store.put_bytes("a/b.bin", b"changed", overwrite=True)
    assert store.stat("a/b.bin").etag == hashlib.md5(b"changed").hexdigest()


def test_missing_key(store: ObjectStore, tmp_path: Path) -> None:
    key = "uploads/S-1/missing.pdf"
    with pytest.raises(ObjectNotFoundError, match=r"对象不存在 object not found: uploads/S-1/missing\.pdf"):
        store.get_bytes(key)
    with pytest.raises(ObjectNotFoundError):
        store.stat(key)
    with pytest.raises(ObjectNotFoundError):
        store.download(key, tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
    assert not store.exists(key)
    store.delete(key)  # idempotent


def test_delete(store: ObjectStore) -> None:
    store.put_bytes("t/one", b"1")
    store.put_bytes("t/two", b"2")
    store.delete("t/one")
    assert not store.exists("t/one")
    assert [i.key for i in store.list("t/")] == ["t/two"]


HOSTILE_KEYS = [
    "",
    "../x",
    "/etc/passwd",
    "a/../../b",
    "a/./b",
    "a\\b",
    "..\\..\\x",
    "a\x00b",
    "a\nb",
    "a\x7fb",
    "evil\u202efdp.exe",
    "uploads//x",
    "uploads/x/",
    " uploads/x",
    "uploads/x ",
    "uploads/ x/y",
    "uploads/\u3000x",
    "x" * 2000,
    "a/" + "段" * 90,  # 270 bytes in one segment
    ".",
    "..",
    "uploads/.evidence-tmp-abc.part",
]


def _calls(store: ObjectStore, tmp_path: Path) -> dict[str, Callable[[str], object]]:
    source = tmp_path / "src.bin"
    source.write_bytes(b"payload")
    return {
        "put_bytes": lambda k: store.put_bytes(k, b"payload", overwrite=True),
        "put_file": lambda k: store.put_file(k, source, overwrite=True),
        "get_bytes": store.get_bytes,
        "download": lambda k: store.download(k, tmp_path / "dl.bin"),
        "exists": store.exists,
        "stat": store.stat,
        "delete": store.delete,
    }


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=lambda k: repr(k)[:30])
def test_hostile_keys_refused_everywhere(store: ObjectStore, tmp_path: Path, key: str) -> None:
    for name, call in _calls(store, tmp_path).items():
        with pytest.raises(UnsafeKeyError, match="unsafe object key"):
            call(key)
            pytest.fail(f"{name} accepted {key!r}")
    assert list(store.list()) == []
    if isinstance(store, LocalFolderStore):
        # nothing was written anywhere: tmp_path holds only the source file and the empty store
        assert sorted(p.name for p in tmp_path.iterdir()) == ["src.bin", "store"]
        assert list((tmp_path / "store").rglob("*")) == []


@pytest.mark.parametrize("prefix", ["/", "../", "a//", "a/../b/", " a/", "a\\"])
def test_hostile_list_prefix(store: ObjectStore, prefix: str) -> None:
    with pytest.raises(UnsafeKeyError):
        list(store.list(prefix))


# --------------------------------------------------------------------------------- keys


def test_validate_key_accepts_ordinary_keys() -> None:
    for key in [
        CHINESE_KEY,
        "uploads/S-2023-0001/解决方案 信息表(终稿).docx",
        "a",
        ".hidden",
        "a/b.c/..d",
        "x" * 255,
        "/".join(["段" * 85] * 4),  # 1020 bytes
    ]:
        assert validate_key(key) == key
    assert validate_prefix("") == ""
    assert validate_prefix("uploads/") == "uploads/"


def test_layout_helpers() -> None:
    assert upload_key("S-2023-0001", "营业执照.pdf") == CHINESE_KEY
    assert declared_key("S-2023-0001") == "uploads/S-2023-0001/declared.yaml"
    assert submission_prefix("S-1") == "uploads/S-1/"
    assert result_key(SHA, "0.1.0") == f"results/{SHA}/0.1.0/extraction.json"
    assert result_key(SHA.upper(), "0.1.0") == f"results/{SHA}/0.1.0/extraction.json"
    assert page_image_key(SHA, "0.1.0", 3) == f"results/{SHA}/0.1.0/pages/3.jpg"
    assert page_image_key(SHA, "0.1.0", 3, "png") == f"results/{SHA}/0.1.0/pages/3.png"  # earlier results
    with pytest.raises(UnsafeKeyError):
        page_image_key(SHA, "0.1.0", 3, "../x")
    assert results_prefix(SHA) == f"results/{SHA}/"
    ts = datetime(2023, 1, 31, 20, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    key = review_key("S-1", ts)
    assert key == "reviews/S-1/20230131T120000.123456Z.json"
    assert parse_review_key(key) == ("S-1", ts)
    later = review_key("S-1", ts + timedelta(seconds=1))
    assert key < later


def test_layout_helpers_refuse_bad_pieces() -> None:
    with pytest.raises(UnsafeKeyError):
        upload_key("../S-1", "a.pdf")
    with pytest.raises(UnsafeKeyError):
        upload_key("S-1", "sub/a.pdf")
    with pytest.raises(UnsafeKeyError):
        upload_key("S-1", "..")
    with pytest.raises(UnsafeKeyError, match="reserved"):
        upload_key("S-1", "declared.yaml")
    with pytest.raises(UnsafeKeyError):
        upload_key("", "a.pdf")
    with pytest.raises(UnsafeKeyError, match="sha256"):
        result_key("abc", "0.1.0")
    with pytest.raises(UnsafeKeyError, match="sha256"):
        result_key("g" * 64, "0.1.0")
    for version in ["", "latest", "0.1", "../0.1.0", "0.1.0/x"]:
        with pytest.raises(UnsafeKeyError, match="version"):
            result_key(SHA, version)
    for n in [-1, True, 1.5]:
        with pytest.raises(UnsafeKeyError):
            page_image_key(SHA, "0.1.0", n)  # type: ignore[arg-type]
    with pytest.raises(UnsafeKeyError, match="timezone"):
        review_key("S-1", datetime(2023, 1, 31))


def test_parse_upload_key() -> None:
    assert parse_upload_key(CHINESE_KEY) == ("S-2023-0001", "营业执照.pdf")
    assert parse_upload_key("uploads/S-1/declared.yaml") == ("S-1", "declared.yaml")
    assert is_declared_key("uploads/S-1/declared.yaml")
    assert not is_declared_key(CHINESE_KEY)
    for key in [
        "uploads/S-1",
        "uploads/S-1/sub/a.pdf",
        "results/x/0.1.0/extraction.json",
        "uploads/../a.pdf",
        "uploads/S-1/../../etc/passwd",
        "uploads/.x/a.pdf",
        "uploads/S-1/a\x00.pdf",
        "",
    ]:
        assert parse_upload_key(key) is None, key
    assert parse_review_key("reviews/S-1/latest.json") is None


# --------------------------------------------------------------------------------- local store


def test_local_atomic_writes_leave_no_temp_files(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    store.put_bytes("a/b.txt", b"x")
    # a crashed writer's leftover and a foreign symlink are not objects
    (tmp_path / "store" / "a" / ".evidence-tmp-dead.part").write_bytes(b"partial")
    (tmp_path / "outside.txt").write_bytes(b"secret")
    (tmp_path / "store" / "a" / "link.txt").symlink_to(tmp_path / "outside.txt")
    assert [i.key for i in store.list()] == ["a/b.txt"]
    assert store.describe() == f"local:{(tmp_path / 'store').resolve()}"


def test_local_symlink_escape_refused(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = LocalFolderStore(root)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "uploads").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeKeyError, match="outside the store folder"):
        store.get_bytes("uploads/secret.txt")
    with pytest.raises(UnsafeKeyError):
        store.put_bytes("uploads/new.txt", b"x")
    with pytest.raises(UnsafeKeyError):
        list(store.list("uploads/"))
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_local_concurrent_create_has_one_winner(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    results: list[str] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            store.put_bytes("uploads/S-1/race.pdf", f"writer {n}".encode() * 10_000)
            results.append(f"won {n}")
        except ObjectExistsError:
            results.append("lost")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r.startswith("won")]
    assert len(winners) == 1 and len(results) == 8
    n = int(winners[0].split()[1])
    assert store.get_bytes("uploads/S-1/race.pdf") == f"writer {n}".encode() * 10_000
    assert [p.name for p in (tmp_path / "store" / "uploads" / "S-1").iterdir()] == ["race.pdf"]


def test_local_etag_of_foreign_and_edited_files(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = LocalFolderStore(root)
    (root / "dropped").mkdir()
    (root / "dropped" / "by-hand.txt").write_bytes(b"copied in by an operator")
    assert store.stat("dropped/by-hand.txt").etag == hashlib.md5(b"copied in by an operator").hexdigest()
    store.put_bytes("k.txt", b"one")
    (root / "k.txt").write_bytes(b"edited behind the store's back")
    os.utime(root / "k.txt", ns=(1, 1_000_000_000))
    assert store.stat("k.txt").etag == hashlib.md5(b"edited behind the store's back").hexdigest()


def test_local_key_conflicts_with_folder(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    store.put_bytes("a/b", b"x")
    with pytest.raises(StoreError, match="key conflict"):
        store.put_bytes("a", b"y")
    with pytest.raises(StoreError, match="key conflict"):
        store.put_bytes("a/b/c", b"y")
    assert not store.exists("a")
    with pytest.raises(ObjectNotFoundError):
        store.get_bytes("a")


def test_local_delete_prunes_empty_folders(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = LocalFolderStore(root)
    store.put_bytes("a/b/c/d.txt", b"x")
    store.delete("a/b/c/d.txt")
    assert list(root.iterdir()) == []
    assert root.is_dir()


# --------------------------------------------------------------------------------- S3 store


def test_s3_multipart_upload(s3_store: S3Store, tmp_path: Path) -> None:
    source = tmp_path / "big.pdf"
    block = os.urandom(1024 * 1024)
    with open(source, "wb") as f:
        for i in range(12):
            f.write(bytes([i]) + block[1:])
    info = s3_store.put_file("uploads/S-1/big.pdf", source)
    assert info.size == 12 * 1024 * 1024
    assert info.etag.endswith("-3")  # 3 parts of 5 MiB+: the client really used multipart
    dest = tmp_path / "back.pdf"
    s3_store.download("uploads/S-1/big.pdf", dest)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == digest
    assert hashlib.sha256(s3_store.get_bytes("uploads/S-1/big.pdf")).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["back.pdf", "big.pdf"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_s3_unreachable_is_a_quick_store_error() -> None:
    port = _closed_port()
    store = S3Store(
        f"127.0.0.1:{port}",
        "evidence",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        retry_delays=(0.05, 0.1, 0.2),
        connect_timeout_s=1.0,
    )
    for action in (lambda: store.get_bytes("a/b"), lambda: store.put_bytes("a/b", b"x"), store.ensure_bucket):
        started = time.monotonic()
        with pytest.raises(StoreError) as caught:
            action()
        elapsed = time.monotonic() - started
        assert 0.3 <= elapsed < 5, elapsed  # the three delays were waited, and nothing more
        message = str(caught.value)
        assert f"127.0.0.1:{port}" in message and "after 4 attempt" in message
        assert SECRET_KEY not in message and ACCESS_KEY not in message
        assert not isinstance(caught.value, ObjectNotFoundError)
    with pytest.raises(StoreError):
        list(store.list("uploads/"))


def test_s3_client_errors_are_not_retried(s3_server: MotoServer, s3_bucket: str) -> None:
    store = S3Store(
        s3_server.endpoint,
        s3_bucket,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        retry_delays=(3.0, 3.0),
    )
    started = time.monotonic()
    with pytest.raises(ObjectNotFoundError):
        store.get_bytes("nope")
    missing_bucket = S3Store(
        s3_server.endpoint,
        "no-such-bucket-here",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        retry_delays=(3.0, 3.0),
    )
    with pytest.raises(StoreError, match="bucket not found: no-such-bucket-here"):
        missing_bucket.put_bytes("a", b"x", overwrite=True)
    assert time.monotonic() - started < 2.5


def test_s3_server_restart(restartable_s3_server: MotoServer) -> None:
    server = restartable_s3_server
    store = S3Store(
        server.endpoint,
        "restart-bucket",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        retry_delays=(0.01,),
    )
    store.ensure_bucket()
    store.ensure_bucket()  # idempotent
    store.put_bytes("k", b"before", overwrite=True)
    server.stop()
    with pytest.raises(StoreError, match="cannot reach the object store"):
        store.get_bytes("k")
    server.start()
    assert store.get_bytes("k") == b"before"
    store.delete("k")


def test_s3_retry_rides_out_a_short_outage(
    restartable_s3_server: MotoServer, caplog: pytest.LogCaptureFixture
) -> None:
    server = restartable_s3_server
    store = S3Store(
        server.endpoint,
        "outage-bucket",
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=REGION,
        retry_delays=(0.3, 0.6, 1.0),
    )
    store.ensure_bucket()
    store.put_bytes("k", b"still here", overwrite=True)
    server.stop()
    restarter = threading.Timer(0.4, server.start)
    restarter.start()
    try:
        with caplog.at_level("WARNING", logger="pipeline.store.s3"):
            assert store.get_bytes("k") == b"still here"
    finally:
        restarter.join()
    retries = [r for r in caplog.records if "transient S3 failure" in r.getMessage()]
    assert 1 <= len(retries) <= 3  # it did fail first, then the server was back
    assert all(SECRET_KEY not in r.getMessage() for r in caplog.records)
    store.delete("k")


def test_s3_describe_has_no_secret(s3_store: S3Store) -> None:
    text = s3_store.describe() + repr(s3_store)
    assert text.startswith(f"s3://{s3_store.bucket}@127.0.0.1:")
    assert SECRET_KEY not in text and ACCESS_KEY not in text


# --------------------------------------------------------------------------------- settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in list(os.environ):
        if name.startswith("EVIDENCE_STORE") or name.startswith("EVIDENCE_S3_"):
            monkeypatch.delenv(name)
    yield monkeypatch


def test_settings_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = StoreSettings.from_env()
    assert settings.kind == "local"
    assert settings.path == Path("./var/store")
    assert settings.s3_bucket == "evidence"
    assert settings.s3_secure is False
    assert settings.s3_region is None


def test_settings_from_env_keep_the_secret(clean_env: pytest.MonkeyPatch, s3_server: MotoServer) -> None:
    clean_env.setenv("EVIDENCE_STORE", "s3")
    clean_env.setenv("EVIDENCE_S3_ENDPOINT", s3_server.endpoint)
    clean_env.setenv("EVIDENCE_S3_ACCESS_KEY", ACCESS_KEY)
    clean_env.setenv("EVIDENCE_S3_SECRET_KEY", SECRET_KEY)
    clean_env.setenv("EVIDENCE_S3_BUCKET", "env-bucket")
    clean_env.setenv("EVIDENCE_S3_SECURE", "false")
    clean_env.setenv("EVIDENCE_S3_REGION", REGION)
    settings = StoreSettings.from_env()
    assert settings.kind == "s3" and settings.s3_bucket == "env-bucket" and settings.s3_region == REGION
    assert settings.s3_secret_key is not None
    assert settings.s3_secret_key.get_secret_value() == SECRET_KEY
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert SECRET_KEY not in text
    store = open_store()  # creates the bucket on the moto server
    assert isinstance(store, S3Store)
    assert store.describe() == f"s3://env-bucket@{s3_server.endpoint}"
    assert SECRET_KEY not in repr(store)
    store.put_bytes("uploads/S-1/a.pdf", b"x", overwrite=True)
    assert store.get_bytes("uploads/S-1/a.pdf") == b"x"
    store.delete("uploads/S-1/a.pdf")


def test_open_local_store_from_env(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("EVIDENCE_STORE_PATH", str(tmp_path / "var" / "store"))
    store = open_store()
    assert isinstance(store, LocalFolderStore)
    assert (tmp_path / "var" / "store").is_dir()
    assert store.describe() == f"local:{(tmp_path / 'var' / 'store').resolve()}"


@pytest.mark.parametrize(
    "missing", ["EVIDENCE_S3_ENDPOINT", "EVIDENCE_S3_ACCESS_KEY", "EVIDENCE_S3_SECRET_KEY"]
)
def test_missing_s3_settings_name_the_variable(clean_env: pytest.MonkeyPatch, missing: str) -> None:
    env = {
        "EVIDENCE_STORE": "s3",
        "EVIDENCE_S3_ENDPOINT": "127.0.0.1:9000",
        "EVIDENCE_S3_ACCESS_KEY": ACCESS_KEY,
        "EVIDENCE_S3_SECRET_KEY": SECRET_KEY,
    }
    del env[missing]
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=missing):
        open_store()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EVIDENCE_STORE", "ftp"),
        ("EVIDENCE_S3_SECURE", "maybe"),
        ("EVIDENCE_S3_ENDPOINT", "http://minio:9000"),
        ("EVIDENCE_S3_ENDPOINT", "minio:9000/path"),
        ("EVIDENCE_S3_BUCKET", "Evidence_Bucket"),
        ("EVIDENCE_S3_BUCKET", "ab"),
    ],
)
def test_invalid_settings_name_the_variable(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        StoreSettings.from_env()


def test_settings_from_explicit_mapping() -> None:
    settings = StoreSettings.from_env({"EVIDENCE_STORE": "S3", "EVIDENCE_S3_SECURE": "1"})
    assert settings.kind == "s3" and settings.s3_secure is True
    with pytest.raises(ConfigError, match="EVIDENCE_S3_ENDPOINT"):
        open_store(settings)
