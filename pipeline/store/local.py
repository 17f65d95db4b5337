"""A folder on the local disk with the ``ObjectStore`` interface (the embedded default).

Key ``a/b/c.pdf`` is the file ``<root>/a/b/c.pdf``. Writes go to a temporary file in the target's
folder (``.evidence-tmp-*``, a reserved name that ``list`` never shows), are fsynced and then
renamed into place; with ``overwrite=False`` the final step is a hard link, which the kernel
refuses if the name exists, so of two concurrent writers exactly one wins.

The etag (MD5 of the content) and the content type are kept in extended attributes
(``user.evidence.*``) of the file itself, so ``stat`` stays cheap for big files and no sidecar
appears in the key space. Where the filesystem has no extended attributes the MD5 is computed on
first ``stat`` and cached in memory, and the content type is guessed from the extension.

Limitation of a folder: ``a`` and ``a/b`` cannot both be objects (S3 allows it); such a write
fails with ``StoreError``.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import shutil
import stat as stat_module
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import ObjectExistsError, ObjectNotFoundError, StoreError, UnsafeKeyError
from pipeline.store.base import ObjectInfo, ObjectStore, StrPath, guess_content_type
from pipeline.store.keys import RESERVED_SEGMENT_PREFIX, validate_key, validate_prefix

log = logging.getLogger(__name__)

_TMP_PREFIX = RESERVED_SEGMENT_PREFIX + "tmp-"
_XATTR_MD5 = "user.evidence.md5"
_XATTR_TYPE = "user.evidence.content_type"
_CHUNK = 1024 * 1024


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o644 & ~_current_umask()


def _set_xattr(target: int | Path, name: str, value: str) -> None:
    try:
        os.setxattr(target, name, value.encode("utf-8"))
    except (OSError, AttributeError):  # no xattr support (filesystem or platform): fall back
        pass


def _get_xattr(path: Path, name: str) -> str | None:
    try:
        return os.getxattr(path, name).decode("utf-8")
    except (OSError, AttributeError, UnicodeDecodeError):
        return None


def _md5_record(md5: str, st: os.stat_result) -> str:
    # The MD5 is valid only for this exact file version: size + mtime guard against edits made
    # behind the store's back (the in-memory cache also keys on the inode).
    return f"{md5} {st.st_size} {st.st_mtime_ns}"


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LocalFolderStore(ObjectStore):
    """Objects as files below ``root`` (created if missing)."""

    def __init__(self, root: StrPath, *, create: bool = True) -> None:
        root_path = Path(root)
        if create:
            try:
                root_path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"无法创建存储目录 cannot create the store folder {root_path}: {exc.strerror}; "
                    "check EVIDENCE_STORE_PATH and its permissions"
                ) from exc
        if not root_path.is_dir():
            raise StoreError(
                f"存储目录不存在 store folder does not exist: {root_path}; "
                "create it or fix EVIDENCE_STORE_PATH"
            )
        self._root = root_path.resolve()
        self._md5_cache: dict[tuple[str, int, int, int], str] = {}
        self._cache_lock = threading.Lock()

    @property
    def root(self) -> Path:
        """The resolved root folder."""
        return self._root

    def describe(self) -> str:
        """``local:<absolute root>``."""
        return f"local:{self._root}"

    # ------------------------------------------------------------------------------- paths

    def _inside(self, path: Path, key: str) -> None:
        resolved = path.resolve(strict=False)
        if resolved != self._root and not resolved.is_relative_to(self._root):
            raise UnsafeKeyError(
                f"不安全的对象键 unsafe object key {key!r}: it resolves outside the store folder "
                f"{self._root} (symbolic link?)"
            )

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = self._root.joinpath(*key.split("/"))
        self._inside(path, key)
        return path

    def _not_found(self, key: str) -> ObjectNotFoundError:
        return ObjectNotFoundError(f"对象不存在 object not found: {key} (in {self.describe()})")

    def _os_error(self, action: str, key: str, exc: OSError) -> StoreError:
        return StoreError(
            f"本地存储错误 local store error while {action} {key!r} in {self.describe()}: "
            f"{exc.strerror or exc}"
        )

    # ------------------------------------------------------------------------------- writes

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str | None = None, overwrite: bool = False
    ) -> ObjectInfo:
        """Store ``data`` atomically under ``key`` (see the module docstring)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        return self._write(
            key,
            [data if isinstance(data, bytes) else bytes(data)],
            content_type=content_type,
            overwrite=overwrite,
        )

    def put_file(
        self, key: str, path: StrPath, *, content_type: str | None = None, overwrite: bool = False
    ) -> ObjectInfo:
        """Copy the local file ``path`` atomically to ``key``, streaming in 1 MiB chunks."""
        validate_key(key)
        try:
            source = open(path, "rb")
        except OSError as exc:
            raise StoreError(f"无法读取源文件 cannot read source file {path}: {exc.strerror or exc}") from exc
        with source:
            return self._write(key, _chunks(source), content_type=content_type, overwrite=overwrite)

    def _write(
        self, key: str, chunks: Iterable[bytes], *, content_type: str | None, overwrite: bool
    ) -> ObjectInfo:
        path = self._path(key)
        if path.is_dir():
            raise StoreError(
                f"键冲突 key conflict: {key!r} is a folder of other objects in {self.describe()}; "
                "it cannot also be an object (local folder store limitation)"
            )
        if not overwrite and path.exists():
            raise self._exists(key)
        parent = path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise StoreError(
                f"键冲突 key conflict: a parent of {key!r} is an object, so it cannot also be a folder "
                f"in {self.describe()} (local folder store limitation)"
            ) from exc
        except OSError as exc:
            raise self._os_error("creating the folder of", key, exc) from exc
        self._inside(parent, key)  # re-check after mkdir: a symlink may have appeared

        ctype = content_type or guess_content_type(key)
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".part", dir=parent)
        except OSError as exc:
            raise self._os_error("writing", key, exc) from exc
        tmp = Path(tmp_name)
        try:
            md5 = hashlib.md5(usedforsecurity=False)
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    md5.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fchmod(out.fileno(), _FILE_MODE)
                os.fsync(out.fileno())
                st = os.fstat(out.fileno())
            etag = md5.hexdigest()
            _set_xattr(tmp, _XATTR_MD5, _md5_record(etag, st))
            _set_xattr(tmp, _XATTR_TYPE, ctype)
            if overwrite:
                os.replace(tmp, path)
            else:
                self._link_exclusive(tmp, path, key)
            _fsync_dir(parent)
        except IsADirectoryError as exc:
            raise StoreError(
                f"键冲突 key conflict: {key!r} is a folder of other objects in {self.describe()}; "
                "it cannot also be an object (local folder store limitation)"
            ) from exc
        except OSError as exc:
            raise self._os_error("writing", key, exc) from exc
        finally:
            try:
                tmp.unlink()
            except FileNotFoundError:
                pass
        self._remember_md5(path, etag)
        return self._info(key, path, with_type=True)

    def _exists(self, key: str) -> ObjectExistsError:
        return ObjectExistsError(
            f"对象已存在 object already exists: {key} (in {self.describe()}); "
            "uploads are immutable, pass overwrite=True only for derived data"
        )

    def _link_exclusive(self, tmp: Path, path: Path, key: str) -> None:
        try:
            os.link(tmp, path)
            return
        except FileExistsError:
            raise self._exists(key) from None
        except IsADirectoryError:
            raise
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                raise
        # No hard links here: claim the name with O_EXCL, then rename over the placeholder. A
        # reader may briefly see an empty file; the exclusive create still lets only one writer win.
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE))
        except FileExistsError:
            raise self._exists(key) from None
        os.replace(tmp, path)

    def delete(self, key: str) -> None:
        """Remove ``key`` if present and prune folders left empty (never the root)."""
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        except IsADirectoryError:
            return
        except OSError as exc:
            raise self._os_error("deleting", key, exc) from exc
        parent = path.parent
        while parent != self._root and parent.is_relative_to(self._root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    # ------------------------------------------------------------------------------- reads

    def get_bytes(self, key: str) -> bytes:
        """The content of ``key``."""
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                return f.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._not_found(key) from None
        except OSError as exc:
            raise self._os_error("reading", key, exc) from exc

    def download(self, key: str, path: StrPath) -> ObjectInfo:
        """Copy ``key`` to the local file ``path`` via a temporary file and an atomic rename."""
        source = self._path(key)
        info = self.stat(key)
        dest = Path(path)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".part", dir=dest.parent)
        except OSError as exc:
            raise self._os_error(f"downloading to {dest}", key, exc) from exc
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    with open(source, "rb") as src:
                        shutil.copyfileobj(src, out, _CHUNK)
                except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                    raise self._not_found(key) from None
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, dest)
        except OSError as exc:
            raise self._os_error(f"downloading to {dest}", key, exc) from exc
        finally:
            try:
                os.unlink(tmp_name)
            except FileNotFoundError:
                pass
        return info

    def exists(self, key: str) -> bool:
        """True if ``key`` is a regular file below root."""
        return self._path(key).is_file()

    def stat(self, key: str) -> ObjectInfo:
        """Size, MD5 etag, mtime and content type of ``key``."""
        path = self._path(key)
        return self._info(key, path, with_type=True)

    def _info(self, key: str, path: Path, *, with_type: bool, st: os.stat_result | None = None) -> ObjectInfo:
        try:
            if st is None:
                st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise self._not_found(key) from None
        except OSError as exc:
            raise self._os_error("reading", key, exc) from exc
        if not _is_regular(st):
            raise self._not_found(key)
        content_type = None
        if with_type:
            content_type = _get_xattr(path, _XATTR_TYPE) or guess_content_type(key)
        return ObjectInfo(
            key=key,
            size=st.st_size,
            etag=self._md5(path, st, key),
            last_modified=datetime.fromtimestamp(st.st_mtime_ns / 1e9, tz=UTC),
            content_type=content_type,
        )

    def _cache_key(self, path: Path, st: os.stat_result) -> tuple[str, int, int, int]:
        return (str(path), st.st_ino, st.st_size, st.st_mtime_ns)

    def _remember_md5(self, path: Path, md5: str) -> None:
        try:
            st = os.stat(path)
        except OSError:
            return
        with self._cache_lock:
            if len(self._md5_cache) > 10_000:
                self._md5_cache.clear()
            self._md5_cache[self._cache_key(path, st)] = md5

    def _md5(self, path: Path, st: os.stat_result, key: str) -> str:
        record = _get_xattr(path, _XATTR_MD5)
        if record is not None:
            md5, _, rest = record.partition(" ")
            if rest == f"{st.st_size} {st.st_mtime_ns}":
                return md5
        cache_key = self._cache_key(path, st)
        with self._cache_lock:
            cached = self._md5_cache.get(cache_key)
        if cached is not None:
            return cached
        digest = hashlib.md5(usedforsecurity=False)
        try:
            with open(path, "rb") as f:
                for chunk in _chunks(f):
                    digest.update(chunk)
        except FileNotFoundError:
            raise self._not_found(key) from None
        except OSError as exc:
            raise self._os_error("reading", key, exc) from exc
        md5 = digest.hexdigest()
        _set_xattr(path, _XATTR_MD5, _md5_record(md5, st))
        with self._cache_lock:
            self._md5_cache[cache_key] = md5
        return md5

    def list(self, prefix: str = "", *, recursive: bool = True) -> Iterator[ObjectInfo]:
        """Objects below root whose key starts with ``prefix``, in key order, streamed.

        Temporary files, symbolic links and names that are not valid keys are skipped."""
        validate_prefix(prefix)
        folder_key, _, partial = prefix.rpartition("/")
        start = self._root.joinpath(*folder_key.split("/")) if folder_key else self._root
        self._inside(start, prefix)
        if not start.is_dir():
            return iter(())
        key_prefix = folder_key + "/" if folder_key else ""
        return self._walk(start, key_prefix, partial, recursive)

    def _walk(self, folder: Path, key_prefix: str, partial: str, recursive: bool) -> Iterator[ObjectInfo]:
        try:
            with os.scandir(folder) as it:
                entries = [(e, e.is_dir(follow_symlinks=False)) for e in it if e.name.startswith(partial)]
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StoreError(
                f"本地存储错误 cannot list {folder} in {self.describe()}: {exc.strerror or exc}"
            ) from exc
        # A folder sorts as "name/" so that the depth-first walk yields keys in plain string order.
        entries.sort(key=lambda item: item[0].name + "/" if item[1] else item[0].name)
        for entry, is_dir in entries:
            if entry.name.startswith(RESERVED_SEGMENT_PREFIX):
                continue
            key = key_prefix + entry.name
            try:
                validate_key(key)
            except UnsafeKeyError:
                log.warning("skipping a file whose name is not a valid key in %s", self.describe())
                continue
            if is_dir:
                if recursive:
                    yield from self._walk(Path(entry.path), key + "/", "", recursive)
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # deleted while listing
                continue
            if not _is_regular(st):
                continue
            try:
                yield self._info(key, Path(entry.path), with_type=False, st=st)
            except ObjectNotFoundError:
                continue


def _is_regular(st: os.stat_result) -> bool:
    return stat_module.S_ISREG(st.st_mode)


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    while chunk := f.read(_CHUNK):
        yield chunk
