"""Throwaway OpenPGP keys made with the real gpg in a temporary GNUPGHOME, for pin tests.

Nothing here touches the user's keyring. Ed25519 keys are generated in well under a second.
Used by the unit tests of the OpenPGP parser and by the Docker repository integration test.
"""

from __future__ import annotations

import atexit
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class TestKey:
    __test__ = False  # not a pytest test class

    home: Path
    fingerprint: str
    armored: bytes
    binary: bytes

    def gpg(self, *argv: str, data: bytes | None = None) -> bytes:
        return run_gpg(self.home, *argv, data=data)

    def clearsign(self, text: bytes) -> bytes:
        return self.gpg("--clearsign", "--local-user", self.fingerprint, data=text)


# gpg starts a gpg-agent per home that outlives the test run: stop each one when the tests end.
_HOMES: set[Path] = set()


@atexit.register
def _stop_agents() -> None:
    for home in _HOMES:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False, capture_output=True)


def run_gpg(home: Path, *argv: str, data: bytes | None = None) -> bytes:
    _HOMES.add(home)
    env = {**os.environ, "GNUPGHOME": str(home), "LC_ALL": "C"}
    return subprocess.run(["gpg", "--batch", "--no-tty", "--quiet", *argv], input=data, env=env,
                          check=True, capture_output=True).stdout


def make_key(home: Path, uid: str = "pronk8s throwaway test key <test@pronk8s.invalid>",
             algo: str = "ed25519", with_subkey: bool = True) -> TestKey:
    """Generate a key (plus a signing subkey, like Docker's) and export it armored and binary."""
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    run_gpg(home, "--passphrase", "", "--quick-generate-key", uid, algo, "sign", "never")
    fingerprint = run_gpg(home, "--with-colons", "--list-keys", uid).decode().split("fpr:::::::::")[1].split(":")[0]
    if with_subkey:
        run_gpg(home, "--passphrase", "", "--quick-add-key", fingerprint, algo, "sign", "never")
    return TestKey(home=home, fingerprint=fingerprint,
                   armored=run_gpg(home, "--armor", "--export", fingerprint),
                   binary=run_gpg(home, "--export", fingerprint))
