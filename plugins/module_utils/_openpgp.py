# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read OpenPGP public keys without gpg: de-armor them and compute primary key fingerprints.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

Only what a key pin needs: RFC 4880 / RFC 9580 packet framing, ASCII armor with its CRC-24, and
the v4 (SHA-1) and v5/v6 (SHA-256) fingerprint of each primary key. Signatures are not checked
here; apt's gpgv does that with the keyring this produces. The de-armored bytes are exactly what
``gpg --dearmor`` writes, so apt reads the result as a binary keyring.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

TAG_SECRET_KEY = 5
TAG_PUBLIC_KEY = 6
TAG_SECRET_SUBKEY = 7
TAG_USER_ID = 13
TAG_PUBLIC_SUBKEY = 14
# Packets that may use partial or indeterminate lengths (RFC 4880 4.2.2.4, RFC 9580 4.2.1.4): compressed,
# symmetrically encrypted, literal, integrity-protected and AEAD data. Key material never is such a packet.
DATA_PACKET_TAGS = frozenset({8, 9, 11, 18, 20})
# A v4 fingerprint hashes the key packet's length in two octets (RFC 4880 12.2): no v4 key body is longer.
MAX_V4_KEY_BODY = 0xFFFF

_ARMOR_RE = re.compile(
    r"-----BEGIN PGP (?P<kind>[A-Z ]+)-----\r?\n(?P<body>.*?)-----END PGP (?P=kind)-----",
    re.DOTALL,
)


class OpenPGPError(ValueError):
    """The data is not a well-formed OpenPGP public key."""


@dataclass
class PrimaryKey:
    """A primary public key with what a pin compares: fingerprint, version, user ids, subkeys."""

    fingerprint: str
    version: int
    user_ids: list[str] = field(default_factory=list)
    subkey_fingerprints: list[str] = field(default_factory=list)


def normalize_fingerprint(value: str) -> str:
    """Upper-case hex without spaces or a 0x prefix; raises OpenPGPError when it is no fingerprint."""
    text = re.sub(r"\s+", "", str(value)).upper()
    if text.startswith("0X"):
        text = text[2:]
    if not re.fullmatch(r"[0-9A-F]{40}|[0-9A-F]{64}", text):
        raise OpenPGPError(
            f"{value!r} is not an OpenPGP fingerprint (40 hex digits for a v4 key, 64 for v5/v6); "
            "a short or long key id is not enough to pin a key"
        )
    return text


def normalize_fingerprints(values: list[str], option: str) -> list[str]:
    """normalize_fingerprint() of each value; the OpenPGPError names the bad one as ``option[index]``."""
    normalized = []
    for index, value in enumerate(values):
        try:
            normalized.append(normalize_fingerprint(value))
        except OpenPGPError as exc:
            raise OpenPGPError(f"{option}[{index}]: {exc}") from exc
    return normalized


def crc24(data: bytes) -> int:
    """The CRC-24 of RFC 4880 section 6.1, used by ASCII armor."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _bit in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def dearmor(data: bytes) -> bytes:
    """Binary OpenPGP data from ``data``: armored blocks are decoded (CRC checked), binary is kept."""
    if not data:
        raise OpenPGPError("the key data is empty")
    if data[0] & 0x80:
        return data
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise OpenPGPError("the key data is neither binary OpenPGP nor ASCII armor") from exc
    blocks = list(_ARMOR_RE.finditer(text))
    if not blocks:
        raise OpenPGPError("no '-----BEGIN PGP PUBLIC KEY BLOCK-----' armor found in the key data")
    out = bytearray()
    for block in blocks:
        if block.group("kind") != "PUBLIC KEY BLOCK":
            raise OpenPGPError(f"armor holds a PGP {block.group('kind')}, not a PUBLIC KEY BLOCK")
        out += _decode_armor_body(block.group("body"))
    return bytes(out)


def _decode_armor_body(body: str) -> bytes:
    lines = [line.strip() for line in body.splitlines()]
    # Armor headers (Version:, Comment:) end at the first blank line; a body without headers has none.
    if "" in lines and any(":" in line for line in lines[: lines.index("")]):
        lines = lines[lines.index("") + 1:]
    lines = [line for line in lines if line]
    checksum = None
    # A base64 line never starts with "=": such a last line is the armor checksum (optional since RFC 9580).
    if lines and lines[-1].startswith("="):
        checksum = _armor_checksum(lines.pop())
    try:
        payload = base64.b64decode("".join(lines), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise OpenPGPError(f"the armored key is not valid base64: {exc}") from exc
    if checksum is not None:
        if crc24(payload) != checksum:
            raise OpenPGPError("the armored key's CRC-24 checksum does not match its content (damaged in transit?)")
    return payload


def _armor_checksum(line: str) -> int:
    """The CRC-24 of an armor checksum line ("=" and four base64 characters)."""
    if len(line) != 5:
        raise OpenPGPError(f"the armor's CRC-24 line {line[:20]!r} is malformed (expected '=' and 4 base64 characters)")
    try:
        return int.from_bytes(base64.b64decode(line[1:], validate=True), "big")
    except (binascii.Error, ValueError):
        raise OpenPGPError(f"the armor's CRC-24 line {line!r} is not valid base64") from None


def iter_packets(data: bytes):
    """Yield ``(tag, body)`` for each packet of binary OpenPGP ``data``."""
    for tag, _start, _end, body in iter_packet_spans(data):
        yield tag, body


def iter_packet_spans(data: bytes):
    """Yield ``(tag, start, end, body)`` for each packet: ``data[start:end]`` is the packet, header included.

    The spans let a keyring be cut between keys without re-encoding the packets that are kept.
    """
    pos = 0
    while pos < len(data):
        head, start = data[pos], pos
        if not head & 0x80:
            raise OpenPGPError(f"byte {pos} is not an OpenPGP packet header")
        pos += 1
        if head & 0x40:
            tag = head & 0x3F
            body = bytearray()
            while True:
                length, pos, partial = _new_length(data, pos)
                if partial and tag not in DATA_PACKET_TAGS:
                    raise OpenPGPError(f"packet {_packet_name(tag)} at byte {start} uses a partial body length, which "
                                       "OpenPGP allows only for data packets; refusing it (as GnuPG does)")
                body += _take(data, pos, length)
                pos += length
                if not partial:
                    break
            yield tag, start, pos, bytes(body)
        else:
            tag = (head >> 2) & 0x0F
            length_type = head & 0x03
            if length_type == 3:
                if tag not in DATA_PACKET_TAGS:
                    raise OpenPGPError(f"packet {_packet_name(tag)} at byte {start} has an indeterminate length, which "
                                       "OpenPGP allows only for data packets; refusing it (as GnuPG does)")
                length = len(data) - pos
            else:
                size = (1, 2, 4)[length_type]
                length = int.from_bytes(_take(data, pos, size), "big")
                pos += size
            body = _take(data, pos, length)
            pos += length
            yield tag, start, pos, body


def _packet_name(tag: int) -> str:
    names = {2: "signature", TAG_SECRET_KEY: "secret key", TAG_PUBLIC_KEY: "public key", TAG_SECRET_SUBKEY: "secret subkey",
             TAG_USER_ID: "user id", TAG_PUBLIC_SUBKEY: "public subkey", 17: "user attribute"}
    return f"{tag} ({names[tag]})" if tag in names else str(tag)


def _new_length(data: bytes, pos: int) -> tuple[int, int, bool]:
    first = _take(data, pos, 1)[0]
    if first < 192:
        return first, pos + 1, False
    if first < 224:
        second = _take(data, pos + 1, 1)[0]
        return ((first - 192) << 8) + second + 192, pos + 2, False
    if first == 255:
        return int.from_bytes(_take(data, pos + 1, 4), "big"), pos + 5, False
    return 1 << (first & 0x1F), pos + 1, True


def _take(data: bytes, pos: int, length: int) -> bytes:
    if pos + length > len(data):
        raise OpenPGPError("the OpenPGP data is truncated")
    return data[pos:pos + length]


def key_fingerprint(body: bytes) -> tuple[str, int]:
    """Fingerprint and version of a public key (or subkey) packet body."""
    if not body:
        raise OpenPGPError("empty public key packet")
    version = body[0]
    if version == 4 and len(body) > MAX_V4_KEY_BODY:
        raise OpenPGPError(f"a v4 public key packet of {len(body)} bytes is over the 65535 a v4 fingerprint can cover; "
                           "refusing it (as GnuPG does)")
    if version == 4:
        digest = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest()  # nosec B324 - v4 fingerprints are SHA-1 by definition
    elif version == 5:
        digest = hashlib.sha256(b"\x9a" + len(body).to_bytes(4, "big") + body).hexdigest()
    elif version == 6:
        digest = hashlib.sha256(b"\x9b" + len(body).to_bytes(4, "big") + body).hexdigest()
    else:
        raise OpenPGPError(f"unsupported OpenPGP key version {version} (v3 keys cannot be pinned safely)")
    return digest.upper(), version


def read_public_keys(data: bytes) -> list[PrimaryKey]:
    """Parse de-armored ``data`` into its primary keys; refuses secret keys and stray packets."""
    keys: list[PrimaryKey] = []
    for tag, body in iter_packets(data):
        if tag in (TAG_SECRET_KEY, TAG_SECRET_SUBKEY):
            raise OpenPGPError("the data holds SECRET key material; refusing to install it as an apt keyring")
        if tag == TAG_PUBLIC_KEY:
            fingerprint, version = key_fingerprint(body)
            keys.append(PrimaryKey(fingerprint=fingerprint, version=version))
        elif not keys:
            raise OpenPGPError(f"the data starts with an OpenPGP packet of type {tag}, not a public key")
        elif tag == TAG_PUBLIC_SUBKEY:
            keys[-1].subkey_fingerprints.append(key_fingerprint(body)[0])
        elif tag == TAG_USER_ID:
            keys[-1].user_ids.append(body.decode("utf-8", errors="replace"))
    if not keys:
        raise OpenPGPError("no public key found in the key data")
    return keys
