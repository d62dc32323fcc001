"""Benchmark: what signature verification and the catalog cost on the controller (hosts pay nothing).

    source tests/testbed/env.sh && python benchmarks/verification.py [--rounds 20]

Prints, per artifact:
- Sigstore: offline verification of a REAL production bundle (tests/unit/fixtures/sigstore), first call in
  the process (imports, trusted root) and the median of the following ones;
- OpenPGP: gpgv over a 17 MB archive (helm's size), with the keyring built from helm's real KEYS file (plus a
  gpg-made signing key, the only one pinned), median;
- the catalog: size on disk, pins, the first lookup in a process (YAML parsed) and the median after it.
Goal: at most 0.5 s of verification per artifact.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = os.environ.get("PRONK8S_COLLECTIONS", str(ROOT / ".cache" / "collections"))
sys.path[:0] = [str(ROOT / "tests" / "testbed"), str(ROOT / "tests" / "unit" / "plugins" / "module_utils"), COLLECTIONS]

from gpg_keys import make_key  # noqa: E402
from signed_catalog import PROD_ID, PROD_ISSUER, SIGSTORE  # noqa: E402


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def sigstore(rounds: int) -> tuple[float, float]:
    from ansible_collections.pronk8s.platform.plugins.module_utils import _signature
    digest = hashlib.sha256((SIGSTORE / "bundle_v3_github.whl").read_bytes()).hexdigest()
    bundle = (SIGSTORE / "bundle_v3_github.whl.sigstore").read_bytes()
    first = timed(lambda: _signature.verify_sigstore_bundle(bundle, digest, PROD_ID, PROD_ISSUER))
    rest = [timed(lambda: _signature.verify_sigstore_bundle(bundle, digest, PROD_ID, PROD_ISSUER)) for _round in range(rounds)]
    return first, statistics.median(rest)


def openpgp(rounds: int, work: Path) -> float:
    from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog, _signature
    key = make_key(work / "gpg", "bench signer <bench@pronk8s.invalid>")
    archive = work / "helm-v9.9.9-linux-amd64.tar.gz"
    archive.write_bytes(os.urandom(17 * 1024 * 1024))
    asc = key.gpg("--armor", "--detach-sign", "--local-user", key.fingerprint, data=archive.read_bytes())
    helm = _catalog.tool("helm")
    keys = (helm.directory / helm.signature["keys"]).read_bytes() + b"\n" + key.armored
    runs = [timed(lambda: _signature.verify_openpgp(str(archive), asc, keys, [key.fingerprint])) for _round in range(rounds)]
    return statistics.median(runs)


def catalog(rounds: int) -> tuple[int, int, float, float]:
    start = time.perf_counter()
    from ansible_collections.pronk8s.platform.plugins.module_utils import _catalog
    _catalog.find_artifact("kubectl", "1.35.2", "amd64")
    first = time.perf_counter() - start
    rest = [timed(lambda: _catalog.find_artifact("helm", "3.22.0", "arm64")) for _round in range(rounds)]
    size = sum(p.stat().st_size for p in (ROOT / "catalog").rglob("*") if p.is_file())
    pins = sum(len(a) for name in _catalog.tools() for a in _catalog.merged_pins(name).values())
    return size, pins, first, statistics.median(rest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    size, pins, lookup_first, lookup = catalog(args.rounds)
    first, warm = sigstore(args.rounds)
    with tempfile.TemporaryDirectory(prefix="pronk8s-bench-") as work:
        gpgv = openpgp(max(3, args.rounds // 4), Path(work))
    print(f"catalog: {size / 1024:.0f} KiB on disk, {pins} pins; lookup first {lookup_first * 1000:.0f} ms "
          f"(YAML parsed), then {lookup * 1000:.2f} ms per artifact (median of {args.rounds})")
    print(f"sigstore bundle, offline: first {first * 1000:.0f} ms (imports, trusted root), then {warm * 1000:.1f} ms "
          f"per artifact (median of {args.rounds})")
    print(f"openpgp (gpgv, 17 MiB archive, keyring from helm's KEYS): {gpgv * 1000:.0f} ms per artifact (median)")
    worst = max(warm, gpgv)
    print(f"goal <= 500 ms per artifact: {'met' if worst <= 0.5 else 'NOT met'} (worst {worst * 1000:.0f} ms; plus "
          f"{first * 1000:.0f} ms once per controller process for sigstore's imports); "
          "on the hosts: 0 ms (verification runs on the controller only)")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
