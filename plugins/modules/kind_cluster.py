#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kind_cluster
short_description: Create, check, delete and load images into KIND (Kubernetes IN Docker) clusters
version_added: 1.0.0
description:
  - Wraps the C(kind) command line tool to manage one local Kubernetes cluster whose nodes are Docker containers.
  - Idempotent from C(kind get clusters). When a cluster of that name exists with a different config, the module
    reports the difference in the diff and changes nothing unless O(recreate=true).
  - kind keeps no copy of the config a cluster was created with, so the module records it after every create, in
    a small file under O(fingerprint_dir), bound to that cluster incarnation by the sha256 of its cluster CA
    (kind makes a new CA on every create). A cluster the module did not create, or whose record is missing or
    belongs to an earlier incarnation, has an unknown config. The module then checks only what it can see (the node
    names, which follow from the node roles), reports C(config_match=unknown) with a warning, and leaves it alone
    unless O(recreate=true).
  - On a failed create the module deletes whatever the failed attempt left behind (kind cleans up after itself
    on most errors, but not when it is killed or when its own clean-up fails), then fails with the C(rc),
    C(stdout), C(stderr) and C(command) of the failed call.
author:
  - pronk8s developers (@pronk8s)
requirements:
  - The C(kind) binary, v0.6.0 or later (see the P(pronk8s.platform.kind#role) role), and a Docker engine it can use.
    v0.6.0 brought the v1alpha4 config API, C(--kubeconfig) and C(--config -) that the module relies on; the module
    asks C(kind version) first and refuses an older kind with a clear message (the catalog pins nothing older).
    Image loading is detected from the log lines of kind v0.6.0-v0.7.0 and of v0.8.0 and later alike.
  - PyYAML on the managed host, to read a O(config) file and kubeconfig files.
extends_documentation_fragment:
  - pronk8s.platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reports what would change without creating, deleting or loading anything.
      - Check mode runs only read-only kind commands (C(get clusters), C(get nodes), C(get kubeconfig)).
      - Image loads into an existing cluster are reported as changes in check mode, because kind cannot say in
        advance whether a node already holds an image.
  diff_mode:
    support: full
    details:
      - Shows the cluster before and after (existence, nodes, fingerprint, the sha256 of the config, node image).
      - The config itself is never shown, in the diff or the result, because C(containerdConfigPatches) may hold
        registry credentials; its patch texts are also masked where Ansible echoes the module's arguments.
      - For an existing cluster whose config differs, C(before) is the existing cluster and C(after) the request,
        with C(changed=false) unless O(recreate=true).
  idempotent:
    support: partial
    details:
      - A second run with the same options changes nothing.
      - Creating and deleting are idempotent. O(generate_name) makes a new cluster on every run, by design.
      - Loading an image archive always reports a change, because kind imports archives without comparing them.
options:
  state:
    description:
      - V(present) creates the cluster when it does not exist, then loads O(load_images).
      - V(absent) deletes the cluster (and its context in the kubeconfig) when it exists.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - The cluster name. Must match kind's rule C(^[a-z0-9.-]+$).
      - Every option is checked before the module looks for kind or asks it anything, so bad input is reported as
        such on any machine.
      - Defaults to the C(name) field of O(config), else V(kind) (kind's own default).
      - Mutually exclusive with O(generate_name).
    type: str
  generate_name:
    description:
      - Make a unique name from this prefix and six random characters from C([a-z0-9]), checked against
        C(kind get clusters); like C(metadata.generateName) in Kubernetes. The result returns the name; use it
        for every later task on this cluster.
      - Only with O(state=present).
    type: str
  config:
    description:
      - The kind Cluster config (C(apiVersion=kind.x-k8s.io/v1alpha4), C(kind=Cluster)), either as a mapping or as
        the absolute path of a YAML file on the managed host.
      - Validated before use with kind's rules (known fields only, node roles, ports, at least one control-plane
        node); every problem is reported with its path, for example C(config.nodes[1].role).
      - Handed to kind on standard input (C(--config -)), so the config that was validated is the config used.
    type: raw
  image:
    description:
      - The node image (C(--image)), for every node. Pin it by digest, for example
        V(kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f).
      - Part of the recorded fingerprint.
    type: str
  wait:
    description:
      - How long kind waits for the control plane to be Ready (C(--wait)), as a Go duration such as V(60s) or
        V(2m); a bare number means seconds. kind only warns when the wait times out.
    type: str
  kubeconfig:
    description:
      - The kubeconfig file kind writes the cluster's context (C(kind-NAME)) to (C(--kubeconfig)). When the cluster
        already exists and this file lacks its context, the module exports it there (C(kind export kubeconfig)).
      - Without it kind uses C($KUBECONFIG), else C(~/.kube/config); RV(kubeconfig) says which.
    type: path
  load_images:
    description:
      - Images to load into every node once the cluster exists.
      - An entry starting with C(/) is the absolute path of an image archive on the managed host, as written by
        C(docker save) (C(kind load image-archive)); any other entry is an image in the local Docker engine
        (C(kind load docker-image)). Sources are passed after C(--), and an entry starting with C(-) is refused, so
        an entry is never read as a kind flag.
    type: list
    elements: str
    default: []
  recreate:
    description:
      - Delete and create the cluster again when it exists with a different or unknown config.
    type: bool
    default: false
  kind:
    description:
      - The kind binary, as a path or a name looked up in C(PATH).
    type: str
    default: kind
  fingerprint_dir:
    description:
      - Where the module records the config of each cluster it creates (C(NAME.json), mode 0600).
      - Defaults to C($XDG_CACHE_HOME/pronk8s/kind), or C(~/.cache/pronk8s/kind) when E(XDG_CACHE_HOME) is unset
        or not an absolute path, for the user the module runs as on the managed host.
    type: path
notes:
  - Each managed host has its own clusters, records and kubeconfig; run the module where C(kind) and Docker run.
seealso:
  - name: kind quick start
    description: kind's documentation of clusters, configs, and image loading.
    link: https://kind.sigs.k8s.io/docs/user/quick-start/
  - name: kind configuration
    description: The v1alpha4 Cluster config the O(config) option takes.
    link: https://kind.sigs.k8s.io/docs/user/configuration/
"""

EXAMPLES = r"""
---
- name: Create a throwaway cluster with a random name, ready for an ingress controller
  pronk8s.platform.kind_cluster:
    generate_name: ci-
    image: kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f
    wait: 120s
    kubeconfig: /tmp/ci-kubeconfig
    config:
      apiVersion: kind.x-k8s.io/v1alpha4
      kind: Cluster
      nodes:
        - role: control-plane
          labels:
            ingress-ready: "true"
          extraPortMappings:
            - containerPort: 80
              hostPort: 8080
              listenAddress: 127.0.0.1
  register: cluster

- name: Load an image archive written by docker save
  pronk8s.platform.kind_cluster:
    name: "{{ cluster.name }}"
    load_images:
      - /tmp/app.tar
      - registry.example.com/tools/debug:1.2.3

- name: Replace a cluster whose config changed
  pronk8s.platform.kind_cluster:
    name: dev
    config: /etc/kind/dev.yaml
    recreate: true

- name: Delete the cluster
  pronk8s.platform.kind_cluster:
    name: "{{ cluster.name }}"
    state: absent
"""

RETURN = r"""
name:
  description: The cluster name (the generated one with O(generate_name)).
  returned: always
  type: str
  sample: ci-x7k2q9
kubeconfig:
  description: The kubeconfig file that holds (or would hold) the C(kind-NAME) context.
  returned: always
  type: str
  sample: /tmp/ci-kubeconfig
context:
  description: The kubeconfig context kind writes for the cluster.
  returned: always
  type: str
  sample: kind-ci-x7k2q9
api_endpoint:
  description: The API server URL from the cluster's kubeconfig; null when the cluster does not exist (yet).
  returned: always
  type: str
  sample: https://127.0.0.1:40163
nodes:
  description: The node container names, sorted; in check mode for a cluster not yet created, the names kind will use.
  returned: always
  type: list
  elements: str
  sample: [ci-x7k2q9-control-plane, ci-x7k2q9-worker]
fingerprint:
  description: sha256 of the requested config (without its name) and node image.
  returned: when O(state=present)
  type: str
  sample: 4f8a0c0c9e0a53bba54f4a2d6f0c0e2c9f0b1b1e3c1d2a8b6a0d3e7c2b9a1f00
config_match:
  description:
    - How the existing cluster compares with the request, before any change - V(same), V(different), V(unknown)
      (no valid record; see the description), or null when no cluster existed.
  returned: when O(state=present)
  type: str
  sample: same
recreated:
  description: Whether an existing cluster was deleted and created again (O(recreate=true)).
  returned: when O(state=present)
  type: bool
  sample: false
images:
  description: One entry per O(load_images) item with its C(source), C(type) (V(docker-image) or V(image-archive)) and C(changed).
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{source: /tmp/app.tar, type: image-archive, changed: true}]
cleanup:
  description: After a failed create, what the module did about the half-created cluster (C(found), C(deleted), and the delete's C(rc), C(stderr)).
  returned: on a failed create
  type: dict
  sample: {found: true, deleted: true, rc: 0, stderr: "Deleting cluster \"ci-x7k2q9\" ..."}
rc:
  description: Exit status of the failed kind command.
  returned: failure of a kind command
  type: int
  sample: 1
stdout:
  description: Standard output of the failed kind command.
  returned: failure of a kind command
  type: str
  sample: ""
stderr:
  description: Standard error of the failed kind command (kind logs there).
  returned: failure of a kind command
  type: str
  sample: "ERROR: failed to create cluster: node(s) already exist for a cluster with the name \"dev\""
command:
  description: The argv of the failed kind command.
  returned: failure of a kind command
  type: list
  elements: str
  sample: [/usr/local/bin/kind, create, cluster, --name, dev]
"""

import hashlib
import json
import os
import traceback
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.pronk8s.platform.plugins.module_utils._errors import ModuleError, exit_with
from ansible_collections.pronk8s.platform.plugins.module_utils._kind import (
    MIN_KIND_VERSION,
    ConfigValidator,
    Record,
    config_patch_texts,
    config_sha256,
    error_summary,
    fingerprint,
    kubeconfig_path,
    loaded_something,
    name_error,
    node_names,
    normalize_wait,
    parse_lines,
    parse_version,
    random_name,
)
from ansible_collections.pronk8s.platform.plugins.module_utils._xdg import cache_dir

try:
    import yaml

    HAS_YAML = True
    YAML_IMPORT_ERROR = None
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()


def argument_spec() -> dict:
    """The module's options (a new dict each call)."""
    return dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str"),
        generate_name=dict(type="str"),
        config=dict(type="raw"),
        image=dict(type="str"),
        wait=dict(type="str"),
        kubeconfig=dict(type="path"),
        load_images=dict(type="list", elements="str", default=[]),
        recreate=dict(type="bool", default=False),
        kind=dict(type="str", default="kind"),
        fingerprint_dir=dict(type="path"),
    )


class KindCommandError(Exception):
    """A kind command exited non-zero; carries the rc, output and argv to report."""

    def __init__(self, what: str, argv: list[str], rc: int, stdout: str, stderr: str) -> None:
        super().__init__(f"{what} failed (rc={rc}): {error_summary(stderr, stdout)}")
        self.argv, self.rc, self.stdout, self.stderr = argv, rc, stdout, stderr

    def details(self) -> dict[str, Any]:
        return dict(rc=self.rc, stdout=self.stdout, stderr=self.stderr, command=self.argv)


class KindCLI:
    """Runs kind with an argv list (never a shell string) and a C locale."""

    def __init__(self, module: AnsibleModule, binary: str) -> None:
        self.module = module
        self.binary = binary

    def run(self, what: str, *args: str, data: str | None = None, secret_output: bool = False) -> tuple[str, str]:
        argv = [self.binary, *args]
        rc, out, err = self.module.run_command(argv, data=data, binary_data=False, environ_update={"LC_ALL": "C"})
        if rc != 0:
            # `get kubeconfig` prints client keys on stdout: never put them in a result.
            raise KindCommandError(what, argv, rc, "" if secret_output else out, err)
        return out, err

    def require_supported_version(self) -> None:
        """Refuse a kind older than MIN_KIND_VERSION, whose CLI and messages the module does not know."""
        out, _err = self.run("kind version", "version")
        version = parse_version(out)
        if version is None:
            raise ModuleError(msg=f"kind: cannot tell the version of {self.binary} from `kind version`: {out.strip()!r}")
        if version < MIN_KIND_VERSION:
            raise ModuleError(
                msg=f"kind: {self.binary} is kind v{'.'.join(map(str, version))}; this module needs kind "
                    f"v{'.'.join(map(str, MIN_KIND_VERSION))} or later (v1alpha4 configs, --kubeconfig, --config -)",
                kind_version="v" + ".".join(map(str, version)))

    def clusters(self) -> list[str]:
        return parse_lines(self.run("kind get clusters", "get", "clusters")[0])

    def nodes(self, name: str) -> list[str]:
        return sorted(parse_lines(self.run("kind get nodes", "get", "nodes", "--name", name)[0]))

    def kubeconfig(self, name: str) -> dict:
        out, _err = self.run("kind get kubeconfig", "get", "kubeconfig", "--name", name, secret_output=True)
        return yaml.safe_load(out) or {}


class KindCluster:
    """One kind cluster, brought to the requested state."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.changed = False
        self.result: dict[str, Any] = {}
        # Every argument is checked before the environment is probed (kind on PATH, its version, clusters),
        # so bad input is reported as such on any machine.
        self._check_name_options()
        self.wait = self._wait()
        self._check_load_images()
        self.config = self._config()
        self.image = self.params["image"]
        self.kubeconfig_option = self.params["kubeconfig"]
        self.cli = KindCLI(module, self._binary())
        self.cli.require_supported_version()

    # ---- input -----------------------------------------------------------------------------------
    def _binary(self) -> str:
        kind = self.params["kind"]
        if os.sep in kind:
            if not (os.path.isfile(kind) and os.access(kind, os.X_OK)):
                raise ModuleError(msg=f"kind: {kind} does not exist or is not executable")
            return kind
        found = self.module.get_bin_path(kind)
        if not found:
            raise ModuleError(
                msg=f"kind: cannot find {kind!r} in PATH ({os.environ.get('PATH', '')}); install kind "
                    "(for example with the pronk8s.platform.kind role) or set the kind option to its path")
        return found

    def _config(self) -> dict | None:
        config = self.params["config"]
        if config is None:
            return None
        if isinstance(config, str):
            if not os.path.isabs(config):
                # A module's working directory is a temporary one: a relative path would mean nothing.
                raise ModuleError(msg=f"config: give the file as an absolute path on the managed host, got {config!r}")
            config = self._read_config_file(config)
        self._hide_config_secrets(config)
        errors = ConfigValidator().validate(config)
        if errors:
            raise ModuleError(msg="config: not a valid kind Cluster config: " + "; ".join(errors), errors=errors)
        return config

    def _read_config_file(self, path: str) -> Any:
        self._require_yaml()
        try:
            with open(path, encoding="utf-8") as handle:
                return yaml.safe_load(handle)
        except OSError as exc:
            raise ModuleError(msg=f"config: cannot read {path}: {exc.strerror}")
        except yaml.YAMLError as exc:
            raise ModuleError(msg=f"config: {path} is not valid YAML: {exc}")

    def _require_yaml(self) -> None:
        if not HAS_YAML:
            raise ModuleError(msg=missing_required_lib("PyYAML"), exception=YAML_IMPORT_ERROR)

    def _check_name_options(self) -> None:
        name, prefix = self.params["name"], self.params["generate_name"]
        if prefix is not None:
            if self.params["state"] == "absent":
                raise ModuleError(msg="generate_name: only with state=present (delete a cluster by its name)")
            if prefix and (err := name_error(prefix, "generate_name")):
                raise ModuleError(msg=err)
        elif name and (err := name_error(name)):
            raise ModuleError(msg=err)

    def _name(self, existing: list[str]) -> str:
        config_name = (self.config or {}).get("name")
        name, prefix = self.params["name"], self.params["generate_name"]
        if prefix is not None:
            return random_name(prefix, set(existing))
        if name and config_name and name != config_name:
            raise ModuleError(msg=f"name: {name!r} differs from config.name {config_name!r}; set one of them")
        name = name or config_name or "kind"
        if err := name_error(name):
            raise ModuleError(msg=err)
        return name

    def _hide_config_secrets(self, config: Any) -> None:
        """Keep patch texts (registry passwords in containerdConfigPatches, tokens) out of every output.

        The result shows the config only by its sha256; this also masks the patches where Ansible echoes the
        module's arguments (`invocation`, with -vvv).
        """
        for text in config_patch_texts(config):
            self.module.no_log_values.add(text)

    # ---- state -----------------------------------------------------------------------------------
    def record_path(self, name: str) -> str:
        return os.path.join(self.params["fingerprint_dir"] or cache_dir("kind"), f"{name}.json")

    def observe(self, name: str) -> dict[str, Any]:
        """What exists now: nodes, API endpoint and CA hash (from `kind get kubeconfig`), record."""
        self._require_yaml()
        kubeconfig = self.cli.kubeconfig(name)
        cluster = ((kubeconfig.get("clusters") or [{}])[0] or {}).get("cluster") or {}
        ca = cluster.get("certificate-authority-data") or ""
        return dict(nodes=self.cli.nodes(name), api_endpoint=cluster.get("server"),
                    ca_sha256=hashlib.sha256(ca.encode()).hexdigest(), record=Record.load(self.record_path(name)))

    def compare(self, name: str, seen: dict[str, Any]) -> str:
        """same / different / unknown, from the record when it belongs to this incarnation, else from nodes."""
        if seen["nodes"] != node_names(name, self.config):
            return "different"
        record = seen["record"]
        if record is None or record.ca_sha256 != seen["ca_sha256"]:
            return "unknown"
        return "same" if record.fingerprint == fingerprint(self.config, self.image) else "different"

    # ---- actions ---------------------------------------------------------------------------------
    def create(self, name: str) -> dict[str, Any]:
        argv = ["create", "cluster", "--name", name]
        data = None
        if self.config is not None:
            argv += ["--config", "-"]
            data = self._config_for_kind()
        if self.image:
            argv += ["--image", self.image]
        if self.wait:
            argv += ["--wait", self.wait]
        if self.kubeconfig_option:
            argv += ["--kubeconfig", self.kubeconfig_option]
        try:
            self.cli.run("kind create cluster", *argv, data=data)
        except KindCommandError as exc:
            raise ModuleError(msg=str(exc), cleanup=self._cleanup(name), **exc.details(), **self.result)
        seen = self.observe(name)
        Record(name=name, fingerprint=fingerprint(self.config, self.image), ca_sha256=seen["ca_sha256"],
               config=self.config or {}, image=self.image).save(self.record_path(name))
        return seen

    def _config_for_kind(self) -> str:
        # JSON is YAML: kind's decoder reads it, and no YAML library is needed to write it.
        return json.dumps(self.config, sort_keys=True)

    def _wait(self) -> str | None:
        try:
            return normalize_wait(self.params["wait"])
        except ValueError as exc:
            raise ModuleError(msg=str(exc))

    def _cleanup(self, name: str) -> dict[str, Any]:
        """Delete what a failed create left behind; report what was found and done."""
        try:
            found = name in self.cli.clusters()
        except KindCommandError as exc:
            return dict(found=None, deleted=False, error=str(exc))
        if not found:
            return dict(found=False, deleted=False)
        rc, _out, err = self.module.run_command(self._delete_argv(name), environ_update={"LC_ALL": "C"})
        return dict(found=True, deleted=rc == 0, rc=rc, stderr=err)

    def delete(self, name: str) -> None:
        argv = self._delete_argv(name)
        self.cli.run("kind delete cluster", *argv[1:])
        try:
            os.remove(self.record_path(name))
        except FileNotFoundError:
            pass

    def _delete_argv(self, name: str) -> list[str]:
        argv = [self.cli.binary, "delete", "cluster", "--name", name]
        if self.kubeconfig_option:
            argv += ["--kubeconfig", self.kubeconfig_option]
        return argv

    def ensure_kubeconfig(self, name: str) -> None:
        """With an explicit kubeconfig, make sure it holds the cluster's context."""
        path = self.kubeconfig_option
        if not path or self._has_context(path, f"kind-{name}"):
            return
        self.changed = True
        if not self.check_mode:
            self.cli.run("kind export kubeconfig", "export", "kubeconfig", "--name", name, "--kubeconfig", path)

    def _has_context(self, path: str, context: str) -> bool:
        self._require_yaml()
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
        except (OSError, yaml.YAMLError):
            return False
        return any(isinstance(c, dict) and c.get("name") == context for c in data.get("contexts") or [])

    def _check_load_images(self) -> None:
        for index, source in enumerate(self.params["load_images"]):
            if source.startswith("-"):
                raise ModuleError(msg=f"load_images[{index}]: {source!r} looks like a command-line flag; give an image "
                                  "name or the absolute path of an image archive (neither starts with '-')")
            if source.startswith(("./", "../", "~")) or source in (".", ".."):
                raise ModuleError(msg=f"load_images[{index}]: {source!r} looks like a relative path; give image "
                                  "archives as absolute paths (image names never start with '.' or '~')")

    def load(self, name: str) -> list[dict[str, Any]]:
        loaded = []
        for source in self.params["load_images"]:
            archive = source.startswith("/")
            entry = dict(source=source, type="image-archive" if archive else "docker-image", changed=True)
            if self.check_mode:
                # kind cannot tell beforehand whether a node holds the image: report the load.
                loaded.append(entry)
                continue
            if archive:
                # "--" ends kind's flags: the source is never read as one.
                self.cli.run("kind load image-archive", "load", "image-archive", "--name", name, "--", source)
            else:
                _out, err = self.cli.run("kind load docker-image", "load", "docker-image", "--name", name, "--", source)
                entry["changed"] = loaded_something(err)
            loaded.append(entry)
        self.changed |= any(entry["changed"] for entry in loaded)
        return loaded

    # ---- flow ------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        try:
            existing = self.cli.clusters()
            name = self._name(existing)
            self.result.update(name=name, context=f"kind-{name}",
                               kubeconfig=kubeconfig_path(self.kubeconfig_option, os.environ))
            if self.params["state"] == "absent":
                self.absent(name, name in existing)
            else:
                self.present(name, name in existing)
        except KindCommandError as exc:
            raise ModuleError(msg=str(exc), **exc.details(), **self.result)
        return dict(changed=self.changed, **self.result)

    def absent(self, name: str, exists: bool) -> None:
        before = dict(name=name, exists=exists, nodes=self.cli.nodes(name) if exists else [])
        if exists:
            self.changed = True
            if not self.check_mode:
                self.delete(name)
        self.result.update(api_endpoint=None, nodes=[],
                           diff=dict(before=before, after=dict(name=name, exists=False, nodes=[])))

    def present(self, name: str, exists: bool) -> None:
        wanted = fingerprint(self.config, self.image)
        # The config is shown by its sha256 only: it may hold registry credentials (containerdConfigPatches).
        after = dict(name=name, exists=True, nodes=node_names(name, self.config), fingerprint=wanted,
                     config_sha256=config_sha256(self.config), image=self.image)
        before: dict[str, Any] = dict(name=name, exists=False, nodes=[])
        match, seen, recreated = None, None, False
        if exists:
            seen = self.observe(name)
            match = self.compare(name, seen)
            record = seen["record"] if match != "unknown" else None
            before = dict(name=name, exists=True, nodes=seen["nodes"],
                          fingerprint=record.fingerprint if record else "unknown",
                          config_sha256=config_sha256(record.config) if record else "unknown",
                          image=record.image if record else "unknown")
            if match != "same" and not self.params["recreate"]:
                # The diff shows existing vs requested; changed stays false because nothing is touched.
                self.module.warn(self._mismatch_warning(name, match))
        if not exists or (match != "same" and self.params["recreate"]):
            self.changed = True
            recreated = exists
            if not self.check_mode:
                if exists:
                    self.delete(name)
                seen = self.create(name)
            else:
                seen = None
        elif exists:
            self.ensure_kubeconfig(name)
        images = self.load(name) if (seen is not None or self.check_mode) else []
        self.result.update(
            api_endpoint=seen["api_endpoint"] if seen else None,
            nodes=seen["nodes"] if seen else after["nodes"],
            fingerprint=wanted, config_match=match, recreated=recreated, images=images,
            diff=dict(before=before, after=after))

    @staticmethod
    def _mismatch_warning(name: str, match: str) -> str:
        if match == "different":
            return (f"kind cluster {name!r} exists with a different config (see the diff); nothing was changed. "
                    "Set recreate=true to replace it.")
        return (f"kind cluster {name!r} exists but its config cannot be verified: it was not created by this module, "
                "or its record under fingerprint_dir is missing or older than the cluster. Its nodes match the "
                "request; nothing was changed. Set recreate=true to replace it with a recorded one.")


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("name", "generate_name")],
        supports_check_mode=True,
    )
    exit_with(module, lambda: KindCluster(module).run())


if __name__ == "__main__":
    main()
