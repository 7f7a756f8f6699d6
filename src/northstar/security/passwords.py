"""argon2id password hashing."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from northstar.config import get_settings


@lru_cache(maxsize=2)
def hasher_for(profile: str) -> PasswordHasher:
    """The argon2id hasher of a settings profile ("standard" or "fast")."""
    if profile == "fast":
        # Still argon2id, with the smallest cost: only for test suites, which hash hundreds of
        # passwords. Settings refuses this profile in production.
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)


def _hasher() -> PasswordHasher:
    return hasher_for(get_settings().password_profile)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this when the user does not exist keeps the response time the same, so a
    # timing difference cannot tell an attacker which usernames exist.
    return _hasher().hash("northstar-timing-equaliser")


MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)
