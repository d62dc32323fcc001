"""The OpenPGP reader agrees with real gpg on fingerprints and de-armoring, and refuses bad data."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest
from gpg_keys import TestKey, make_key, run_gpg

from ansible_collections.pronk8s.platform.plugins.module_utils._openpgp import (
    OpenPGPError,
    crc24,
    dearmor,
    normalize_fingerprint,
    normalize_fingerprints,
    read_public_keys,
)

DOCKER_PIN = "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> TestKey:
    return make_key(tmp_path_factory.mktemp("gnupg"))


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> TestKey:
    # RSA 3072, like Docker's release key (4096): exercises two-octet packet lengths.
    return make_key(tmp_path_factory.mktemp("gnupg-rsa"), uid="rsa test <rsa@pronk8s.invalid>", algo="rsa3072")


def test_fingerprint_matches_gpg(key: TestKey, rsa_key: TestKey) -> None:
    for k in (key, rsa_key):
        (primary,) = read_public_keys(dearmor(k.armored))
        assert primary.fingerprint == k.fingerprint
        assert primary.version == 4
        assert len(primary.subkey_fingerprints) == 1
        assert primary.user_ids and "pronk8s.invalid" in primary.user_ids[0]


def test_dearmor_equals_gpg_dearmor(key: TestKey, tmp_path: Path) -> None:
    src = tmp_path / "key.asc"
    src.write_bytes(key.armored)
    out = tmp_path / "key.gpg"
    run_gpg(tmp_path, "--output", str(out), "--dearmor", str(src))
    assert dearmor(key.armored) == out.read_bytes() == key.binary


def test_binary_is_kept_as_is(key: TestKey) -> None:
    assert dearmor(key.binary) == key.binary


def test_crc24_matches_the_armor_checksum(key: TestKey) -> None:
    lines = key.armored.decode().splitlines()
    checksum = next(line for line in lines if line.startswith("=") and len(line) == 5)
    assert crc24(key.binary) == int.from_bytes(base64.b64decode(checksum[1:]), "big")


def test_damaged_armor_is_refused(key: TestKey) -> None:
    lines = key.armored.decode().splitlines()
    body = next(i for i, line in enumerate(lines) if len(line) > 60)
    flipped = lines[body][:10] + ("A" if lines[body][10] != "A" else "B") + lines[body][11:]
    lines[body] = flipped
    with pytest.raises(OpenPGPError, match="CRC-24"):
        dearmor("\n".join(lines).encode())


def test_two_keys_in_one_file_are_both_reported(key: TestKey, rsa_key: TestKey) -> None:
    keys = read_public_keys(dearmor(key.armored + b"\n" + rsa_key.armored))
    assert [k.fingerprint for k in keys] == [key.fingerprint, rsa_key.fingerprint]


def test_secret_key_material_is_refused(key: TestKey) -> None:
    secret = key.gpg("--pinentry-mode", "loopback", "--passphrase", "", "--export-secret-keys", key.fingerprint)
    with pytest.raises(OpenPGPError, match="SECRET"):
        read_public_keys(secret)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"<html>404 Not Found</html>", "no '-----BEGIN PGP PUBLIC KEY BLOCK-----'"),
    (b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n", "not a PUBLIC KEY BLOCK"),
    (b"\xff\xfe\x00", "not an OpenPGP packet header|truncated|partial body length"),
])
def test_garbage_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(OpenPGPError, match=message):
        read_public_keys(dearmor(data))


def test_truncated_binary_is_refused(key: TestKey) -> None:
    with pytest.raises(OpenPGPError, match="truncated"):
        read_public_keys(key.binary[:-7])


@pytest.mark.parametrize("value", [
    DOCKER_PIN, DOCKER_PIN.lower(), "9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88", "0x" + DOCKER_PIN,
])
def test_fingerprint_spellings_normalize(value: str) -> None:
    assert normalize_fingerprint(value) == DOCKER_PIN


@pytest.mark.parametrize("value", ["0EBFCD88", "8D81803C0EBFCD88", DOCKER_PIN + "00", "XYZ"])
def test_key_ids_and_junk_are_not_fingerprints(value: str) -> None:
    with pytest.raises(OpenPGPError, match="not an OpenPGP fingerprint"):
        normalize_fingerprint(value)


def test_gpg_is_real() -> None:
    # The keys above come from the real gpg, not a stub.
    assert subprocess.run(["gpg", "--version"], capture_output=True, check=True).stdout.startswith(b"gpg (GnuPG)")


# ---- issue 12: malformed framing is refused with a clear message, never a raw exception -------------
@pytest.mark.parametrize(("checksum", "message"), [
    ("=A===", "CRC-24 line '=A===' is not valid base64"),  # was a raw binascii.Error
    ("=!!!!", "CRC-24 line '=!!!!' is not valid base64"),
    ("=AAAAAAA", "CRC-24 line '=AAAAAAA' is malformed"),
    ("=AB", "CRC-24 line '=AB' is malformed"),
])
def test_bad_armor_checksum_line_is_refused(key: TestKey, checksum: str, message: str) -> None:
    lines = key.armored.decode().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("=") and len(line) == 5)
    lines[index] = checksum
    with pytest.raises(OpenPGPError, match=re.escape(message)):
        dearmor("\n".join(lines).encode())


def test_armor_without_checksum_is_accepted(key: TestKey) -> None:
    # The checksum line is optional (RFC 9580 6.1).
    lines = [line for line in key.armored.decode().splitlines() if not (line.startswith("=") and len(line) == 5)]
    assert dearmor("\n".join(lines).encode()) == key.binary


def new_packet(tag: int, body: bytes) -> bytes:
    """A new-format packet with a five-octet length."""
    return bytes([0xC0 | tag, 0xFF]) + len(body).to_bytes(4, "big") + body


def test_v4_key_body_over_64_kib_is_refused(key: TestKey) -> None:
    # Was a raw OverflowError: a v4 fingerprint hashes the length in two octets.
    body = b"\x04" + b"\x00" * 70000
    with pytest.raises(OpenPGPError, match="v4 public key packet of 70001 bytes is over the 65535"):
        read_public_keys(new_packet(6, body))
    with pytest.raises(OpenPGPError, match="over the 65535"):
        read_public_keys(key.binary + new_packet(14, body))


def test_partial_length_on_a_key_packet_is_refused(key: TestKey) -> None:
    # A user id split into a 512-byte partial chunk and a final 5-byte chunk: legal only for data packets.
    uid = bytes([0xC0 | 13, 0xE0 | 9]) + b"u" * 512 + bytes([5]) + b"uuuuu"
    with pytest.raises(OpenPGPError, match=r"packet 13 \(user id\) at byte \d+ uses a partial body length"):
        read_public_keys(key.binary + uid)


def test_indeterminate_length_on_a_key_packet_is_refused(key: TestKey) -> None:
    # Old-format user id packet, length type 3 ("until the end of the data").
    uid = bytes([0x80 | (13 << 2) | 3]) + b"someone <x@pronk8s.invalid>"
    with pytest.raises(OpenPGPError, match=r"packet 13 \(user id\) at byte \d+ has an indeterminate length"):
        read_public_keys(key.binary + uid)


def test_normalize_fingerprints_names_the_bad_item_by_option_and_index():
    good = "0x" + "ab" * 20
    assert normalize_fingerprints([good, "CD" * 32], "fingerprint") == ["AB" * 20, "CD" * 32]
    with pytest.raises(OpenPGPError, match=r"^fingerprints\[1\]: '0123456789ABCDEF' is not an OpenPGP"):
        normalize_fingerprints([good, "0123456789ABCDEF"], "fingerprints")
