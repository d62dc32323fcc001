"""Controller-side distribution on a mixed fleet: two amd64 hosts and the arm64 "Pi" (qemu emulation).

The controller must fetch each (artifact, arch) once whatever the number of hosts and forks, verify it,
push it only to hosts that need it, and each host verifies again. Air-gapped: the same from a local
directory, with no mirror at all.

No kind binary exists on this machine (and none for arm64 at all), so the artifacts are shell scripts
named and laid out like kind's releases and pinned by the test as user pins: a test double of the
artifact only; the roles, the catalog rules, the controller cache, the transfer and the installs are real.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hostile_http import body, header_values, hostile, redirect

ROOT = Path(__file__).resolve().parents[2]
VERSION = "0.0.1-pronk8s.test"


def stand_in(arch: str) -> bytes:
    return f"#!/bin/sh\necho 'kind v{VERSION} go1.24 linux/{arch}'\n".encode()


def mirror_path(arch: str) -> str:
    return f"github.com/kubernetes-sigs/kind/releases/download/v{VERSION}/kind-linux-{arch}"


PINS = {"kind": {VERSION: {arch: hashlib.sha256(stand_in(arch)).hexdigest() for arch in ("amd64", "arm64")}}}


@pytest.fixture(scope="module")
def fleet(module_hosts):
    module_hosts.start("sshd", 2, prefix="dist")
    module_hosts.start("pi", 1, prefix="dist")
    return module_hosts


def play(tmp: Path, **variables) -> Path:
    path = tmp / f"play-{len(list(tmp.iterdir()))}.yml"
    path.write_text(json.dumps([{"name": "kind", "hosts": "all", "gather_facts": False,
                                 "vars": {"kind_version": VERSION, "pronk8s_artifact_extra_pins": PINS, **variables},
                                 "roles": ["pronk8s.platform.kind"]}]))
    return path


def installs(result) -> dict[str, dict]:
    """Per host, the kind role's install result (its one catalog item, resolved for the host's arch)."""
    return {e["host"]: e["result"]["results"][0] for e in result.results
            if e["task"].endswith(f"Install verified kind {VERSION}")}


def test_controller_fetches_each_artifact_once(fleet, module_mirror, module_ansible, tmp_path):
    for arch in ("amd64", "arm64"):
        module_mirror.publish(mirror_path(arch), stand_in(arch))
    module_mirror.reset_stats()
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    pb = play(tmp_path, pronk8s_artifact_source="mirror", pronk8s_artifact_mirror_url=module_mirror.url)

    cold = module_ansible.playbook(pb, fleet.inventory(), "--forks", "5", env=env)
    assert cold.rc == 0, cold.stdout[-3000:]
    results = installs(cold)
    assert len(results) == 3 and all(r["changed"] and r["distributed_from"] == "controller" for r in results.values())
    stats = module_mirror.stats()
    assert stats["requests"] == {f"/{mirror_path('amd64')}": 1, f"/{mirror_path('arm64')}": 1}
    assert stats["total_bytes"] == len(stand_in("amd64")) + len(stand_in("arm64"))
    for host in fleet.hosts:
        arch = host.arch
        assert host.exec("/usr/local/bin/kind", "version").stdout == f"kind v{VERSION} go1.24 linux/{arch}\n"

    warm = module_ansible.playbook(pb, fleet.inventory(), env=env)
    assert warm.rc == 0 and not any(r["changed"] for r in installs(warm).values())
    assert module_mirror.stats()["total_bytes"] == stats["total_bytes"], "a warm run must not download"


def test_mirror_playbook_then_air_gapped_install(fleet, module_mirror, module_ansible, tmp_path):
    for arch in ("amd64", "arm64"):
        module_mirror.publish(mirror_path(arch), stand_in(arch))
    local = tmp_path / "artifacts"
    prefetch_vars = {"mirror_dir": str(local), "mirror_tools": ["kind"], "mirror_from_url": module_mirror.url,
                     "kind_version": VERSION, "pronk8s_artifact_extra_pins": PINS}
    prefetch = module_ansible.playbook(ROOT / "playbooks" / "mirror.yml", fleet.inventory(), extra_vars=prefetch_vars)
    assert prefetch.rc == 0, prefetch.stdout[-3000:]
    for arch in ("amd64", "arm64"):
        assert (local / mirror_path(arch)).read_bytes() == stand_in(arch)
    sums = (local / "SHA256SUMS").read_text().splitlines()
    assert sorted(sums) == sorted(f"{PINS['kind'][VERSION][a]}  {mirror_path(a)}" for a in ("amd64", "arm64"))

    module_mirror.reset_stats()
    pb = play(tmp_path, pronk8s_artifact_source="local", pronk8s_artifact_local_dir=str(local),
              kind_install_dir="/opt/airgap/bin")
    res = module_ansible.playbook(pb, fleet.inventory())
    assert res.rc == 0, res.stdout[-3000:]
    assert all(r["changed"] and r["distributed_from"] == "controller" for r in installs(res).values())
    assert module_mirror.stats()["total_bytes"] == 0

    # A local file that is not the pinned artifact is refused on the controller: nothing reaches any host.
    (local / mirror_path("amd64")).write_bytes(b"#!/bin/sh\necho evil\n")
    pb = play(tmp_path, pronk8s_artifact_source="local", pronk8s_artifact_local_dir=str(local),
              kind_install_dir="/opt/airgap2/bin")
    bad = module_ansible.playbook(pb, fleet.inventory())
    assert bad.rc != 0
    assert f"sha256 mismatch for controller file {local / mirror_path('amd64')}: expected {PINS['kind'][VERSION]['amd64']}" in bad.stdout
    amd64_host = next(h for h in fleet.hosts if h.arch == "amd64")
    assert amd64_host.exec("ls", "/opt/airgap2/bin", check=False).stdout == ""


def test_mirror_playbook_stops_before_downloading_an_unpinned_version(fleet, module_mirror, module_ansible, tmp_path):
    module_mirror.reset_stats()
    res = module_ansible.playbook(ROOT / "playbooks" / "mirror.yml", fleet.inventory(), extra_vars={
        "mirror_dir": str(tmp_path / "a"), "mirror_tools": ["kind"], "kind_version": "0.31.0",
        "kind_arch": "arm", "mirror_from_url": module_mirror.url})
    assert res.rc != 0
    assert "kind 0.31.0 has no sha256 pin for arm; pinned versions for arm: 0.8.1, 0.7.0" in res.stdout
    assert module_mirror.stats()["total_bytes"] == 0 and not (tmp_path / "a").exists()


def _vb_play(tmp: Path, args: dict) -> Path:
    path = tmp / f"vb-{len(list(tmp.iterdir()))}.yml"
    path.write_text(json.dumps([{"name": "vb", "hosts": "all", "gather_facts": False,
                                 "tasks": [{"name": "vb", "pronk8s.platform.verified_binary": args}]}]))
    return path


def test_remote_src_in_a_multi_host_play_runs_on_each_host(fleet, module_ansible, tmp_path):
    """Item 6 of issue 12: distribute=auto with several hosts used to treat the host path as a controller URL."""
    data = b"#!/bin/sh\necho 'tool from the host'\n"
    for host in fleet.hosts:
        host.exec("sh", "-c", f"mkdir -p /opt/src && printf '%s' \"{data.decode()}\" > /opt/src/tool")
    res = module_ansible.playbook(_vb_play(tmp_path, {"src": "/opt/src/tool", "remote_src": True,
                                                      "checksum": hashlib.sha256(data).hexdigest(),
                                                      "dest": "/opt/remote-src/bin/tool"}), fleet.inventory())
    assert res.rc == 0, res.stdout[-3000:]
    for host in fleet.hosts:
        result = res.task("vb", host=host.name)
        assert result["changed"] and result["distributed_from"] == "host" and result["url"] == "/opt/src/tool"
        assert host.exec("/opt/remote-src/bin/tool").stdout == "tool from the host\n"


def test_controller_cache_keeps_credentials_to_the_origin(fleet, module_ansible, tmp_path):
    """Item 2 of issue 12 on the controller side: the cache download and the checksum file follow redirects
    to another port without the token; the hosts get the verified artifact."""
    data = b"#!/bin/sh\necho 'tool via redirect'\n"
    digest = hashlib.sha256(data).hexdigest()
    with hostile({"/tool": body(data), "/SHA256SUMS": body(f"{digest}  tool\n".encode())}) as other:
        with hostile({"/tool": redirect(f"{other.url}/tool"), "/SHA256SUMS": redirect(f"{other.url}/SHA256SUMS")}) as origin:
            res = module_ansible.playbook(
                _vb_play(tmp_path, {"url": f"{origin.url}/tool", "checksum": f"{origin.url}/SHA256SUMS",
                                    "dest": "/opt/redirected/bin/tool", "distribute": "controller",
                                    "headers": {"Authorization": "Bearer s3cr3t-token"},
                                    "cache_dir": str(tmp_path / "cache")}),
                fleet.inventory())
    assert res.rc == 0, res.stdout[-3000:]
    assert all(res.task("vb", host=h.name)["distributed_from"] == "controller" for h in fleet.hosts)
    for path in ("/tool", "/SHA256SUMS"):
        assert set(header_values(origin, path, "Authorization")) == {"Bearer s3cr3t-token"}
        assert set(header_values(other, path, "Authorization")) == {None}
    assert len(header_values(other, "/tool", "Authorization")) == 1, "one cache download for all hosts"
