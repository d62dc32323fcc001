# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Take one vendor's keys out of apt keyrings (``/etc/apt/trusted.gpg``, ``trusted.gpg.d/*``), keeping the rest.

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.

``apt-key add`` (and older install instructions) put a vendor's key in a keyring apt trusts for EVERY
repository. A keyring here is a sequence of transferable public keys (a primary key packet and what
follows it up to the next primary key, trust packets included, as ``apt-key``'s gpg writes them); the keys
that are kept keep their exact bytes. Armored files (``.asc``) stay armored.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ansible_collections.pronk8s.platform.plugins.module_utils._openpgp import (
    TAG_PUBLIC_KEY,
    OpenPGPError,
    crc24,
    dearmor,
    iter_packet_spans,
    key_fingerprint,
)


@dataclass
class KeyBlock:
    fingerprint: str
    data: bytes


def is_armored(data: bytes) -> bool:
    return bool(data) and not data[0] & 0x80


def key_blocks(data: bytes) -> list[KeyBlock]:
    """The transferable public keys of a keyring (armored or binary), each with its exact bytes."""
    binary = dearmor(data)
    blocks: list[KeyBlock] = []
    start = None
    fingerprint = ""
    for tag, begin, _end, body in iter_packet_spans(binary):
        if tag == TAG_PUBLIC_KEY:
            if start is not None:
                blocks.append(KeyBlock(fingerprint, binary[start:begin]))
            start, fingerprint = begin, key_fingerprint(body)[0]
        elif start is None:
            raise OpenPGPError(f"the keyring starts with an OpenPGP packet of type {tag}, not a public key")
    if start is not None:
        blocks.append(KeyBlock(fingerprint, binary[start:]))
    return blocks


def fingerprints(data: bytes) -> list[str]:
    return [block.fingerprint for block in key_blocks(data)]


def without_keys(data: bytes, drop: list[str]) -> tuple[bytes | None, list[str]]:
    """(the keyring without the keys ``drop`` names, the fingerprints removed); None when no key is left."""
    blocks = key_blocks(data)
    removed = [block.fingerprint for block in blocks if block.fingerprint in drop]
    if not removed:
        return data, []
    kept = b"".join(block.data for block in blocks if block.fingerprint not in drop)
    if not kept:
        return None, removed
    return (armor(kept) if is_armored(data) else kept), removed


def armor(binary: bytes) -> bytes:
    """ASCII armor (RFC 4880 section 6) of a public key block, as ``gpg --armor --export`` writes it."""
    body = base64.b64encode(binary).decode("ascii")
    lines = [body[index:index + 64] for index in range(0, len(body), 64)]
    checksum = base64.b64encode(crc24(binary).to_bytes(3, "big")).decode("ascii")
    text = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(lines) + f"\n={checksum}\n-----END PGP PUBLIC KEY BLOCK-----\n"
    return text.encode("ascii")
