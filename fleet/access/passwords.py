"""Password hashes in the form Mosquitto's ``password_file`` reads.

We write the file ourselves rather than call ``mosquitto_passwd``: it is not
always installed with the broker, and in 2.0 it takes a password only on its
command line (where ``ps`` shows it) or from a terminal prompt. The format is
Mosquitto 2.0's ``$7$``: ``$7$<iterations>$<base64 salt>$<base64 key>``, the key
being PBKDF2-HMAC-SHA512 of the password over a 12-byte salt, 64 bytes long, as
``mosquitto_passwd`` 2.0.11 writes it (a line of its output is a test vector in
``tests/test_access_passwords.py``). It uses 101 iterations; the broker reads the
count from each line, and a real broker accepts ours (``tests/test_access_broker.py``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

ITERATIONS = 1000
"""Ten times ``mosquitto_passwd``'s default: each CONNECT pays it once (well under a
millisecond), a stolen file pays it for every guess."""
SALT_BYTES = 12
KEY_BYTES = 64


def hash_password(password: str, *, iterations: int = ITERATIONS,
                  salt: bytes | None = None) -> str:
    """The ``$7$...`` hash of ``password`` with a fresh random salt (or ``salt``)."""
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, KEY_BYTES)
    return (f"$7${iterations}${base64.b64encode(salt).decode()}$"
            f"{base64.b64encode(key).decode()}")


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash; False for any other form."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        key = base64.b64decode(parts[4], validate=True)
    except (binascii.Error, ValueError):
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]), len(key))
    return hmac.compare_digest(got, key)


def is_hash(text: str) -> bool:
    """Whether ``text`` looks like a ``$7$`` hash (for checking a users file on load)."""
    parts = text.split("$")
    return len(parts) == 5 and not parts[0] and parts[1] == "7" and parts[2].isdigit()


def new_password() -> str:
    """A password for one of fleet's own clients, or for ``fleet users add`` without one."""
    return secrets.token_urlsafe(24)
