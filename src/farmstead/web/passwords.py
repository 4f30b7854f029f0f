"""Salted password hashes for the web monitor's sign-in (`farmstead users passwd NAME`).

scrypt from the standard library, stored as `scrypt$n$r$p$salt$hash` (hex) so the cost can be raised
later without invalidating stored hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
MIN_LENGTH = 8
# Longer input is refused before hashing: sign-in is open to anyone, so its cost must stay bounded.
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(actual.hex(), digest)


def verify_or_decoy(password: str, stored: str | None) -> bool:
    """verify_password, except that with no stored hash (no such user, or no password set) it still
    does one scrypt of the same cost, so the time a sign-in takes does not tell which names exist."""
    if len(password) > MAX_LENGTH:
        return False
    matched = verify_password(password, stored or _DECOY)
    return matched and bool(stored)


# Same cost as a real hash; its digest (zeros) matches no password, and it is never accepted anyway.
_DECOY = f"scrypt${_N}${_R}${_P}${'00' * 16}${'00' * 32}"
