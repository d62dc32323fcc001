"""verified_binary and the kubectl/helm/kind roles on real containers, downloading from a local mirror.

Hosts: an amd64 sshd container and the arm64 "Pi" container (qemu emulation). Artifacts:
- the REAL upstream kubectl v1.35.2 (linux/amd64), verified against the catalog's shipped pin;
- the REAL helm v4.1.4 binary packed by this test into a release-shaped tar.gz; upstream's archive cannot
  be rebuilt byte for byte, so it is pinned by the test as a user pin (pronk8s_artifact_extra_pins);
- small shell scripts standing in for binaries where only behaviour around the bytes matters (upgrade,
  downgrade, failures) or where no real binary exists here (arm64 tools). They are test doubles of the
  artifacts, not of the engine: download, verification, extraction and install all run for real.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils._receipt import ROOT_RECEIPT_DIR, receipt_path
from hostile_http import body, header_values, hostile, redirect

ROOT = Path(__file__).resolve().parents[2]
DEST = "/usr/local/bin/tool"
RECEIPT = receipt_path(ROOT_RECEIPT_DIR, DEST)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def script(version: str) -> bytes:
    return f"#!/bin/sh\necho 'tool {version}'\n".encode()


def targz(members: dict[str, bytes], links: dict[str, str] | None = None, devices: list[str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
        for name in devices or []:
            info = tarfile.TarInfo(name)
            info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            tar.addfile(info)
    return buf.getvalue()


def write_playbook(tmp: Path, tasks: list[dict], name: str = "play", gather: bool = False) -> Path:
    path = tmp / f"{name}.yml"
    path.write_text(json.dumps([{"name": name, "hosts": "all", "gather_facts": gather, "tasks": tasks}]))
    return path


def vb(args: dict) -> list[dict]:
    return [{"name": "vb", "pronk8s.platform.verified_binary": args}]


def host_state(host, dest: str = DEST, receipt: str = RECEIPT) -> dict:
    """Everything a failed run must leave exactly as it was."""
    out = host.exec("sh", "-c", f"sha256sum {dest} 2>/dev/null; cat {receipt} 2>/dev/null; ls -A {Path(dest).parent}", check=False)
    return {"snapshot": out.stdout}


@pytest.fixture(scope="module")
def amd64(module_hosts):
    return module_hosts.start("sshd", 1, prefix="vb")[0]


@pytest.fixture(scope="module")
def inv(module_hosts, amd64):
    return module_hosts.inventory([amd64])


@pytest.fixture
def run(module_ansible, inv, tmp_path):
    def _run(args: dict, *flags: str, inventory: Path | None = None):
        return module_ansible.playbook(write_playbook(tmp_path, vb(args)), inventory or inv, *flags)
    return _run


@pytest.fixture(scope="module")
def real_bin() -> Path:
    out = subprocess.run(["bash", str(ROOT / "tests/testbed/real_binaries.sh")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def installed_v1(run, module_mirror, amd64):
    """A host with tool v1 installed and a receipt: the baseline failures must not disturb."""
    amd64.exec("rm", "-f", DEST, RECEIPT)
    url = module_mirror.publish("v1/tool", script("v1"))
    res = run({"url": url, "checksum": sha(script("v1")), "dest": DEST, "version": "1", "distribute": "host"})
    assert res.rc == 0, res.stdout
    return host_state(amd64)


def _role_play(tmp: Path, role: str, **variables) -> Path:
    """A play applying one role, with `variables` as play vars (as inventory group_vars would set them)."""
    pb = tmp / f"{role}-{len(list(tmp.iterdir()))}.yml"
    pb.write_text(json.dumps([{"name": "r", "hosts": "all", "gather_facts": False, "vars": variables,
                               "roles": [f"pronk8s.platform.{role}"]}]))
    return pb


# ---- the real kubectl through the role ---------------------------------------------------------------

def role_install(res, name: str) -> dict:
    """The role's one install (a batch of one catalog tool): its item's result, with the task's warnings."""
    task = res.task(name)
    return {**task["results"][0], "warnings": task.get("warnings", [])}


def test_real_kubectl_from_mirror_cold_warm_check_tamper(module_ansible, module_mirror, amd64, inv, real_bin, tmp_path):
    kubectl = real_bin / "kubectl"
    module_mirror.publish("dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl", kubectl)
    pb = _role_play(tmp_path, "kubectl", kubectl_version="1.35.2", pronk8s_artifact_source="mirror",
                    pronk8s_artifact_mirror_url=module_mirror.url)
    install = "Install verified kubectl 1.35.2"
    module_mirror.reset_stats()

    cold = module_ansible.playbook(pb, inv, "--diff")
    assert cold.rc == 0, cold.stdout[-3000:]
    first = role_install(cold, install)
    assert first["changed"] and first["outcome"] == "installed"
    assert first["sha256"] == "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
    assert "v1.35.2" in amd64.exec("/usr/local/bin/kubectl", "version", "--client").stdout
    assert module_mirror.stats()["total_bytes"] == kubectl.stat().st_size

    warm = module_ansible.playbook(pb, inv)
    assert warm.rc == 0 and not role_install(warm, install)["changed"]
    check = module_ansible.playbook(pb, inv, "--check", "--diff")
    assert check.rc == 0 and not role_install(check, install)["changed"]
    assert module_mirror.stats()["total_bytes"] == kubectl.stat().st_size, "warm and check runs must not download"

    amd64.exec("sh", "-c", "printf X >> /usr/local/bin/kubectl")
    repaired = module_ansible.playbook(pb, inv)
    result = role_install(repaired, install)
    assert repaired.rc == 0 and result["changed"] and result["tampered"] and result["outcome"] == "repaired"
    assert any("was modified after it was installed" in w for w in result.get("warnings", []))
    assert amd64.exec("sha256sum", "/usr/local/bin/kubectl").stdout.startswith(first["sha256"])


def test_real_helm_archive_with_user_pin(module_ansible, module_mirror, amd64, inv, real_bin, tmp_path):
    archive = targz({"linux-amd64/helm": (real_bin / "helm").read_bytes(), "linux-amd64/LICENSE": b"Apache-2.0\n"})
    module_mirror.publish("get.helm.sh/helm-v4.1.4-linux-amd64.tar.gz", archive)
    pb = _role_play(tmp_path, "helm", helm_version="4.1.4", pronk8s_artifact_source="mirror",
                    pronk8s_artifact_mirror_url=module_mirror.url,
                    pronk8s_artifact_extra_pins={"helm": {"4.1.4": {"amd64": sha(archive)}}},
                    # The catalog pins upstream's 4.1.4 archive; this repacked one replaces it, loudly.
                    pronk8s_artifact_unsafe_override_shipped_pins=True)
    res = module_ansible.playbook(pb, inv)
    assert res.rc == 0, res.stdout[-3000:]
    installed = role_install(res, "Install verified helm 4.1.4")
    assert installed["artifact_sha256"] == sha(archive)
    assert installed["sha256"] == sha((real_bin / "helm").read_bytes())
    assert "v4.1.4" in amd64.exec("/usr/local/bin/helm", "version", "--short").stdout
    again = module_ansible.playbook(pb, inv)
    assert not role_install(again, "Install verified helm 4.1.4")["changed"]


# ---- module behaviour --------------------------------------------------------------------------------

def test_check_mode_needs_no_network(run, amd64, installed_v1):
    dead = "http://192.0.2.1:9/tool"  # TEST-NET-1: never answers
    same = run({"url": dead, "checksum": sha(script("v1")), "dest": DEST, "version": "1"}, "--check", "--diff")
    assert same.rc == 0 and not same.task("vb")["changed"]
    other = run({"url": dead, "checksum": sha(script("v2")), "dest": DEST, "version": "2"}, "--check", "--diff")
    result = other.task("vb")
    assert other.rc == 0 and result["changed"] and result["artifact_needed"]
    assert result["diff"]["before"] == f"version: 1\nsha256: {sha(script('v1'))}\n"
    assert result["diff"]["after"] == f"version: 2\nsha256: {sha(script('v2'))}\n"
    assert host_state(amd64) == installed_v1


def test_upgrade_then_downgrade_replace_atomically(run, module_mirror, amd64, installed_v1):
    url2 = module_mirror.publish("v2/tool", script("v2"))
    up = run({"url": url2, "checksum": sha(script("v2")), "dest": DEST, "version": "2", "validate": "%s",
              "validate_contains": "tool v2"}, "--diff")
    assert up.rc == 0 and up.task("vb")["outcome"] == "replaced"
    assert amd64.exec(DEST).stdout == "tool v2\n"
    url1 = f"{module_mirror.url}/v1/tool"
    down = run({"url": url1, "checksum": sha(script("v1")), "dest": DEST, "version": "1"})
    assert down.rc == 0 and down.task("vb")["outcome"] == "replaced"
    assert amd64.exec(DEST).stdout == "tool v1\n"


def test_binary_failing_validation_never_replaces(run, module_mirror, amd64, installed_v1):
    bad = b"#!/bin/sh\necho 'tool v3'\nexit 3\n"
    url = module_mirror.publish("v3/tool", bad)
    res = run({"url": url, "checksum": sha(bad), "dest": DEST, "validate": "%s"})
    assert res.rc != 0
    assert "failed its validation" in res.task("vb")["msg"] and "exited 3" in res.task("vb")["msg"]
    assert host_state(amd64) == installed_v1


def _unsafe(kind: str) -> bytes:
    good = {"linux-amd64/tool": script("v9")}
    if kind == "absolute":
        return targz({**good, "/etc/evil": b"x"})
    if kind == "dotdot":
        return targz({**good, "linux-amd64/../../evil": b"x"})
    if kind == "symlink":
        return targz(good, links={"linux-amd64/link": "/etc/shadow"})
    return targz(good, devices=["linux-amd64/null"])


FAILURES = {
    "wrong checksum": (lambda m: (m.publish("f/tool", script("v9")), "a" * 64),
                       "sha256 mismatch for {url}: expected " + "a" * 64 + ", got " + sha(script("v9")) + " (" + str(len(script("v9"))) + " bytes received)"),
    "http 404": (lambda m: (f"{m.url}/missing/tool", "a" * 64), "HTTP 404 Not Found fetching {url}"),
    "http 500": (lambda m: (f"{m.url}/_fault/500/f/tool", "a" * 64), "HTTP 500 Internal Server Error fetching {url} (after 2 attempts)"),
    "truncated": (lambda m: (m.publish("big/tool", b"#" * 100000).replace("/big/", "/_fault/truncate/big/"), sha(b"#" * 100000)),
                  "download of {url} truncated: received 50000 of 100000 bytes"),
    "stall": (lambda m: (m.publish("slow/tool", b"#" * 5000).replace("/slow/", "/_fault/stall/slow/"), sha(b"#" * 5000)),
              "download of {url} stalled: no data for 2 s after 1024 bytes"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_download_failures_leave_host_untouched(case, run, module_mirror, amd64, installed_v1):
    make, expected = FAILURES[case]
    url, digest = make(module_mirror)
    res = run({"url": url, "checksum": digest, "dest": DEST, "timeout": 2, "retries": 1, "retry_delay": 0.1,
               "distribute": "host"})
    assert res.rc != 0
    msg = res.task("vb")["msg"]
    assert expected.format(url=url) in msg, msg
    assert "left unchanged" in msg
    assert host_state(amd64) == installed_v1


def test_checksum_file_without_the_entry(run, module_mirror, amd64, installed_v1):
    url = module_mirror.publish("sums/tool", script("v9"))
    sums = module_mirror.publish("sums/SHA256SUMS", f"{sha(b'other')}  other-tool\n".encode())
    res = run({"url": url, "checksum": sums, "dest": DEST, "distribute": "host"})
    assert res.rc != 0
    assert f"checksum file {sums} has no entry for 'tool' (it lists: other-tool)" in res.task("vb")["msg"]
    assert host_state(amd64) == installed_v1


def test_checksum_file_gnu_and_bsd(run, module_mirror, amd64):
    amd64.exec("rm", "-f", DEST, RECEIPT)
    url = module_mirror.publish("sums2/tool", script("v5"))
    gnu = module_mirror.publish("sums2/gnu.sha256sum", f"{sha(script('v5'))} *tool\n".encode())
    res = run({"url": url, "checksum": gnu, "dest": DEST, "distribute": "host"})
    assert res.rc == 0 and res.task("vb")["changed"]
    bsd = module_mirror.publish("sums2/bsd.txt", f"SHA256 (tool) = {sha(script('v5'))}\n".encode())
    res = run({"url": url, "checksum": bsd, "dest": DEST, "distribute": "host"})
    assert res.rc == 0 and not res.task("vb")["changed"]


@pytest.mark.parametrize("kind,reason", [
    ("absolute", "member '/etc/evil' has an absolute path"),
    ("dotdot", "member 'linux-amd64/../../evil' has a '..' component"),
    ("symlink", "member 'linux-amd64/link' is a link to '/etc/shadow'"),
    ("device", "member 'linux-amd64/null' is a device, FIFO or other special file"),
])
def test_unsafe_archive_members_are_refused(kind, reason, run, module_mirror, amd64, installed_v1):
    archive = _unsafe(kind)
    url = module_mirror.publish(f"unsafe/{kind}.tar.gz", archive)
    res = run({"url": url, "checksum": sha(archive), "dest": DEST, "archive_member": "linux-amd64/tool"})
    assert res.rc != 0
    assert f"refusing archive {url}: {reason}" in res.task("vb")["msg"]
    assert host_state(amd64) == installed_v1


def test_zip_and_xz_archives(run, module_mirror, amd64):
    amd64.exec("rm", "-f", DEST, RECEIPT)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("bin/tool", script("zip"))
    url = module_mirror.publish("z/tool.zip", buf.getvalue())
    res = run({"url": url, "checksum": sha(buf.getvalue()), "dest": DEST, "archive_member": "bin/tool"})
    assert res.rc == 0, res.task("vb").get("msg")
    assert amd64.exec(DEST).stdout == "tool zip\n"
    xz = io.BytesIO()
    with tarfile.open(fileobj=xz, mode="w:xz") as tar:
        info = tarfile.TarInfo("./tool")
        info.size = len(script("xz"))
        tar.addfile(info, io.BytesIO(script("xz")))
    url = module_mirror.publish("x/tool.tar.xz", xz.getvalue())
    res = run({"url": url, "checksum": f"sha256:{sha(xz.getvalue())}", "dest": DEST, "archive_member": "tool"})
    assert res.rc == 0 and amd64.exec(DEST).stdout == "tool xz\n"


# ---- catalog rules through the roles -----------------------------------------------------------------


def test_unpinned_version_fails_before_download(module_ansible, module_mirror, amd64, inv, tmp_path, installed_v1):
    module_mirror.reset_stats()
    res = module_ansible.playbook(_role_play(tmp_path, "kubectl", kubectl_version="1.99.0", kubectl_arch="arm",
                                             pronk8s_artifact_source="mirror", pronk8s_artifact_mirror_url=module_mirror.url), inv)
    assert res.rc != 0
    assert "kubectl 1.99.0 has no sha256 pin for arm; pinned versions for arm: 1.36.4, 1.36.3" in res.stdout
    assert module_mirror.stats()["total_bytes"] == 0
    assert host_state(amd64) == installed_v1


def test_unknown_arch_fails_before_download(module_ansible, amd64, inv, tmp_path, installed_v1):
    res = module_ansible.playbook(_role_play(tmp_path, "kind", kind_arch="mips"), inv)
    assert res.rc != 0
    assert "kind has no pins for architecture 'mips' (pinned architectures: amd64, arm, arm64, ppc64le, s390x)" in res.stdout
    assert host_state(amd64) == installed_v1


def test_changing_a_shipped_pin_needs_the_loud_override(module_ansible, amd64, inv, tmp_path):
    pins = {"kubectl": {"1.35.2": {"amd64": "b" * 64}}}
    res = module_ansible.playbook(_role_play(tmp_path, "kubectl", pronk8s_artifact_extra_pins=pins,
                                             pronk8s_artifact_source="mirror", pronk8s_artifact_mirror_url="http://192.0.2.1:9"), inv, "--check")
    assert res.rc != 0
    assert ("pronk8s_artifact_extra_pins.kubectl.1.35.2.amd64 = " + "b" * 64 + " would replace the shipped pin "
            "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277") in res.stdout


def test_bad_role_input_is_rejected_before_any_task(module_ansible, inv, tmp_path):
    res = module_ansible.playbook(_role_play(tmp_path, "helm", helm_source="ftp"), inv)
    assert res.rc != 0
    assert "value of helm_source must be one of: upstream, mirror, local, got: ftp" in res.stdout
    assert "pronk8s.platform.verified_tool :" not in res.stdout


# ---- issue 12: hostile servers and concurrent runs against a real host --------------------------------

def test_credentials_stay_with_the_origin_across_redirects(run, testbed, amd64, tmp_path):
    """The module on the host: token and basic auth reach the origin, never the host it redirects to."""
    data = script("redirected")
    with hostile({"/tool": body(data)}, bind=testbed.gateway) as other:
        with hostile({"/tool": redirect(f"{other.url}/tool")}, bind=testbed.gateway) as origin:
            amd64.exec("rm", "-f", DEST, RECEIPT)
            res = run({"url": f"{origin.url}/tool", "checksum": sha(data), "dest": DEST, "distribute": "host",
                       "headers": {"Authorization": "Bearer s3cr3t-token"}, "url_username": "alice",
                       "url_password": "pw-alice", "force_basic_auth": True})
            assert res.rc == 0, res.stdout[-2000:]
    assert header_values(origin, "/tool", "Authorization") != [None]
    assert header_values(other, "/tool", "Authorization") == [None]
    assert amd64.exec(DEST).stdout == "tool redirected\n"


def test_concurrent_runs_on_one_dest_take_turns(module_ansible, module_mirror, module_hosts, amd64, tmp_path):
    """Two inventory names for one container: two forks install the same dest at the same time."""
    data = script("concurrent")
    url = module_mirror.publish("concurrent/tool", data)
    amd64.exec("rm", "-f", DEST, RECEIPT)
    inventory = json.loads(module_hosts.inventory([amd64]).read_text())
    hostvars = inventory["all"]["hosts"][amd64.name]
    inventory["all"]["hosts"] = {"twin-a": hostvars, "twin-b": hostvars}
    inv = tmp_path / "twins.json"
    inv.write_text(json.dumps(inventory))
    module_mirror.reset_stats()
    # validate sleeps so both runs are inside the module together
    pb = write_playbook(tmp_path, vb({"url": url, "checksum": sha(data), "dest": DEST, "distribute": "host",
                                      "validate": "sh -c 'sleep 2' %s"}))
    res = module_ansible.playbook(pb, inv, "--forks", "2")
    assert res.rc == 0, res.stdout[-2000:]
    outcomes = sorted(res.task("vb", host=h)["outcome"] for h in ("twin-a", "twin-b"))
    assert outcomes == ["installed", "unchanged"]
    assert module_mirror.stats()["requests"] == {"/concurrent/tool": 1}
    assert amd64.exec("stat", "-c", "%a", RECEIPT).stdout.strip() == "600"
    assert amd64.exec("stat", "-c", "%a", ROOT_RECEIPT_DIR).stdout.strip() == "700"


def test_secrets_in_the_url_never_reach_the_output_or_the_receipt(run, module_mirror, amd64):
    data = script("signed")
    url = module_mirror.publish("signed/tool", data) + "?X-Amz-Signature=deadbeef42"
    amd64.exec("rm", "-f", DEST, RECEIPT)
    res = run({"url": url, "checksum": sha(data), "dest": DEST, "distribute": "host"})
    assert res.rc == 0, res.stdout[-2000:]
    # the JSON callback prints every result with its invocation (module_args): masked too
    assert "deadbeef42" not in res.stdout and "deadbeef42" not in amd64.exec("cat", RECEIPT).stdout
    assert res.task("vb")["url"].endswith("/signed/tool?REDACTED")


def test_role_refuses_a_binary_reporting_a_longer_version(module_ansible, module_mirror, amd64, inv, tmp_path):
    """Item 14 of issue 12: pin v0.0.1-pronk8s.test, binary says v0.0.1-pronk8s.test1 (a substring match passed)."""
    version = "0.0.1-pronk8s.test"
    liar = f"#!/bin/sh\necho 'kind v{version}1 go1.24 linux/amd64'\n".encode()
    module_mirror.publish(f"github.com/kubernetes-sigs/kind/releases/download/v{version}/kind-linux-amd64", liar)
    amd64.exec("rm", "-f", "/opt/liar/bin/kind")
    res = module_ansible.playbook(_role_play(tmp_path, "kind", kind_version=version, kind_install_dir="/opt/liar/bin",
                                             pronk8s_artifact_source="mirror", pronk8s_artifact_mirror_url=module_mirror.url,
                                             pronk8s_artifact_extra_pins={"kind": {version: {"amd64": sha(liar)}}}), inv)
    assert res.rc != 0
    assert f"does not report 'v{version}'" in res.stdout
    assert amd64.exec("ls", "/opt/liar/bin", check=False).stdout == ""
