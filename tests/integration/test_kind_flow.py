"""The KIND flow and the builder image, run for real as far as this machine allows.

Real here: the Docker engine (image builds, `docker save`, running the app, exporting filesystems),
helm v4.1.4 (lint, template, schema), kubectl v1.35.2 and helm staged through the verified artifact
engine, ansible-playbook running both playbooks unchanged.

Not real here, and why: no kind binary and no kindest/node image can be had on these machines
(docs/kind.md, "What was and was not exercised on the test machines"), so `kind` is the TEST DOUBLE
tests/unit/plugins/modules/kind_cli_double.py (kind's CLI contract, no containers). With it the flow
playbook really builds, saves and lints, really "creates" a cluster, then fails at the first step that
needs a Kubernetes API (installing ingress-nginx), which is exactly what proves the block/always: the
cluster is deleted anyway. Ingress, image loading into real nodes, the Helm release, the rollout and the
HTTP request through the ingress run only on a machine with kind and a node image.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
APP_SRC = PLAYBOOKS / "files" / "kind_app"
CHART = APP_SRC / "chart" / "kind-demo-app"
INGRESS = PLAYBOOKS / "files" / "vendor" / "ingress-nginx" / "deploy-kind.yaml"
INGRESS_SHA256 = "2a3ae008c8786431115502644e77ab398fdebfb721a5d1195ed3089cde3299df"
KIND_DOUBLE = ROOT / "tests" / "unit" / "plugins" / "modules" / "kind_cli_double.py"
KUBECTL_SHA256 = "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"  # upstream pin, v1.35.2 amd64
# The 20.10 docker CLI from Debian's docker.io has a built-in BuildKit client; the 28.x CLI in
# /usr/local/bin needs the buildx plugin, which these machines do not have (see docs/kind.md).
DOCKER_BUILDKIT_CLI = "/usr/bin/docker"
DECOYS = {
    ".env": "API_TOKEN=decoy\n",
    ".git/config": "[core]\n",
    "id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\ndecoy\n",
    "kubeconfig": "apiVersion: v1\nkind: Config\n",
    ".kube/config": "apiVersion: v1\nkind: Config\n",
    ".docker/config.json": '{"auths": {}}\n',
    "notes.txt": "stray\n",
}


@pytest.fixture(scope="module")
def real_bin() -> Path:
    out = subprocess.run(["bash", str(ROOT / "tests" / "testbed" / "real_binaries.sh")], check=True,
                         capture_output=True, text=True).stdout.strip()
    return Path(out)


@pytest.fixture
def localhost(tmp_path: Path) -> Path:
    inventory = tmp_path / "localhost.ini"
    inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    return inventory


def plant_decoys(directory: Path) -> None:
    for name, content in DECOYS.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def image_paths(ref: str) -> set[str]:
    """Every path in an image's filesystem, from `docker export` of a stopped container (nothing runs)."""
    container = subprocess.run(["docker", "create", "--label", "pronk8s.testbed=pytest", ref, "/bin/true"],
                               check=True, capture_output=True, text=True).stdout.strip()
    try:
        with subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE) as export:
            with tarfile.open(fileobj=export.stdout, mode="r|") as tar:
                return {member.name.rstrip("/") for member in tar}
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


def forbidden(paths: set[str]) -> set[str]:
    return {p for p in paths if any(p == d or p.endswith("/" + d) or p.startswith(d + "/") or f"/{d}/" in p
                                    for d in DECOYS) or p.endswith(("Dockerfile", ".dockerignore"))}


# ---- the chart and the vendored manifest (real helm; static) -------------------------------------
def test_chart_lints_and_renders_what_the_flow_expects(real_bin: Path) -> None:
    helm = str(real_bin / "helm")
    lint = subprocess.run([helm, "lint", "--strict", str(CHART), "--set", "image.tag=1.0.0"], capture_output=True, text=True,
                          check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    rendered = subprocess.run(
        [helm, "template", "demo", str(CHART), "--namespace", "kind-demo", "--set", "image.tag=2.0.0",
         "--set", "ingress.host=demo.kind.test"], check=True, capture_output=True, text=True).stdout
    docs = {doc["kind"]: doc for doc in yaml.safe_load_all(rendered) if doc}
    assert set(docs) == {"Deployment", "Service", "Ingress"}
    deployment, service, ingress = docs["Deployment"], docs["Service"], docs["Ingress"]
    # The flow waits for Deployment "<release>-kind-demo-app" and requests the Ingress host.
    assert deployment["metadata"]["name"] == service["metadata"]["name"] == "demo-kind-demo-app"
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "pronk8s/kind-demo-app:2.0.0"
    assert container["imagePullPolicy"] == "IfNotPresent"  # loaded with kind, never pulled
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 65532
    assert ingress["spec"]["ingressClassName"] == "nginx"
    rule = ingress["spec"]["rules"][0]
    assert rule["host"] == "demo.kind.test"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "demo-kind-demo-app", "port": {"name": "http"}}
    # The schema refuses what would break the flow.
    for bad in ("image.tag=latest", "image.pullPolicy=Always", "ingress.host=Not_A_Host", "typo=1"):
        refused = subprocess.run([helm, "template", "demo", str(CHART), "--set", bad], capture_output=True, text=True, check=False)
        assert refused.returncode != 0 and "schema" in refused.stderr, bad


def test_vendored_ingress_manifest_matches_its_provenance() -> None:
    assert hashlib.sha256(INGRESS.read_bytes()).hexdigest() == INGRESS_SHA256
    assert INGRESS_SHA256 in (INGRESS.parent / "PROVENANCE.md").read_text()
    docs = [doc for doc in yaml.safe_load_all(INGRESS.read_text()) if doc]
    images = [c["image"] for d in docs if d["kind"] in ("Deployment", "Job")
              for c in d["spec"]["template"]["spec"]["containers"]]
    assert images and all("@sha256:" in image for image in images)
    controller = next(d for d in docs if d["kind"] == "Deployment")
    ports = {p["name"]: p.get("hostPort") for p in controller["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert ports["http"] == 80  # what the flow's kind config maps to the host
    tolerations = controller["spec"]["template"]["spec"]["tolerations"]
    assert any(t["key"] == "node-role.kubernetes.io/control-plane" for t in tolerations)
    assert any(d["kind"] == "IngressClass" and d["metadata"]["name"] == "nginx" for d in docs)


# ---- the flow playbook: real image build/save/lint, kind double, block/always --------------------
def test_flow_builds_the_app_for_real_and_always_deletes_the_cluster(ansible, testbed, localhost, tmp_path, real_bin) -> None:
    tag = f"test-{uuid.uuid4().hex[:8]}"
    ref = f"pronk8s/kind-demo-app:{tag}"
    app_src = tmp_path / "app-src"
    shutil.copytree(APP_SRC, app_src)
    plant_decoys(app_src)  # the .dockerignore permit-list must keep these out
    kind = tmp_path / "bin" / "kind"
    kind.parent.mkdir()
    kind.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{KIND_DOUBLE}" "$@"\n')
    kind.chmod(0o755)
    state = tmp_path / "kind-state.json"
    state.write_text(json.dumps({"clusters": {}, "local_images": {}, "faults": {}, "calls": []}))
    work_dirs_before = set(Path("/tmp").glob("ansible.*-kind-flow"))
    try:
        started = time.monotonic()
        result = ansible.playbook(
            PLAYBOOKS / "kind_cluster.yml", localhost,
            extra_vars={"kind_flow_kind": str(kind), "kind_flow_helm": str(real_bin / "helm"),
                        "kind_flow_app_base_image": testbed.image_base, "kind_flow_app_version": tag,
                        "kind_flow_app_src": str(app_src) + "/", "kind_flow_keep_work_dir": True,
                        "kind_flow_timeout": 10},
            env={"KIND_DOUBLE_STATE": str(state), "HOME": str(tmp_path / "home")})
        elapsed = time.monotonic() - started
        assert result.rc != 0, "the flow cannot succeed without a Kubernetes API"
        name = result.task("Pick a unique random cluster name (read-only; known before anything is created)")["name"]
        assert name.startswith("pronk8s-flow-")
        assert result.task("Build the app image (the .dockerignore permit-list decides what enters)")["changed"] is True
        assert "failed" not in result.task("Lint the chart before spending a cluster on it")
        created = result.task("Create the cluster (ingress-ready config, random name)")
        assert created["changed"] is True and created["name"] == name and created["nodes"] == [f"{name}-control-plane"]
        assert result.task("Install ingress-nginx from the vendored manifest")["failed"] is True
        # block/always: deleted although a step failed.
        deleted = result.task("Delete the cluster, whatever happened above")
        assert deleted["changed"] is True, deleted
        double = json.loads(state.read_text())
        assert double["clusters"] == {}
        argvs = [call["argv"] for call in double["calls"]]
        create = next(a for a in argvs if a[:2] == ["create", "cluster"])
        assert create[:6] == ["create", "cluster", "--name", name, "--config", "-"]
        assert "--wait" in create and "--image" in create
        sent = yaml.safe_load(next(c for c in double["calls"] if c["argv"][:2] == ["create", "cluster"])["stdin"])
        assert sent["nodes"][0]["extraPortMappings"][0]["hostPort"] == 8080
        assert sent["nodes"][0]["labels"] == {"ingress-ready": "true"}
        assert argvs[-1][:4] == ["delete", "cluster", "--name", name]

        # The image: really built, the decoys stayed out, the archive is a real `docker save`.
        image_id = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", ref],
                                  check=True, capture_output=True, text=True).stdout.strip()
        paths = image_paths(ref)
        assert "app/server.py" in paths
        assert not forbidden(paths) and not {p for p in paths if "chart" in p.split("/")}
        work = next(iter(set(Path("/tmp").glob("ansible.*-kind-flow")) - work_dirs_before))
        with tarfile.open(work / "app-image.tar") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        assert manifest[0]["RepoTags"] == [ref]
        assert image_id.split(":")[1] in manifest[0]["Config"]
        print(f"flow playbook (build+save+lint+double create/delete): {elapsed:.1f} s")
    finally:
        for work in set(Path("/tmp").glob("ansible.*-kind-flow")) - work_dirs_before:
            shutil.rmtree(work, ignore_errors=True)
        subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


def test_app_image_serves_and_runs_as_non_root(testbed, tmp_path) -> None:
    """The image the flow builds, run as a container: the app answers the way the flow's request expects."""
    ref = f"pronk8s/kind-demo-app:test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "-q", "--build-arg", f"BASE_IMAGE={testbed.image_base}", "--build-arg",
                    "APP_VERSION=9.9.9", "-t", ref, str(APP_SRC)], check=True, capture_output=True)
    name = f"pronk8s-kind-app-{uuid.uuid4().hex[:6]}"
    try:
        subprocess.run(["docker", "run", "-d", "--name", name, "--label", "pronk8s.testbed=pytest",
                        "--network", testbed.network, "--read-only", "--cap-drop", "ALL", ref],
                       check=True, capture_output=True)
        address = subprocess.run(
            ["docker", "inspect", "-f", f'{{{{(index .NetworkSettings.Networks "{testbed.network}").IPAddress}}}}', name],
            check=True, capture_output=True, text=True).stdout.strip()
        body = ""
        for dummy in range(50):
            try:
                request = urllib.request.Request(f"http://{address}:8080/", headers={"Host": "demo.kind.test"})
                body = urllib.request.urlopen(request, timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body.startswith("kind-demo-app 9.9.9 answered by ") and body.strip().endswith("for host demo.kind.test")
        assert urllib.request.urlopen(f"http://{address}:8080/healthz", timeout=2).read() == b"ok\n"
        user = subprocess.run(["docker", "exec", name, "python3", "-c", "import os; print(os.getuid())"],
                              check=True, capture_output=True, text=True).stdout.strip()
        assert user == "65532"
        started = time.monotonic()
        subprocess.run(["docker", "stop", "-t", "20", name], check=True, capture_output=True)
        assert time.monotonic() - started < 5, "the app must stop on SIGTERM (it is PID 1)"
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, check=False)


# ---- the builder image playbook ----------------------------------------------------------------------
def test_builder_image_from_verified_tools_with_buildkit_and_nothing_else(ansible, testbed, localhost, tmp_path, real_bin) -> None:
    ref_name, tag = "pronk8s/builder-test", uuid.uuid4().hex[:8]
    ref = f"{ref_name}:{tag}"
    bad_ref = f"{ref_name}:bad-{tag}"
    context = tmp_path / "context"
    context.mkdir()
    plant_decoys(context)  # a dirty build directory: the permit-list must keep all of this out
    helm_sha256 = hashlib.sha256((real_bin / "helm").read_bytes()).hexdigest()
    # kind cannot be had here; kubectl carries its real upstream pin; helm's upstream pin covers the
    # release tarball, which cannot be rebuilt, so the raw binary gets a checksum made for this test.
    tools = [{"name": "kubectl", "version": "1.35.2", "src": str(real_bin / "kubectl"), "checksum": KUBECTL_SHA256},
             {"name": "helm", "version": "4.1.4", "src": str(real_bin / "helm"), "checksum": helm_sha256}]
    common = {"builder_image_name": ref_name, "builder_image_base": testbed.image_base, "builder_image_tools": tools,
              "builder_image_docker_cli": DOCKER_BUILDKIT_CLI}
    env = {"HOME": str(tmp_path / "home")}
    try:
        started = time.monotonic()
        result = ansible.playbook(PLAYBOOKS / "builder_image.yml", localhost, env=env,
                                  extra_vars={**common, "builder_image_tag": tag, "builder_image_context_dir": str(context)})
        elapsed = time.monotonic() - started
        assert result.rc == 0, result.stdout[-3000:] + result.stderr[-2000:]
        staged = result.task("Stage each tool through the verified artifact engine")["results"]
        assert [(r["item"]["name"], r["sha256"]) for r in staged] == [("kubectl", KUBECTL_SHA256), ("helm", helm_sha256)]
        build = result.task("Build the image with BuildKit")
        assert build["changed"] is True
        assert "[internal] load build definition from Dockerfile" in build["stderr"]  # BuildKit's progress, not the classic builder's
        proof = result.task("Prove no credential or stray file entered the image")
        assert "exactly usr/local/bin/helm, usr/local/bin/kubectl, work" in proof["msg"]
        smoke = result.task("Smoke-test each tool inside the image")["results"]
        assert "v1.35.2" in smoke[0]["stdout"] and "v4.1.4" in smoke[1]["stdout"]

        # Independently of the playbook: the exported filesystem holds the verified bytes and no decoy.
        paths = image_paths(ref)
        assert not forbidden(paths)
        container = subprocess.run(["docker", "create", ref, "/bin/true"], check=True, capture_output=True, text=True).stdout.strip()
        try:
            for tool, digest in (("kubectl", KUBECTL_SHA256), ("helm", helm_sha256)):
                copied = subprocess.run(["docker", "cp", f"{container}:/usr/local/bin/{tool}", "-"],
                                        check=True, capture_output=True).stdout
                with tarfile.open(fileobj=__import__("io").BytesIO(copied)) as tar:
                    assert hashlib.sha256(tar.extractfile(tool).read()).hexdigest() == digest
        finally:
            subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
        labels = json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
                                           check=True, capture_output=True, text=True).stdout)
        assert labels["io.pronk8s.builder.tools"] == f"kubectl@sha256:{KUBECTL_SHA256},helm@sha256:{helm_sha256}"

        # Rebuilt from the cache: the same image, no change.
        again = ansible.playbook(PLAYBOOKS / "builder_image.yml", localhost, "--tags", "builder_image_build", env=env,
                                 extra_vars={**common, "builder_image_tag": tag})
        assert again.rc == 0 and again.task("Build the image with BuildKit")["changed"] is False

        # The proof catches what it claims to: an image with a key and a .env fails it.
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "Dockerfile").write_text(f"FROM {ref}\nUSER 0\nCOPY id_ed25519 /root/.ssh/id_ed25519\nCOPY .env /work/.env\n")
        plant_decoys(bad)
        (bad / ".dockerignore").write_text("*\n!id_ed25519\n!.env\n")
        subprocess.run([DOCKER_BUILDKIT_CLI, "build", "-q", "-t", bad_ref, str(bad)], check=True, capture_output=True,
                       env={"DOCKER_BUILDKIT": "1", "PATH": "/usr/bin:/bin"})
        refused = ansible.playbook(PLAYBOOKS / "builder_image.yml", localhost, "--tags", "builder_image_check", env=env,
                                   extra_vars={**common, "builder_image_tag": f"bad-{tag}"})
        assert refused.rc != 0
        message = refused.task("Prove no credential or stray file entered the image")["msg"]
        assert "root/.ssh/id_ed25519" in message and "work/.env" in message
        print(f"builder image playbook (stage+BuildKit build+proof+smoke): {elapsed:.1f} s")
    finally:
        subprocess.run(["docker", "image", "rm", "-f", ref, bad_ref], capture_output=True, check=False)
        leftovers = subprocess.run(["docker", "ps", "-aq", "--filter", "label=pronk8s.builder-image-check=true"],
                                   capture_output=True, text=True, check=False).stdout.split()
        assert not leftovers, "the playbook left inspection containers behind"
