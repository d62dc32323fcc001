"""kind_cluster against a TEST DOUBLE of the kind CLI (kind_cli_double.py, beside this file).

A real KIND cluster cannot be made on the project's test machines (no kind binary, no kindest/node
image; docs/kind.md), so `kind` here is kind_cli_double.py: a real executable run as a
subprocess through run_command, reproducing kind v0.31's argv, exit codes and messages (copied from
kind's sources; see that file's docstring). Everything else is real: the module, run_command, stdin,
the kubeconfig and record files on disk. Each test asserts the exact argv kind received.
"""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import tarfile
from pathlib import Path
from unittest import mock

import pytest
import yaml

from ansible.module_utils import _internal as module_utils_internal
from ansible.module_utils.common import warnings as warnings_store
from ansible.module_utils.testing import patch_module_args
from ansible_collections.pronk8s.platform.plugins.module_utils import _kind
from ansible_collections.pronk8s.platform.plugins.modules import kind_cluster

DOUBLE = Path(__file__).with_name("kind_cli_double.py")
NODE_IMAGE = "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f"
INGRESS_READY = {
    "apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster",
    "nodes": [{"role": "control-plane", "labels": {"ingress-ready": "true"},
               "extraPortMappings": [{"containerPort": 80, "hostPort": 8080, "listenAddress": "127.0.0.1"}]}],
}
WITH_WORKER = {**INGRESS_READY, "nodes": INGRESS_READY["nodes"] + [{"role": "worker"}]}


class Kind:
    """The double's executable, state and call log for one test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.binary = root / "bin" / "kind"
        self.binary.parent.mkdir()
        self.binary.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{DOUBLE}" "$@"\n')
        self.binary.chmod(0o755)
        self.state_file = root / "kind-state.json"
        self.kubeconfig = root / "kube" / "config"
        self.records = root / "records"
        self.set(clusters={}, local_images={}, faults={}, calls=[])

    @property
    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def set(self, **values) -> None:
        state = self.state if self.state_file.exists() else {}
        state.update(values)
        self.state_file.write_text(json.dumps(state))

    def fault(self, **faults) -> None:
        self.set(faults=faults)

    @property
    def calls(self) -> list[list[str]]:
        return [call["argv"] for call in self.state["calls"]]

    def reset_calls(self) -> None:
        self.set(calls=[])

    def cli(self, *argv: str) -> None:
        """Run the double directly (what a user typing kind would do)."""
        import subprocess
        subprocess.run([str(self.binary), *argv], check=True, capture_output=True)


@pytest.fixture
def kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kind:
    double = Kind(tmp_path)
    monkeypatch.setenv("KIND_DOUBLE_STATE", str(double.state_file))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KIND_CLUSTER_NAME", raising=False)
    return double


def run(capsys: pytest.CaptureFixture, double: Kind, check_mode: bool = False, **args) -> dict:
    args.setdefault("kind", str(double.binary))
    args.setdefault("fingerprint_dir", str(double.records))
    if check_mode:
        args["_ansible_check_mode"] = True
    args["_ansible_diff"] = True
    # ansible-core keeps module warnings in a process-wide dict; each run here is a fresh "process".
    warnings_store._global_warnings.clear()
    # A module runs in its own process, never as the controller: once tests/conftest.py has loaded the
    # controller's plugin loader, module warnings would go to the controller's display instead.
    with patch_module_args(args), mock.patch.object(module_utils_internal, "is_controller", False), \
            pytest.raises(SystemExit):
        kind_cluster.main()
    return json.loads(capsys.readouterr().out)


def warnings(result: dict) -> list[str]:
    """Warning texts (ansible-core 2.19 returns them as WarningSummary objects)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def present(capsys, kind: Kind, config: dict | str | None = "ingress-ready", **args) -> dict:
    """The module with state=present and the flow's options; config "ingress-ready" means INGRESS_READY."""
    config = INGRESS_READY if config == "ingress-ready" else config
    args.setdefault("name", "demo")
    args.setdefault("image", NODE_IMAGE)
    args.setdefault("kubeconfig", str(kind.kubeconfig))
    if config is not None:
        args.setdefault("config", config)
    return run(capsys, kind, **args)


# ---- create ---------------------------------------------------------------------------------------
def test_create_passes_validated_config_on_stdin_and_returns_the_cluster(capsys, kind) -> None:
    result = present(capsys, kind, wait="90")
    assert result["changed"] is True, result
    assert kind.calls == [
        ["version"],
        ["get", "clusters"],
        ["create", "cluster", "--name", "demo", "--config", "-", "--image", NODE_IMAGE, "--wait", "90s",
         "--kubeconfig", str(kind.kubeconfig)],
        ["get", "kubeconfig", "--name", "demo"],
        ["get", "nodes", "--name", "demo"],
    ]
    create_call = kind.state["calls"][2]
    assert json.loads(create_call["stdin"]) == INGRESS_READY
    cluster = kind.state["clusters"]["demo"]
    assert result["name"] == "demo" and result["context"] == "kind-demo"
    assert result["kubeconfig"] == str(kind.kubeconfig)
    assert result["api_endpoint"] == f"https://127.0.0.1:{cluster['port']}"
    assert result["nodes"] == ["demo-control-plane"]
    assert result["config_match"] is None and result["recreated"] is False
    assert result["diff"]["before"] == {"name": "demo", "exists": False, "nodes": []}
    # The config is shown by its sha256 only (it may hold registry credentials).
    assert "config" not in result["diff"]["after"]
    assert result["diff"]["after"]["config_sha256"] == _kind.config_sha256(INGRESS_READY)
    # kind wrote the context; the module recorded the config, owner-only, bound to this cluster's CA.
    contexts = [c["name"] for c in yaml.safe_load(kind.kubeconfig.read_text())["contexts"]]
    assert contexts == ["kind-demo"]
    record = kind.records / "demo.json"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert json.loads(record.read_text())["fingerprint"] == result["fingerprint"] == _kind.fingerprint(INGRESS_READY, NODE_IMAGE)
    # No secret from `kind get kubeconfig` leaks into the result.
    assert "client-key-data" not in json.dumps(result)


@pytest.mark.parametrize("xdg_cache_home, where", [
    (None, "home/.cache/pronk8s/kind"),
    ("xdg-cache", "xdg-cache/pronk8s/kind"),
    ("relative/cache", "home/.cache/pronk8s/kind"),  # a relative $XDG_CACHE_HOME is ignored, as the rules say
])
def test_records_default_to_the_xdg_cache_directory(capsys, kind, tmp_path, monkeypatch, xdg_cache_home, where) -> None:
    if xdg_cache_home is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        absolute = not xdg_cache_home.startswith("relative")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / xdg_cache_home) if absolute else xdg_cache_home)
    result = present(capsys, kind, fingerprint_dir=None)
    assert result["changed"] is True, result
    record = tmp_path / where / "demo.json"
    assert json.loads(record.read_text())["fingerprint"] == result["fingerprint"]
    assert stat.S_IMODE(record.parent.stat().st_mode) == 0o700


def test_default_name_and_kubeconfig_follow_kind(capsys, kind, tmp_path) -> None:
    result = run(capsys, kind)
    assert result["name"] == "kind"
    assert kind.calls[2] == ["create", "cluster", "--name", "kind"]
    assert result["kubeconfig"] == str(tmp_path / "home" / ".kube" / "config")
    assert Path(result["kubeconfig"]).is_file()


def test_config_file_is_validated_then_used(capsys, kind, tmp_path) -> None:
    path = tmp_path / "kind.yaml"
    path.write_text(yaml.safe_dump({**WITH_WORKER, "name": "fromfile"}))
    result = run(capsys, kind, config=str(path))
    assert result["changed"] is True and result["name"] == "fromfile"
    assert result["nodes"] == ["fromfile-control-plane", "fromfile-worker"]
    assert json.loads(kind.state["calls"][2]["stdin"])["nodes"][1] == {"role": "worker"}


# ---- exists -----------------------------------------------------------------------------------------
def test_exists_same_is_idempotent_and_runs_only_reads(capsys, kind) -> None:
    first = present(capsys, kind)
    kind.reset_calls()
    again = present(capsys, kind)
    assert again["changed"] is False
    assert again["config_match"] == "same"
    assert kind.calls == [["version"], ["get", "clusters"], ["get", "kubeconfig", "--name", "demo"],
                          ["get", "nodes", "--name", "demo"]]
    assert again["api_endpoint"] == first["api_endpoint"] and again["nodes"] == first["nodes"]
    assert again["diff"]["before"] == again["diff"]["after"]
    assert not warnings(again)


def test_exists_different_reports_diff_and_changes_nothing(capsys, kind) -> None:
    present(capsys, kind)
    port = kind.state["clusters"]["demo"]["port"]
    kind.reset_calls()
    result = present(capsys, kind, config=WITH_WORKER)
    assert result["changed"] is False
    assert result["config_match"] == "different"
    assert result["diff"]["before"]["config_sha256"] == _kind.config_sha256(INGRESS_READY)
    assert result["diff"]["after"]["config_sha256"] == _kind.config_sha256(WITH_WORKER)
    assert result["diff"]["before"]["nodes"] == ["demo-control-plane"]
    assert result["diff"]["after"]["nodes"] == ["demo-control-plane", "demo-worker"]
    assert "different config" in warnings(result)[0] and "recreate=true" in warnings(result)[0]
    assert not any(call[0] in ("create", "delete") for call in kind.calls)
    assert kind.state["clusters"]["demo"]["port"] == port


def test_exists_with_other_image_is_different_by_record(capsys, kind) -> None:
    present(capsys, kind)
    result = present(capsys, kind, image="kindest/node:v1.34.0")
    assert result["changed"] is False and result["config_match"] == "different"
    assert result["diff"]["before"]["image"] == NODE_IMAGE


def test_recreate_replaces_a_different_cluster(capsys, kind) -> None:
    present(capsys, kind)
    kind.reset_calls()
    result = present(capsys, kind, config=WITH_WORKER, recreate=True)
    assert result["changed"] is True and result["recreated"] is True
    assert [c[:2] for c in kind.calls if c[0] in ("create", "delete")] == [["delete", "cluster"], ["create", "cluster"]]
    assert ["delete", "cluster", "--name", "demo", "--kubeconfig", str(kind.kubeconfig)] in kind.calls
    assert result["nodes"] == ["demo-control-plane", "demo-worker"]
    assert present(capsys, kind, config=WITH_WORKER, recreate=True)["changed"] is False


def test_cluster_made_outside_the_module_has_unknown_config(capsys, kind) -> None:
    kind.cli("create", "cluster", "--name", "demo", "--kubeconfig", str(kind.kubeconfig))
    result = present(capsys, kind, config=None)
    assert result["changed"] is False and result["config_match"] == "unknown"
    assert result["diff"]["before"]["config_sha256"] == "unknown"
    assert "cannot be verified" in warnings(result)[0]
    # A record from an earlier incarnation (deleted and made again by hand) does not count either.
    replaced = present(capsys, kind, config=None, recreate=True)
    assert replaced["recreated"] is True and present(capsys, kind, config=None)["config_match"] == "same"
    kind.cli("delete", "cluster", "--name", "demo", "--kubeconfig", str(kind.kubeconfig))
    kind.cli("create", "cluster", "--name", "demo", "--kubeconfig", str(kind.kubeconfig))
    assert present(capsys, kind, config=None)["config_match"] == "unknown"


def test_existing_cluster_gets_its_context_exported_to_a_new_kubeconfig(capsys, kind, tmp_path) -> None:
    present(capsys, kind)
    other = tmp_path / "other-kubeconfig"
    kind.reset_calls()
    result = present(capsys, kind, kubeconfig=str(other))
    assert result["changed"] is True
    assert kind.calls[-1] == ["export", "kubeconfig", "--name", "demo", "--kubeconfig", str(other)]
    assert present(capsys, kind, kubeconfig=str(other))["changed"] is False


# ---- delete ---------------------------------------------------------------------------------------
def test_delete_removes_cluster_context_and_record(capsys, kind) -> None:
    present(capsys, kind)
    kind.reset_calls()
    check = run(capsys, kind, check_mode=True, name="demo", state="absent", kubeconfig=str(kind.kubeconfig))
    assert check["changed"] is True and "demo" in kind.state["clusters"]
    assert not any(call[0] == "delete" for call in kind.calls)
    result = run(capsys, kind, name="demo", state="absent", kubeconfig=str(kind.kubeconfig))
    assert result["changed"] is True
    assert kind.calls[-1] == ["delete", "cluster", "--name", "demo", "--kubeconfig", str(kind.kubeconfig)]
    assert result["diff"] == {"before": {"name": "demo", "exists": True, "nodes": ["demo-control-plane"]},
                              "after": {"name": "demo", "exists": False, "nodes": []}}
    assert kind.state["clusters"] == {}
    assert not (kind.records / "demo.json").exists()
    assert yaml.safe_load(kind.kubeconfig.read_text())["contexts"] == []
    assert run(capsys, kind, name="demo", state="absent")["changed"] is False


def test_delete_failure_reports_rc_output_and_command(capsys, kind) -> None:
    present(capsys, kind)
    kind.fault(delete="fail")
    result = run(capsys, kind, name="demo", state="absent")
    assert result["failed"] is True and result["rc"] == 1
    assert result["command"] == [str(kind.binary), "delete", "cluster", "--name", "demo"]
    assert 'Deleting cluster "demo" ...' in result["stderr"]
    assert result["msg"].startswith("kind delete cluster failed (rc=1): ERROR: failed to delete cluster \"demo\"")


# ---- missing binary, bad input ------------------------------------------------------------------
def test_missing_binary(capsys, kind, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run(capsys, kind, kind="kind", name="demo")
    assert result["failed"] is True
    assert result["msg"].startswith("kind: cannot find 'kind' in PATH") and "pronk8s.platform.kind role" in result["msg"]
    result = run(capsys, kind, kind=str(tmp_path / "nope" / "kind"), name="demo")
    assert result["msg"] == f"kind: {tmp_path / 'nope' / 'kind'} does not exist or is not executable"


def test_kind_in_path_is_found(capsys, kind, monkeypatch) -> None:
    monkeypatch.setenv("PATH", f"{kind.binary.parent}{os.pathsep}{os.environ['PATH']}")
    assert run(capsys, kind, kind="kind", name="demo")["changed"] is True


@pytest.mark.parametrize("args, message", [
    ({"name": "Demo_1"}, "name: 'Demo_1' is not a valid cluster name, cluster names must match `^[a-z0-9.-]+$`"),
    ({"generate_name": "CI-"}, "generate_name: 'CI-' is not a valid cluster name"),
    ({"generate_name": "ci-", "state": "absent"}, "generate_name: only with state=present"),
    ({"name": "a", "config": {**INGRESS_READY, "name": "b"}}, "name: 'a' differs from config.name 'b'"),
    ({"name": "a", "wait": "2 minutes"}, "wait: '2 minutes' is not a duration"),
    ({"name": "a", "load_images": ["img:1", "./app.tar"]}, "load_images[1]: './app.tar' looks like a relative path"),
    ({"name": "a", "load_images": ["~/app.tar"]}, "load_images[0]: '~/app.tar' looks like a relative path"),
    ({"name": "a", "config": "kind.yaml"}, "config: give the file as an absolute path on the managed host, got 'kind.yaml'"),
    ({"name": "a", "config": {"apiVersion": "kind.x-k8s.io/v1alpha3", "kind": "Cluster"}},
     "config: not a valid kind Cluster config: config.apiVersion: must be 'kind.x-k8s.io/v1alpha4', got 'kind.x-k8s.io/v1alpha3'"),
])
def test_bad_input_is_refused_before_any_change(capsys, kind, args, message) -> None:
    result = run(capsys, kind, **args)
    assert result["failed"] is True
    assert result["msg"].startswith(message), result["msg"]
    assert not any(call[0] in ("create", "delete", "load") for call in kind.calls)


def test_templated_port_strings_become_numbers(capsys, kind) -> None:
    templated = {**INGRESS_READY, "nodes": [{"role": "control-plane", "extraPortMappings": [
        {"containerPort": "80", "hostPort": "8080", "listenAddress": "127.0.0.1"}]}]}
    result = present(capsys, kind, config=templated)
    assert result["changed"] is True
    sent = json.loads(kind.state["calls"][2]["stdin"])
    assert sent["nodes"][0]["extraPortMappings"][0] == {"containerPort": 80, "hostPort": 8080, "listenAddress": "127.0.0.1"}
    assert present(capsys, kind, config=templated)["config_match"] == "same"


def test_config_file_errors_name_their_path(capsys, kind, tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes:\n- role: master\n- role: worker\n"
                    "  extraPortMappings:\n  - containerPort: 80\n    hostPort: 70000\n  kubeletExtra: 1\n")
    result = run(capsys, kind, name="demo", config=str(path))
    assert result["errors"] == [
        "config.nodes[0].role: 'master' is not a valid node role (control-plane, worker)",
        "config.nodes[1].kubeletExtra: unknown field (kind decodes configs strictly and would refuse it)",
        "config.nodes[1].extraPortMappings[0].hostPort: invalid port number 70000",
        "config.nodes: must have at least one control-plane node",
    ]
    assert run(capsys, kind, name="demo", config=str(tmp_path / "missing.yaml"))["msg"].startswith(
        f"config: cannot read {tmp_path / 'missing.yaml'}")


def test_kind_failure_reports_rc_stdout_stderr_command(capsys, kind) -> None:
    kind.fault(docker="down")
    result = present(capsys, kind)
    assert result["failed"] is True and result["rc"] == 1 and result["stdout"] == ""
    assert result["command"] == [str(kind.binary), "get", "clusters"]
    assert "Cannot connect to the Docker daemon" in result["stderr"]
    assert result["msg"].startswith("kind get clusters failed (rc=1): ERROR: failed to list clusters")


# ---- failure mid-create -----------------------------------------------------------------------------
@pytest.mark.parametrize("fault, rc, left_behind", [
    ("killed", -9, True),                    # kind killed after the node containers exist
    ("kubeadm-cleanup-fails", 1, True),      # kubeadm init fails and kind's own clean-up fails too
    ("kubeadm", 1, False),                   # kubeadm init fails; kind deletes its nodes itself
    ("pull", 1, False),                      # the node image cannot be pulled; no node was made
])
def test_failed_create_leaves_no_cluster(capsys, kind, fault, rc, left_behind) -> None:
    kind.fault(create=fault)
    result = present(capsys, kind)
    assert result["failed"] is True and result["rc"] == rc
    assert result["command"][:5] == [str(kind.binary), "create", "cluster", "--name", "demo"]
    assert result["cleanup"]["found"] is left_behind
    assert result["cleanup"]["deleted"] is left_behind
    assert kind.state["clusters"] == {}
    assert not (kind.records / "demo.json").exists()
    if fault.startswith("kubeadm"):
        assert "failed to init node with kubeadm" in result["msg"] and "Command Output:" in result["stderr"]
    if left_behind:
        assert kind.calls[-2:] == [["get", "clusters"], ["delete", "cluster", "--name", "demo", "--kubeconfig", str(kind.kubeconfig)]]


# ---- load -------------------------------------------------------------------------------------------
def docker_save_archive(path: Path, tag: str, image_id: str) -> Path:
    """A minimal archive in `docker save` layout (manifest.json naming the config and its RepoTags)."""
    with tarfile.open(path, "w") as tar:
        for name, data in (("manifest.json", json.dumps([{"Config": f"{image_id}.json", "RepoTags": [tag], "Layers": []}])),
                           (f"{image_id}.json", "{}")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data.encode()))
    return path


def test_load_docker_image_is_idempotent(capsys, kind) -> None:
    kind.set(local_images={"pronk8s/app:1.0.0": "sha256:" + "a" * 64})
    result = present(capsys, kind, load_images=["pronk8s/app:1.0.0"])
    assert result["images"] == [{"source": "pronk8s/app:1.0.0", "type": "docker-image", "changed": True}]
    assert kind.calls[-1] == ["load", "docker-image", "--name", "demo", "--", "pronk8s/app:1.0.0"]
    again = present(capsys, kind, load_images=["pronk8s/app:1.0.0"])
    assert again["changed"] is False and again["images"][0]["changed"] is False


def test_load_archive_and_errors(capsys, kind, tmp_path) -> None:
    archive = docker_save_archive(tmp_path / "app.tar", "pronk8s/app:1.0.0", "b" * 64)
    result = present(capsys, kind, load_images=[str(archive)])
    assert result["changed"] is True
    assert kind.calls[-1] == ["load", "image-archive", "--name", "demo", "--", str(archive)]
    assert kind.state["clusters"]["demo"]["images"]["demo-control-plane"] == {"pronk8s/app:1.0.0": "sha256:" + "b" * 64}
    missing = present(capsys, kind, load_images=[str(tmp_path / "gone.tar")])
    assert missing["failed"] is True and missing["stderr"].strip() == f"ERROR: stat {tmp_path / 'gone.tar'}: no such file or directory"
    absent_image = present(capsys, kind, load_images=["nope:1"])
    assert absent_image["msg"] == 'kind load docker-image failed (rc=1): ERROR: image: "nope:1" not present locally'
    assert absent_image["command"] == [str(kind.binary), "load", "docker-image", "--name", "demo", "--", "nope:1"]


# ---- check mode -----------------------------------------------------------------------------------
def test_check_mode_runs_only_reads(capsys, kind) -> None:
    kind.set(local_images={"pronk8s/app:1.0.0": "sha256:" + "a" * 64})
    result = present(capsys, kind, check_mode=True, config=WITH_WORKER, load_images=["pronk8s/app:1.0.0"])
    assert result["changed"] is True
    assert kind.calls == [["version"], ["get", "clusters"]]
    assert result["nodes"] == ["demo-control-plane", "demo-worker"] and result["api_endpoint"] is None
    assert result["images"][0]["changed"] is True
    assert kind.state["clusters"] == {}
    present(capsys, kind)
    kind.reset_calls()
    recreate = present(capsys, kind, check_mode=True, config=WITH_WORKER, recreate=True)
    assert recreate["changed"] is True and recreate["recreated"] is True
    assert all(call[0] in ("get", "version") for call in kind.calls)
    assert kind.state["clusters"]["demo"]["nodes"] == ["demo-control-plane"]


def test_generate_name_makes_a_fresh_valid_name(capsys, kind) -> None:
    kind.cli("create", "cluster", "--name", "ci-taken")
    names = set()
    for dummy in range(3):
        result = run(capsys, kind, generate_name="ci-", check_mode=True)
        assert result["name"].startswith("ci-") and len(result["name"]) == 9
        assert _kind.NAME_RE.match(result["name"]) and result["name"] != "ci-taken"
        names.add(result["name"])
    assert len(names) == 3
    made = run(capsys, kind, generate_name="ci-")
    assert made["name"] in kind.state["clusters"]


# ---- helpers: tables --------------------------------------------------------------------------------
@pytest.mark.parametrize("config, names", [
    (None, ["c-control-plane"]),
    ({"nodes": [{"role": "worker"}, {}, {"role": "worker"}]}, ["c-control-plane", "c-worker", "c-worker2"]),
    ({"nodes": [{}, {"role": "control-plane"}, {"role": "worker"}]},
     ["c-control-plane", "c-control-plane2", "c-external-load-balancer", "c-worker"]),
])
def test_node_names_follow_kinds_namer(config, names) -> None:
    assert _kind.node_names("c", config) == names


def test_fingerprint_ignores_name_and_key_order() -> None:
    a = _kind.fingerprint({"kind": "Cluster", "apiVersion": "x", "name": "a"}, "img")
    assert a == _kind.fingerprint({"apiVersion": "x", "kind": "Cluster", "name": "b"}, "img")
    assert a != _kind.fingerprint({"apiVersion": "x", "kind": "Cluster"}, "img2")


def test_kubeconfig_path_follows_kind(tmp_path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert _kind.kubeconfig_path("/x", {}) == "/x"
    assert _kind.kubeconfig_path(None, {"KUBECONFIG": f"{first}{os.pathsep}{second}"}) == str(second)
    second.write_text("")
    assert _kind.kubeconfig_path(None, {"KUBECONFIG": f"{first}{os.pathsep}{second}"}) == str(second)
    first.write_text("")
    assert _kind.kubeconfig_path(None, {"KUBECONFIG": f"{first}{os.pathsep}{second}"}) == str(first)


# ---- issue 12: secrets, flags, kind versions, validation order --------------------------------------
REGISTRY_PATCH = (
    '[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.com".auth]\n'
    '  username = "robot"\n  password = "s3cr3t-registry-pass"\n')


def test_config_content_never_appears_in_diff_or_result(capsys, kind) -> None:
    config = {**INGRESS_READY, "containerdConfigPatches": [REGISTRY_PATCH]}
    created = present(capsys, kind, config=config)
    assert created["changed"] is True
    assert created["diff"]["after"]["config_sha256"] == _kind.config_sha256(config)
    different = present(capsys, kind, config={**config, "nodes": WITH_WORKER["nodes"]})
    assert different["config_match"] == "different"
    assert different["diff"]["before"]["config_sha256"] == _kind.config_sha256(config)
    for result in (created, different):
        # Not in the diff, the result, nor the echoed module arguments (invocation, shown with -vvv).
        assert "s3cr3t-registry-pass" not in json.dumps(result)
    # kind still got the patch.
    assert "s3cr3t-registry-pass" in kind.state["calls"][2]["stdin"]


def test_bad_patch_is_reported_without_its_value(capsys, kind) -> None:
    result = run(capsys, kind, name="a", config={**INGRESS_READY, "containerdConfigPatches": [{"password": "s3cr3t"}]})
    assert result["failed"] is True
    assert "config.containerdConfigPatches[0]: must be a string, got dict" in result["msg"]
    assert "s3cr3t" not in json.dumps(result)


@pytest.mark.parametrize("source", ["--name=prod", "-n", "--help"])
def test_load_images_that_look_like_flags_are_refused(capsys, kind, source) -> None:
    result = present(capsys, kind, load_images=["img:1", source])
    assert result["failed"] is True
    assert result["msg"] == (f"load_images[1]: {source!r} looks like a command-line flag; give an image name or the "
                             "absolute path of an image archive (neither starts with '-')")
    assert kind.calls == []


def test_bad_name_is_reported_without_kind_on_path(capsys, kind, monkeypatch, tmp_path) -> None:
    # Before: "cannot find 'kind' in PATH", because the binary was looked up before the name was checked.
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    for args, message in (({"name": "Bad_Name"}, "name: 'Bad_Name' is not a valid cluster name"),
                          ({"generate_name": "CI-"}, "generate_name: 'CI-' is not a valid cluster name"),
                          ({"name": "ok", "wait": "soon"}, "wait: 'soon' is not a duration"),
                          ({"name": "ok", "load_images": ["./x.tar"]}, "load_images[0]: './x.tar' looks like a relative path")):
        result = run(capsys, kind, kind="kind", **args)
        assert result["failed"] is True and result["msg"].startswith(message), result["msg"]


@pytest.mark.parametrize("output, refused", [
    ("v0.5.1", True),  # kind v0.5 printed only the version (cmd/kind/version/version.go)
    ("kind v0.5.0 go1.12.5 linux/amd64", True),
    ("kind v0.6.0 go1.13.4 linux/amd64", False),
    ("kind v0.7.0 go1.13.6 linux/amd64", False),
    ("kind v0.31.0 go1.25.5 linux/amd64", False),
])
def test_kind_older_than_the_minimum_is_refused(capsys, kind, output, refused) -> None:
    kind.set(version_output=output)
    result = present(capsys, kind)
    if refused:
        assert result["failed"] is True
        assert "this module needs kind v0.6.0 or later" in result["msg"] and output.split()[-3 if " " in output else 0] in result["msg"]
        assert kind.calls == [["version"]]
    else:
        assert result["changed"] is True


def test_unreadable_kind_version_is_refused(capsys, kind) -> None:
    kind.set(version_output="development build")
    result = present(capsys, kind)
    assert result["failed"] is True and result["msg"].startswith("kind: cannot tell the version of")


@pytest.mark.parametrize("stderr, loaded", [
    # kind v0.6.0-v0.7.0 (pkg/cmd/kind/load/docker-image/docker-image.go, logger.V(0).Infof)
    ('Image: "app:1" with ID "sha256:aa" not present on node "kind-control-plane"\n', True),
    # kind v0.8.0 and later
    ('Image: "app:1" with ID "sha256:aa" not yet present on node "kind-control-plane", loading...\n', True),
    ('Image with ID: sha256:aa already present on the node kind-control-plane but is missing the tag app:1. '
     're-tagging...\n', True),
    ('Image: "app:1" with ID "sha256:aa" found to be already present on all nodes.\n', False),
    ("", False),
])
def test_image_loading_is_detected_in_every_supported_kind(stderr, loaded) -> None:
    assert _kind.loaded_something(stderr) is loaded


def test_parse_version() -> None:
    assert _kind.parse_version("kind v0.31.0 go1.25.5 linux/amd64") == (0, 31, 0)
    assert _kind.parse_version("v0.5.1\n") == (0, 5, 1)
    assert _kind.parse_version("kind v0.33.0-alpha+1234 go1.26 linux/arm64") == (0, 33, 0)
    assert _kind.parse_version("") is None
