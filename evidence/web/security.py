"""Users, passwords (argon2id), server-side sessions, CSRF tokens, login rate limiting and the
audit log, all in the index database (``pipeline.index.ui_models``)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select, update

from pipeline.index import Index
from pipeline.index.db import with_retry
from pipeline.index.models import utcnow
from pipeline.index.ui_models import ROLES, UIAudit, UILoginFailure, UISession, UIUser

USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 10
ROLE_RANK = {"reviewer": 1, "staff": 2, "admin": 3}
ROLE_LABELS = {"reviewer": "审核员", "staff": "运维人员", "admin": "管理员"}

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A user cannot be created (bad name, role or password; name taken)."""


class User(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    username: str
    role: str
    active: bool

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class SessionInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    user: User
    csrf_token: str
    session_hash: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Security:
    """Auth state on top of an ``Index``; ``secret`` signs the cookies."""

    def __init__(self, index: Index, secret: str, *, session_hours: float = 12.0) -> None:
        self.index = index
        self.session_ttl = timedelta(hours=session_hours)
        self._session_signer = URLSafeTimedSerializer(secret, salt="evidence-session")
        self._csrf_signer = URLSafeTimedSerializer(secret, salt="evidence-login-csrf")

    # ------------------------------------------------------------------------------ users

    @with_retry
    def user_count(self) -> int:
        with self.index.session() as s:
            return int(s.execute(select(func.count()).select_from(UIUser)).scalar_one())

    @with_retry
    def users(self) -> list[User]:
        with self.index.session() as s:
            return [User.model_validate(u) for u in s.execute(select(UIUser).order_by(UIUser.id)).scalars()]

    def add_user(self, username: str, password: str, role: str) -> User:
        if not USERNAME_RE.fullmatch(username):
            raise UserError(
                "用户名无效 invalid user name: 1-64 of A-Z a-z 0-9 . _ @ - starting with a letter/digit"
            )
        if role not in ROLES:
            raise UserError(f"角色无效 invalid role {role!r}: choose one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"密码太短 password too short: at least {MIN_PASSWORD} characters")
        return self._insert_user(username, hash_password(password), role)

    @with_retry
    def _insert_user(self, username: str, password_hash: str, role: str) -> User:
        with self.index.session() as s, s.begin():
            if s.execute(select(UIUser.id).where(UIUser.username == username)).first():
                raise UserError(f"用户已存在 user {username!r} already exists")
            row = UIUser(username=username, password_hash=password_hash, role=role, active=True)
            s.add(row)
            s.flush()
            return User.model_validate(row)

    def ensure_first_admin(self, username: str = "admin") -> str | None:
        """On an empty user table, create ``admin`` with a generated password and return it
        (shown once, never stored in clear); None when users exist."""
        if self.user_count():
            return None
        password = secrets.token_urlsafe(15)
        try:
            self.add_user(username, password, "admin")
        except UserError:  # another process created it first
            return None
        self.audit("system", "user_add", detail=f"{username} (admin, first start)")
        return password

    @with_retry
    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise UserError(f"密码太短 password too short: at least {MIN_PASSWORD} characters")
        with self.index.session() as s, s.begin():
            done = s.execute(
                update(UIUser)
                .where(UIUser.username == username)
                .values(password_hash=hash_password(password))
            ).rowcount  # type: ignore[attr-defined]
            if not done:
                raise UserError(f"没有这个用户 no user {username!r}")
            s.execute(
                delete(UISession).where(
                    UISession.user_id.in_(select(UIUser.id).where(UIUser.username == username))
                )
            )

    def authenticate(self, username: str, password: str) -> User | None:
        with self.index.session() as s:
            row = s.execute(select(UIUser).where(UIUser.username == username)).scalar_one_or_none()
            stored = row.password_hash if row is not None and row.active else _DUMMY_HASH
            user = User.model_validate(row) if row is not None else None
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if _hasher.check_needs_rehash(stored):
            with self.index.session() as s, s.begin():
                s.execute(
                    update(UIUser).where(UIUser.id == user.id).values(password_hash=hash_password(password))
                )
        return user

    # -------------------------------------------------------------------------- rate limit

    @with_retry
    def recent_failures(self, ip: str, username: str, window_s: float) -> int:
        since = utcnow() - timedelta(seconds=window_s)
        with self.index.session() as s:
            return int(
                s.execute(
                    select(func.count())
                    .select_from(UILoginFailure)
                    .where(
                        UILoginFailure.ip == ip,
                        UILoginFailure.username == username[:64],
                        UILoginFailure.at >= since,
                    )
                ).scalar_one()
            )

    @with_retry
    def record_failure(self, ip: str, username: str) -> None:
        with self.index.session() as s, s.begin():
            s.add(UILoginFailure(ip=ip, username=username[:64], at=utcnow()))
            # keep the table small: forget failures older than a day
            s.execute(delete(UILoginFailure).where(UILoginFailure.at < utcnow() - timedelta(days=1)))

    @with_retry
    def clear_failures(self, ip: str, username: str) -> None:
        with self.index.session() as s, s.begin():
            s.execute(
                delete(UILoginFailure).where(
                    UILoginFailure.ip == ip, UILoginFailure.username == username[:64]
                )
            )

    # ---------------------------------------------------------------------------- sessions

    @with_retry
    def create_session(self, user: User, ip: str | None) -> str:
        """A new session for ``user``; returns the signed cookie value."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self.index.session() as s, s.begin():
            s.add(
                UISession(
                    id=_token_hash(token),
                    user_id=user.id,
                    csrf_token=secrets.token_urlsafe(32),
                    ip=ip,
                    created_at=now,
                    expires_at=now + self.session_ttl,
                )
            )
            s.execute(update(UIUser).where(UIUser.id == user.id).values(last_login_at=now))
            s.execute(delete(UISession).where(UISession.expires_at < now))
        return self._session_signer.dumps(token)

    @with_retry
    def session_from_cookie(self, cookie: str | None) -> SessionInfo | None:
        if not cookie:
            return None
        try:
            token = self._session_signer.loads(cookie, max_age=int(self.session_ttl.total_seconds()))
        except BadSignature:
            return None
        if not isinstance(token, str):
            return None
        digest = _token_hash(token)
        with self.index.session() as s:
            row = s.execute(
                select(UISession, UIUser)
                .join(UIUser, UIUser.id == UISession.user_id)
                .where(UISession.id == digest, UISession.expires_at > utcnow(), UIUser.active.is_(True))
            ).first()
            if row is None:
                return None
            sess, user = row
            return SessionInfo(
                user=User.model_validate(user), csrf_token=sess.csrf_token, session_hash=digest
            )

    @with_retry
    def end_session(self, session_hash: str) -> None:
        with self.index.session() as s, s.begin():
            s.execute(delete(UISession).where(UISession.id == session_hash))

    # -------------------------------------------------------------------------------- CSRF

    def login_csrf_pair(self) -> tuple[str, str]:
        """(cookie value, form value) for the login form: a double-submit token, the cookie
        signed so that it cannot be planted by another site."""
        raw = secrets.token_urlsafe(24)
        return self._csrf_signer.dumps(raw), raw

    def check_login_csrf(self, cookie: str | None, form_value: str | None) -> bool:
        if not cookie or not form_value:
            return False
        try:
            raw = self._csrf_signer.loads(cookie, max_age=3600)
        except BadSignature:
            return False
        return isinstance(raw, str) and hmac.compare_digest(raw, form_value)

    @staticmethod
    def check_csrf(session: SessionInfo, form_value: str | None) -> bool:
        return bool(form_value) and hmac.compare_digest(session.csrf_token, str(form_value))

    # ------------------------------------------------------------------------------- audit

    @with_retry
    def audit(
        self,
        username: str,
        action: str,
        *,
        submission_id: str | None = None,
        target: str | None = None,
        detail: str = "",
        ip: str | None = None,
        at: datetime | None = None,
    ) -> None:
        with self.index.session() as s, s.begin():
            s.add(
                UIAudit(
                    at=at or utcnow(),
                    username=username,
                    action=action,
                    submission_id=submission_id,
                    target=target,
                    detail=detail[:4000],
                    ip=ip,
                )
            )
