"""Password hashes Mosquitto can check: the ``$7$`` form, read and written."""

from __future__ import annotations

import base64

from fleet.access.passwords import ITERATIONS, hash_password, is_hash, verify_password

MOSQUITTO_PASSWD_LINE = ("alice:$7$101$Z7EDzxdvwumKwNAn$BIt4Xi2YsEV+C/2SCIoMUA2x9tiSD7IMtw96Bt8r"
                         "oWgs46YyB2G99YWaDa3C9nwrhmyVIfn1JMdoP+LtkQlQGA==")
"""Written by ``mosquitto_passwd -c -b FILE alice s3cret`` (Mosquitto 2.0.11)."""


def test_a_hash_made_by_mosquitto_passwd_verifies() -> None:
    _, hashed = MOSQUITTO_PASSWD_LINE.split(":", 1)
    assert verify_password("s3cret", hashed)
    assert not verify_password("s3cret ", hashed)
    assert not verify_password("S3cret", hashed)


def test_our_hash_has_mosquittos_form_and_verifies() -> None:
    hashed = hash_password("correct horse")
    _, seven, iterations, salt, key = hashed.split("$")
    assert (seven, iterations) == ("7", str(ITERATIONS))
    assert len(salt) == 16 and len(key) == 88  # base64 of 12 and 64 bytes
    assert is_hash(hashed)
    assert verify_password("correct horse", hashed)
    assert not verify_password("correct horse!", hashed)


def test_the_same_salt_gives_mosquittos_key() -> None:
    _, hashed = MOSQUITTO_PASSWD_LINE.split(":", 1)
    salt = base64.b64decode(hashed.split("$")[3])
    assert hash_password("s3cret", iterations=101, salt=salt) == hashed


def test_two_hashes_of_one_password_differ() -> None:
    assert hash_password("pw") != hash_password("pw")


def test_other_forms_do_not_verify() -> None:
    for bad in ("", "plain", "$6$abc$def", "$7$x$AAAA$AAAA"):
        assert not is_hash(bad)
        assert not verify_password("pw", bad)
    assert not verify_password("pw", "$7$101$not base64!$AAAA")
