"""A TEST DOUBLE of the kind CLI (sigs.k8s.io/kind v0.31), for machines where kind cannot run.

No kind binary and no kindest/node image can be had on the project's test machines, so a real KIND
cluster cannot be made there (see docs/kind.md). This script stands in for `kind`: it
keeps "clusters" in a JSON state file instead of Docker containers, and reproduces kind's command
line, exit codes and messages - copied from kind's sources (pkg/cmd/kind/..., cmd/kind/app/main.go,
pkg/cluster/internal/create/create.go, pkg/cluster/internal/delete/delete.go, the docker provider and
pkg/internal/cli/status.go at v0.31.0): program output on stdout, logs and "ERROR: ..." on stderr,
rc 1 on error. It is run as a real subprocess, so the module under test goes through run_command,
argv and stdin exactly as it would with kind.

What it does NOT do: run containers, Kubernetes or kubeadm; the kubeconfig it writes holds a real,
fresh self-signed CA (as each kind cluster has its own) but points at a port where nothing listens.
Its fidelity is in the CLI contract only.

State (JSON at $KIND_DOUBLE_STATE):
  clusters      {name: {nodes: [...], ca: base64, port: int, images: {node: {ref: id}}}}
  local_images  {ref: id}   the host's Docker images, for `load docker-image`
  faults        {create: pull|kubeadm|kubeadm-cleanup-fails|killed, delete: fail, docker: down}
  version_output  what `kind version` prints (default: v0.31.0's line)
  calls         every argv (without the binary) and the stdin it got, appended per run
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import sys
import tarfile
from pathlib import Path

import yaml

DEFAULT_IMAGE = "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f"
NAME_RE = re.compile(r"^[a-z0-9.-]+$")
CLUSTER_FIELDS = {"kind", "apiVersion", "name", "nodes", "networking", "featureGates", "runtimeConfig",
                  "kubeadmConfigPatches", "kubeadmConfigPatchesJSON6902", "containerdConfigPatches",
                  "containerdConfigPatchesJSON6902"}
FLAGS = {  # flags each command takes (True: takes a value)
    ("create", "cluster"): {"name": True, "config": True, "image": True, "retain": False, "wait": True, "kubeconfig": True},
    ("delete", "cluster"): {"name": True, "kubeconfig": True},
    ("get", "clusters"): {},
    ("get", "nodes"): {"name": True, "all-clusters": False},
    ("get", "kubeconfig"): {"name": True, "internal": False},
    ("export", "kubeconfig"): {"name": True, "kubeconfig": True, "internal": False},
    ("load", "docker-image"): {"name": True, "nodes": True},
    ("load", "image-archive"): {"name": True, "nodes": True},
    ("version",): {},
}
SHORT = {"n": "name", "q": "quiet", "A": "all-clusters"}


class KindError(Exception):
    """An error kind reports as `ERROR: <message>` with exit status 1."""


class Double:
    def __init__(self, state_path: Path) -> None:
        self.state_path = state_path
        self.state = json.loads(state_path.read_text()) if state_path.exists() else {}
        for key, default in (("clusters", {}), ("local_images", {}), ("faults", {}), ("calls", [])):
            self.state.setdefault(key, default)

    def save(self) -> None:
        self.state_path.write_text(json.dumps(self.state, indent=1))

    # ---- output helpers (kind: program output -> stdout, logger -> stderr) --------------------
    @staticmethod
    def out(text: str) -> None:
        sys.stdout.write(text + "\n")

    @staticmethod
    def log(text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def status(self, text: str, ok: bool = True) -> None:
        # cli.Status without a spinner (stderr is not a terminal): start line, then end line.
        self.log(f" • {text}  ...")
        self.log(f" {'✓' if ok else '✗'} {text}")

    def docker_up(self) -> None:
        if self.state["faults"].get("docker") == "down":
            raise KindError(
                "failed to list clusters: command \"docker ps -a --filter label=io.x-k8s.kind.cluster --format "
                "'{{.Label \"io.x-k8s.kind.cluster\"}}'\" failed with error: exit status 1\n\nCommand Output: "
                "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")

    # ---- commands --------------------------------------------------------------------------------
    def get_clusters(self, flags: dict) -> None:
        self.docker_up()
        names = sorted(self.state["clusters"])
        if not names:
            self.log("No kind clusters found.")
        for name in names:
            self.out(name)

    def get_nodes(self, flags: dict) -> None:
        self.docker_up()
        name = flags.get("name", os.environ.get("KIND_CLUSTER_NAME", "kind"))
        nodes = self.state["clusters"].get(name, {}).get("nodes", [])
        if not nodes:
            self.log(f'No kind nodes found for cluster "{name}".')
        for node in reversed(nodes):  # `docker ps` lists the newest container first
            self.out(node)

    def get_kubeconfig(self, flags: dict) -> None:
        self.out(yaml.safe_dump(self.kubeconfig_for(self.cluster_for_kubeconfig(flags)), sort_keys=True).rstrip())

    def export_kubeconfig(self, flags: dict) -> None:
        name = self.cluster_for_kubeconfig(flags)
        self.merge_kubeconfig(name, flags.get("kubeconfig"))
        self.log(f'Set kubectl context to "kind-{name}"')

    def cluster_for_kubeconfig(self, flags: dict) -> str:
        self.docker_up()
        name = flags.get("name", os.environ.get("KIND_CLUSTER_NAME", "kind"))
        if name not in self.state["clusters"]:
            raise KindError(f"could not locate any control plane nodes for cluster named '{name}'. "
                            "Use the --name option to select a different cluster")
        return name

    def create_cluster(self, flags: dict) -> None:
        self.docker_up()
        config = self.read_config(flags.get("config"))
        name = flags.get("name") or config.get("name") or os.environ.get("KIND_CLUSTER_NAME") or "kind"
        fail = "failed to create cluster: "
        if name in self.state["clusters"]:
            raise KindError(f'{fail}node(s) already exist for a cluster with the name "{name}"')
        if not NAME_RE.match(name):
            raise KindError(f"{fail}'{name}' is not a valid cluster name, cluster names must match `{NAME_RE.pattern}`")
        roles = [node.get("role") or "control-plane" for node in config.get("nodes") or [{}]]
        if "control-plane" not in roles:
            raise KindError(f"{fail}must have at least one control-plane node")
        image = flags.get("image") or next((n.get("image") for n in config.get("nodes") or [] if n.get("image")), DEFAULT_IMAGE)
        friendly = image.split("@sha256:")[0]
        fault = self.state["faults"].get("create")
        self.state["calls"][-1]["stdin_config"] = config
        self.log(f'Creating cluster "{name}" ...')
        if fault == "pull":
            self.status(f"Ensuring node image ({friendly}) 🖼", ok=False)
            raise KindError(f'{fail}failed to pull image "{image}": command "docker pull {image}" failed with error: '
                            "exit status 1\n\nCommand Output: Error response from daemon: Get "
                            '"https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host')
        self.status(f"Ensuring node image ({friendly}) 🖼")
        nodes = self.node_names(name, roles)
        self.state["clusters"][name] = {"nodes": nodes, "ca": base64.b64encode(self.new_ca(name)).decode(),
                                        "port": 30000 + secrets.randbelow(30000), "images": {n: {} for n in nodes}}
        self.save()  # the containers exist from here on, whatever happens next
        self.status("Preparing nodes " + "📦 " * len(roles))
        if fault == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        self.status("Writing configuration 📜")
        if fault in ("kubeadm", "kubeadm-cleanup-fails"):
            self.status("Starting control-plane 🕹️", ok=False)
            if fault == "kubeadm" and "retain" not in flags:
                self.delete_nodes(name, flags.get("kubeconfig"))
            raise KindError(
                f'{fail}failed to init node with kubeadm: command "docker exec --privileged {name}-control-plane '
                'kubeadm init --config=/kind/kubeadm.conf --skip-token-print --v=6" failed with error: exit status 1'
                "\n\nCommand Output: I0101 00:00:00.000000     211 initconfiguration.go:261] loading configuration "
                "from \"/kind/kubeadm.conf\"\n[wait-control-plane] Waiting for the kubelet to boot up the control plane\n"
                "error execution phase wait-control-plane: could not initialize a Kubernetes cluster")
        self.status("Starting control-plane 🕹️")
        self.status("Installing CNI 🔌")
        self.status("Installing StorageClass 💾")
        if roles.count("worker"):
            self.status("Joining worker nodes 🚜")
        if flags.get("wait") and flags["wait"] not in ("0", "0s"):
            self.status(f"Waiting ≤ {flags['wait']} for control-plane = Ready ⏳")
            self.log(" • Ready after 15s 💚")
        self.merge_kubeconfig(name, flags.get("kubeconfig"))
        self.log(f'Set kubectl context to "kind-{name}"')
        sample = f"kubectl cluster-info --context kind-{name}"
        if flags.get("kubeconfig"):
            sample += f" --kubeconfig {flags['kubeconfig']}"
        self.log(f"You can now use your cluster with:\n\n{sample}\n")
        self.log("Have a nice day! 👋")

    def delete_cluster(self, flags: dict) -> None:
        self.docker_up()
        name = flags.get("name", os.environ.get("KIND_CLUSTER_NAME", "kind"))
        self.log(f'Deleting cluster "{name}" ...')
        nodes = self.state["clusters"].get(name, {}).get("nodes", [])
        if nodes and self.state["faults"].get("delete") == "fail":
            raise KindError(f'failed to delete cluster "{name}": failed to delete nodes: command '
                            f'"docker rm -f -v {" ".join(nodes)}" failed with error: exit status 1')
        self.delete_nodes(name, flags.get("kubeconfig"))

    def delete_nodes(self, name: str, kubeconfig: str | None) -> None:
        self.remove_kubeconfig(name, kubeconfig)
        cluster = self.state["clusters"].pop(name, None)
        if cluster:
            # Go's %q of a slice: ["a" "b"]
            self.log("Deleted nodes: [" + " ".join(f'"{n}"' for n in reversed(cluster["nodes"])) + "]")
        self.save()

    def load_docker_image(self, flags: dict, images: list[str]) -> None:
        if not images:
            raise KindError("a list of image names is required")
        ids = {}
        for image in dict.fromkeys(images):
            if image not in self.state["local_images"]:
                raise KindError(f'image: "{image}" not present locally')
            ids[image] = self.state["local_images"][image]
        cluster = self.loadable(flags)
        selected = set()
        for image, image_id in ids.items():
            for node in cluster["nodes"]:
                if cluster["images"][node].get(image) != image_id:
                    selected.add(node)
                    self.log(f'Image: "{image}" with ID "{image_id}" not yet present on node "{node}", loading...')
            if not selected:
                self.log(f'Image: "{image}" with ID "{image_id}" found to be already present on all nodes.')
        for node in selected:
            cluster["images"][node].update(ids)
        self.save()

    def load_image_archive(self, flags: dict, archives: list[str]) -> None:
        if not archives:
            raise KindError("name of image archive is required")
        if len(archives) > 1:
            self.log("WARNING: It is suggested that you save multiple images into a common archive and load that "
                     "instead of loading multiple archives for better performance")
        for archive in archives:
            if not os.path.exists(archive):
                raise KindError(f"stat {archive}: no such file or directory")
        cluster = self.loadable(flags)
        for archive in archives:
            tags = self.archive_tags(archive)
            for node in cluster["nodes"]:
                cluster["images"][node].update(tags)
        self.save()

    def version(self, flags: dict) -> None:
        # `version_output` in the state stands in for another release (v0.5 printed only "v0.5.1").
        self.out(self.state.get("version_output", "kind v0.31.0 go1.25.5 linux/amd64"))

    # ---- helpers ---------------------------------------------------------------------------------
    def loadable(self, flags: dict) -> dict:
        self.docker_up()
        name = flags.get("name", os.environ.get("KIND_CLUSTER_NAME", "kind"))
        cluster = self.state["clusters"].get(name)
        if not cluster:
            raise KindError(f'no nodes found for cluster "{name}"')
        return cluster

    @staticmethod
    def new_ca(name: str) -> bytes:
        """A fresh self-signed CA certificate (PEM), as kubeadm makes one per cluster; unique per create."""
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.PEM)

    @staticmethod
    def archive_tags(archive: str) -> dict[str, str]:
        """RepoTags -> image ID from a `docker save` archive's manifest.json (what containerd imports)."""
        try:
            with tarfile.open(archive) as tar:
                manifest = json.load(tar.extractfile("manifest.json"))
        except (tarfile.TarError, KeyError, ValueError) as exc:
            raise KindError(f"failed to load image: command \"docker exec --privileged -i kind-control-plane ctr "
                            f"--namespace=k8s.io images import --all-platforms --digests --snapshotter=overlayfs -\" "
                            f"failed with error: exit status 1\n\nCommand Output: ctr: {exc}") from exc
        tags = {}
        for entry in manifest:
            image_id = "sha256:" + Path(entry["Config"]).name.removesuffix(".json")
            for tag in entry.get("RepoTags") or []:
                tags[tag] = image_id
        return tags

    def read_config(self, path: str | None) -> dict:
        if path is None:
            return {}
        raw = sys.stdin.read() if path == "-" else self.read_file(path)
        self.state["calls"][-1]["stdin"] = raw if path == "-" else None
        fail = "failed to create cluster: "
        try:
            config = yaml.safe_load(raw) or {}
        except yaml.YAMLError as exc:
            raise KindError(f"{fail}could not determine kind / apiVersion for config: {exc}") from exc
        if config.get("apiVersion") != "kind.x-k8s.io/v1alpha4":
            raise KindError(f"{fail}unknown apiVersion: {config.get('apiVersion') or ''}")
        if config.get("kind") != "Cluster":
            raise KindError(f"{fail}unknown kind {config.get('kind') or ''} for apiVersion: kind.x-k8s.io/v1alpha4")
        unknown = sorted(set(config) - CLUSTER_FIELDS)
        if unknown:
            raise KindError(f"{fail}unable to decode config: yaml: unmarshal errors:\n  line 1: field {unknown[0]} "
                            "not found in type v1alpha4.Cluster")
        return config

    @staticmethod
    def read_file(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise KindError(f"failed to create cluster: error reading file: open {path}: no such file or directory") from exc

    @staticmethod
    def node_names(name: str, roles: list[str]) -> list[str]:
        roles = list(roles) + (["external-load-balancer"] if roles.count("control-plane") > 1 else [])
        counter: dict[str, int] = {}
        names = []
        for role in roles:
            counter[role] = counter.get(role, 0) + 1
            names.append(f"{name}-{role}{counter[role] if counter[role] > 1 else ''}")
        return names

    def kubeconfig_for(self, name: str) -> dict:
        cluster = self.state["clusters"][name]
        ctx = f"kind-{name}"
        fake = base64.b64encode(b"double: not a certificate").decode()
        return {
            "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": ctx,
            "clusters": [{"name": ctx, "cluster": {
                "certificate-authority-data": cluster["ca"], "server": f"https://127.0.0.1:{cluster['port']}"}}],
            "contexts": [{"name": ctx, "context": {"cluster": ctx, "user": ctx}}],
            "users": [{"name": ctx, "user": {"client-certificate-data": fake, "client-key-data": fake}}],
        }

    @staticmethod
    def kubeconfig_path(explicit: str | None) -> Path:
        if explicit:
            return Path(explicit)
        paths = list(dict.fromkeys(p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p))
        if len(paths) == 1:
            return Path(paths[0])
        for path in paths:
            if Path(path).is_file():
                return Path(path)
        return Path(paths[-1]) if paths else Path.home() / ".kube" / "config"

    def merge_kubeconfig(self, name: str, explicit: str | None) -> None:
        path = self.kubeconfig_path(explicit)
        existing = (yaml.safe_load(path.read_text()) if path.exists() else None) or {
            "apiVersion": "v1", "kind": "Config", "preferences": {}, "clusters": [], "contexts": [], "users": []}
        new = self.kubeconfig_for(name)
        for key in ("clusters", "contexts", "users"):
            existing[key] = [e for e in existing.get(key) or [] if e.get("name") != f"kind-{name}"] + new[key]
        existing["current-context"] = f"kind-{name}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(existing, sort_keys=True))
        path.chmod(0o600)

    def remove_kubeconfig(self, name: str, explicit: str | None) -> None:
        path = self.kubeconfig_path(explicit)
        if not path.exists():
            return
        data = yaml.safe_load(path.read_text()) or {}
        for key in ("clusters", "contexts", "users"):
            data[key] = [e for e in data.get(key) or [] if e.get("name") != f"kind-{name}"]
        if data.get("current-context") == f"kind-{name}":
            data["current-context"] = ""
        path.write_text(yaml.safe_dump(data, sort_keys=True))


def parse(argv: list[str]) -> tuple[tuple[str, ...], dict, list[str]]:
    """cobra-like parsing: the command words, then --flag value / --flag=value / -n value."""
    words: list[str] = []
    while argv and not argv[0].startswith("-") and tuple(words) not in FLAGS:
        words.append(argv.pop(0))
    command = tuple(words)
    if command not in FLAGS:
        raise KindError(f'unknown command "{words[-1] if words else ""}" for "kind{" " + " ".join(words[:-1]) if words[:-1] else ""}"')
    known, flags, args = FLAGS[command], {}, []
    while argv:
        item = argv.pop(0)
        if item == "--":  # pflag: everything after "--" is a positional argument
            args += argv
            break
        if not item.startswith("-") or item == "-":
            args.append(item)
            continue
        key, inline, value = item.lstrip("-").partition("=")
        key = SHORT.get(key, key) if not item.startswith("--") else key
        if key in ("quiet", "verbosity", "v"):
            continue
        if key not in known:
            raise KindError(f"unknown flag: {item.split('=')[0]}")
        if known[key]:
            if not inline and not argv:
                raise KindError(f"flag needs an argument: {item}")
            value = value if inline else argv.pop(0)
        flags[key] = value if known[key] else True
    return command, flags, args


def main() -> int:
    double = Double(Path(os.environ["KIND_DOUBLE_STATE"]))
    double.state["calls"].append({"argv": sys.argv[1:]})
    double.save()
    try:
        command, flags, args = parse(list(sys.argv[1:]))
        handler = {
            ("create", "cluster"): double.create_cluster, ("delete", "cluster"): double.delete_cluster,
            ("get", "clusters"): double.get_clusters, ("get", "nodes"): double.get_nodes,
            ("get", "kubeconfig"): double.get_kubeconfig, ("export", "kubeconfig"): double.export_kubeconfig,
            ("version",): double.version,
        }.get(command)
        if command == ("load", "docker-image"):
            double.load_docker_image(flags, args)
        elif command == ("load", "image-archive"):
            double.load_image_archive(flags, args)
        elif args:
            raise KindError(f'unknown command "{args[0]}" for "kind {" ".join(command)}"')
        else:
            handler(flags)
    except KindError as exc:
        double.save()
        Double.log(f"ERROR: {exc}")
        return 1
    double.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
