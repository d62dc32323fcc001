# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""kind's rules and outputs for pronk8s.platform.kind_cluster: config validation, node naming, fingerprints, records.

The pure logic of the module: kind's rules for names and cluster configs, node naming, fingerprints,
the record file, and reading kind's output (version, load messages). The module itself runs kind (its
KindCLI class).

This is private to the pronk8s.platform collection: modules and plugins of this collection may
import it, nothing else should.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import string
from dataclasses import dataclass
from typing import Any, Iterator

from ansible_collections.pronk8s.platform.plugins.module_utils._atomic_file import replace_file

# kind's own rule (sigs.k8s.io/kind pkg/internal/apis/config/validate.go, validNameRE).
NAME_RE = re.compile(r"^[a-z0-9.-]+$")
# kind warns above this length: node containers append "-control-plane" (14 characters) and
# host names are limited to 64 characters.
NAME_MAX = 50
API_VERSION = "kind.x-k8s.io/v1alpha4"
ROLES = ("control-plane", "worker")
LB_ROLE = "external-load-balancer"
# The oldest kind the module drives: v0.6.0 brought the v1alpha4 config API, `--kubeconfig`, `kind export
# kubeconfig` and `--config -` (stdin). Older releases are refused (and not pinned in the catalog).
MIN_KIND_VERSION = (0, 6, 0)
VERSION_RE = re.compile(r"\bv?([0-9]+)\.([0-9]+)\.([0-9]+)")
# Config fields whose strings may hold secrets (registry credentials, bootstrap tokens).
PATCH_FIELDS = ("containerdConfigPatches", "containerdConfigPatchesJSON6902", "kubeadmConfigPatches",
                "kubeadmConfigPatchesJSON6902")
# A Go duration as accepted by `kind create cluster --wait` (time.ParseDuration).
DURATION_RE = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")

# Field names of the v1alpha4 types (sigs.k8s.io/kind pkg/apis/config/v1alpha4/types.go); kind
# decodes configs strictly, so an unknown field is an error there too.
CLUSTER_FIELDS = {
    "kind": str, "apiVersion": str, "name": str, "nodes": list, "networking": dict,
    "featureGates": dict, "runtimeConfig": dict, "kubeadmConfigPatches": list,
    "kubeadmConfigPatchesJSON6902": list, "containerdConfigPatches": list,
    "containerdConfigPatchesJSON6902": list,
}
NODE_FIELDS = {
    "role": str, "image": str, "labels": dict, "extraMounts": list, "extraPortMappings": list,
    "kubeadmConfigPatches": list, "kubeadmConfigPatchesJSON6902": list,
}
NETWORKING_FIELDS = {
    "ipFamily": str, "apiServerPort": int, "apiServerAddress": str, "podSubnet": str,
    "serviceSubnet": str, "disableDefaultCNI": bool, "kubeProxyMode": str, "dnsSearch": list,
}
PORT_MAPPING_FIELDS = {"containerPort": int, "hostPort": int, "listenAddress": str, "protocol": str}
MOUNT_FIELDS = {"containerPath": str, "hostPath": str, "readOnly": bool, "selinuxRelabel": bool, "propagation": str}
PATCH_JSON6902_FIELDS = {"group": str, "version": str, "kind": str, "patch": str}
ENUMS = {
    "ipFamily": ("ipv4", "ipv6", "dual"),
    "kubeProxyMode": ("iptables", "ipvs", "nftables", "none"),
    "protocol": ("TCP", "UDP", "SCTP"),
    "propagation": ("None", "HostToContainer", "Bidirectional"),
}


def name_error(name: str, option: str = "name") -> str | None:
    """The message kind would give for an invalid cluster name, naming the option; None if valid."""
    if NAME_RE.match(name):
        return None
    return f"{option}: {name!r} is not a valid cluster name, cluster names must match `{NAME_RE.pattern}`"


def random_name(prefix: str, taken: set[str], length: int = 6) -> str:
    """A name `prefix` + random [a-z0-9] suffix that is not in `taken` (kind's rule holds by construction)."""
    alphabet = string.ascii_lowercase + string.digits
    while True:
        candidate = prefix + "".join(secrets.choice(alphabet) for dummy in range(length))
        if candidate not in taken:
            return candidate


def normalize_wait(value: str | int | None) -> str | None:
    """`--wait` value: a Go duration ("90s", "2m"); a bare number means seconds."""
    if value is None:
        return None
    text = str(value).strip()
    if text.isdigit():
        return f"{text}s"
    if not DURATION_RE.match(text):
        raise ValueError(f"wait: {value!r} is not a duration such as 60s, 2m or 1m30s")
    return text


class ConfigValidator:
    """Checks a kind Cluster config (v1alpha4) the way kind's strict decoder and Validate() do.

    Every problem is collected with its path (``config.nodes[1].role``) so one run reports all.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []

    def validate(self, config: Any) -> list[str]:
        """Problems with `config`, each with its path; integer fields given as digit strings become ints in place."""
        self.errors = []
        if not isinstance(config, dict):
            return [f"config: must be a mapping (a kind Cluster), got {type(config).__name__}"]
        if config.get("apiVersion") != API_VERSION:
            self.errors.append(f"config.apiVersion: must be {API_VERSION!r}, got {config.get('apiVersion')!r}")
        if config.get("kind") != "Cluster":
            self.errors.append(f"config.kind: must be 'Cluster', got {config.get('kind')!r}")
        self._fields("config", config, CLUSTER_FIELDS)
        if isinstance(config.get("name"), str) and (err := name_error(config["name"], "config.name")):
            self.errors.append(err)
        self._networking(config.get("networking"))
        self._nodes(config.get("nodes"))
        for key in ("kubeadmConfigPatches", "containerdConfigPatches", "containerdConfigPatchesJSON6902"):
            self._strings(f"config.{key}", config.get(key))
        self._check_mappings("config.kubeadmConfigPatchesJSON6902", config.get("kubeadmConfigPatchesJSON6902"),
                             PATCH_JSON6902_FIELDS)
        return self.errors

    def _fields(self, path: str, data: dict, fields: dict[str, type]) -> None:
        for key, value in list(data.items()):
            if fields.get(key) is int and isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
                # A templated port ("{{ port }}") is a string on ansible-core < 2.19; kind needs a number.
                value = data[key] = int(value)
            if key not in fields:
                self.errors.append(f"{path}.{key}: unknown field (kind decodes configs strictly and would refuse it)")
            elif not _is_type(value, fields[key]):
                shown = type(value).__name__ if key in PATCH_FIELDS or key == "patch" else repr(value)
                self.errors.append(f"{path}.{key}: must be of type {fields[key].__name__}, got {shown}")
            elif key in ENUMS and value not in ENUMS[key]:
                self.errors.append(f"{path}.{key}: {value!r} is not one of {', '.join(ENUMS[key])}")

    def _networking(self, networking: Any) -> None:
        if not isinstance(networking, dict):
            return
        self._fields("config.networking", networking, NETWORKING_FIELDS)
        port = networking.get("apiServerPort")
        if _is_type(port, int) and port != 0 and not -1 <= port <= 65535:
            self.errors.append(f"config.networking.apiServerPort: invalid port number {port}")

    def _mappings(self, path: str, items: Any, fields: dict[str, type]) -> Iterator[tuple[str, dict]]:
        """Each mapping of the list at `path`, its fields checked, with its own path; other items are errors."""
        if not isinstance(items, list):
            return
        for index, item in enumerate(items):
            where = f"{path}[{index}]"
            if isinstance(item, dict):
                self._fields(where, item, fields)
                yield where, item
            else:
                self.errors.append(f"{where}: must be a mapping, got {item!r}")

    def _check_mappings(self, path: str, items: Any, fields: dict[str, type]) -> None:
        """A list of mappings whose fields are all there is to check (mounts, JSON 6902 patches)."""
        for _where, _mapping in self._mappings(path, items, fields):
            pass

    def _nodes(self, nodes: Any) -> None:
        if not isinstance(nodes, list):
            return
        control_planes = 0
        for path, node in self._mappings("config.nodes", nodes, NODE_FIELDS):
            role = node.get("role", "control-plane")  # kind's default for an empty role
            if role not in ROLES:
                self.errors.append(f"{path}.role: {role!r} is not a valid node role ({', '.join(ROLES)})")
            control_planes += role == "control-plane"
            for key, value in (node.get("labels") or {}).items() if isinstance(node.get("labels"), dict) else ():
                if not isinstance(value, str):
                    self.errors.append(f"{path}.labels.{key}: must be a string, got {value!r} (quote it)")
            self._port_mappings(f"{path}.extraPortMappings", node.get("extraPortMappings"))
            self._check_mappings(f"{path}.extraMounts", node.get("extraMounts"), MOUNT_FIELDS)
            self._strings(f"{path}.kubeadmConfigPatches", node.get("kubeadmConfigPatches"))
            self._check_mappings(f"{path}.kubeadmConfigPatchesJSON6902", node.get("kubeadmConfigPatchesJSON6902"),
                                 PATCH_JSON6902_FIELDS)
        if control_planes < 1:
            self.errors.append("config.nodes: must have at least one control-plane node")

    def _port_mappings(self, path: str, mappings: Any) -> None:
        seen: set[tuple[str, int, str]] = set()
        for item, mapping in self._mappings(path, mappings, PORT_MAPPING_FIELDS):
            for key in ("containerPort", "hostPort"):
                port = mapping.get(key)
                if _is_type(port, int) and not -1 <= port <= 65535:
                    self.errors.append(f"{item}.{key}: invalid port number {port}")
            host_port = mapping.get("hostPort")
            if _is_type(host_port, int) and host_port > 0:
                key = (mapping.get("listenAddress") or "0.0.0.0", host_port, mapping.get("protocol") or "TCP")
                if key in seen:
                    self.errors.append(f"{item}: port mapping with same listen address, port and protocol already configured: "
                                       f"{key[0]}:{key[1]}/{key[2]}")
                seen.add(key)

    def _strings(self, path: str, values: Any) -> None:
        if isinstance(values, list):
            for index, value in enumerate(values):
                if not isinstance(value, str):
                    # Patches may hold credentials: name the type, never the value.
                    self.errors.append(f"{path}[{index}]: must be a string, got {type(value).__name__}")


def _is_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def node_names(name: str, config: dict | None) -> list[str]:
    """The node container names kind gives a cluster (common.MakeNodeNamer), sorted.

    kind names nodes <cluster>-<role>, then <cluster>-<role>2, 3...; with more than one
    control-plane it adds an <cluster>-external-load-balancer container.
    """
    roles = [node.get("role", "control-plane") for node in (config or {}).get("nodes") or [{}]]
    if roles.count("control-plane") > 1:
        roles.append(LB_ROLE)
    counter: dict[str, int] = {}
    names = []
    for role in roles:
        counter[role] = counter.get(role, 0) + 1
        names.append(f"{name}-{role}{counter[role] if counter[role] > 1 else ''}")
    return sorted(names)


def fingerprint(config: dict | None, image: str | None) -> str:
    """sha256 of what decides a cluster's shape: the config (without its name) and the node image."""
    shape = {key: value for key, value in (config or {}).items() if key != "name"}
    canonical = json.dumps({"config": shape, "image": image}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def kubeconfig_path(explicit: str | None, environ: dict[str, str] | os._Environ) -> str:
    """The file kind writes the context to (kind's pathForMerge: --kubeconfig, $KUBECONFIG, ~/.kube/config)."""
    if explicit:
        return explicit
    paths = list(dict.fromkeys(p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p))
    if len(paths) == 1:
        return paths[0]
    for path in paths:
        if os.path.isfile(path):
            return path
    if paths:
        return paths[-1]
    return os.path.join(os.path.expanduser("~"), ".kube", "config")


def parse_lines(stdout: str) -> list[str]:
    """Non-empty lines of kind's program output (`get clusters`, `get nodes`)."""
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def error_summary(stderr: str, stdout: str = "") -> str:
    """kind's own "ERROR: ..." line if there is one, else the last line it printed."""
    lines = [line.strip() for line in (stderr or stdout or "").splitlines() if line.strip()]
    for line in lines:
        if line.startswith("ERROR:"):
            return line
    return lines[-1] if lines else "no output"


# kind's log line for a node it loads an image into: "Image: %q with ID %q not present on node %q" in
# v0.6.0-v0.7.0, "... not yet present on node %q, loading..." since v0.8.0 (pkg/cmd/kind/load/docker-image).
LOADING_RE = re.compile(r"with ID .* not (yet )?present on node")


def loaded_something(stderr: str) -> bool:
    """Whether `kind load docker-image` (v0.6.0 or later) copied or re-tagged an image (its own log lines say so)."""
    return LOADING_RE.search(stderr) is not None or "re-tagging" in stderr


def parse_version(output: str) -> tuple[int, int, int] | None:
    """kind's version from `kind version` ("kind v0.31.0 go1.25.5 linux/amd64"; v0.5 printed "v0.5.1")."""
    match = VERSION_RE.search(output or "")
    return (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def config_sha256(config: dict | None) -> str:
    """sha256 of a config (what diffs and results show instead of the config, which may hold credentials)."""
    canonical = json.dumps(config or {}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def config_patch_texts(config: Any) -> list[str]:
    """Every string under the config's patch fields (cluster and nodes), to keep out of the module's output."""
    texts: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            if value.strip():
                texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    if isinstance(config, dict):
        for holder in [config] + [n for n in config.get("nodes") or [] if isinstance(n, dict)]:
            for key in PATCH_FIELDS:
                collect(holder.get(key))
    return texts


@dataclass
class Record:
    """What the module writes after creating a cluster, to know that cluster's config later.

    kind keeps no copy of the config it was given, so the module records it. ``ca_sha256`` binds the
    record to one incarnation of the cluster: kind makes a new cluster CA on every create, so a
    cluster deleted and recreated by someone else under the same name no longer matches its record.
    """

    name: str
    fingerprint: str
    ca_sha256: str
    config: dict
    image: str | None

    @classmethod
    def load(cls, path: str) -> "Record | None":
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            return cls(**{key: data[key] for key in ("name", "fingerprint", "ca_sha256", "config", "image")})
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, path: str) -> None:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        # The config may carry registry credentials in containerd patches: owner-only. The collection's one
        # writer uses mkstemp, so a planted NAME.json.tmp symlink is never followed.
        data = json.dumps(self.__dict__, indent=2, sort_keys=True).encode("utf-8")
        replace_file(path, data, mode=0o600)
