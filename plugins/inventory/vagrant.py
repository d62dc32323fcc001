# -*- coding: utf-8 -*-
# Copyright (c) pronk8s developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: vagrant
short_description: Vagrant machines as inventory hosts
version_added: 1.0.0
author:
  - pronk8s developers (@pronk8s)
description:
  - Reads the machines of one Vagrant project (the folder holding a C(Vagrantfile)) with
    C(vagrant status --machine-readable), then the SSH connection details of the running ones
    with one C(vagrant ssh-config) call.
  - Every machine in a state listed in O(running_states) becomes a host named after the machine,
    with C(ansible_host), C(ansible_port), C(ansible_user), C(ansible_ssh_private_key_file) and
    C(ansible_ssh_common_args) (the other SSH options Vagrant prints, such as C(IdentitiesOnly) or
    C(ProxyCommand)) set from Vagrant's own SSH configuration. The other machines are named in a warning.
  - Each host also gets C(vagrant_machine), C(vagrant_provider) and C(vagrant_state), usable in
    O(compose), O(groups) and O(keyed_groups).
  - Hosts are grouped in O(group), in the groups of O(name_groups) whose patterns match their
    name, and by the constructed options O(groups) and O(keyed_groups).
  - Vagrant is run with C(LC_ALL=C), in O(root), with C(VAGRANT_CWD) set to O(root).
  - The configuration file must be a YAML file whose name ends with C(vagrant.yml) or C(vagrant.yaml).
requirements:
  - The C(vagrant) command line tool on the controller.
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
notes:
  - "Each call of C(vagrant) takes one to two seconds (Ruby start-up); enable O(cache) to reuse
    the machine list between runs. A cached inventory can be stale after C(vagrant up) or C(vagrant halt);
    C(--flush-cache) reads it again."
  - C(Include) lines of Vagrant's SSH configuration (C(config.ssh.config)) cannot be passed on the
    command line and are left out of C(ansible_ssh_common_args).
seealso:
  - name: Vagrant machine-readable output
    description: The format C(vagrant status --machine-readable) prints.
    link: https://developer.hashicorp.com/vagrant/docs/cli/machine-readable
  - name: vagrant ssh-config
    description: The command that prints each machine's SSH connection details.
    link: https://developer.hashicorp.com/vagrant/docs/cli/ssh_config
options:
  plugin:
    description:
      - The name of this plugin; it must be V(pronk8s.platform.vagrant) for the file to be read by it.
    type: str
    required: true
    choices:
      - pronk8s.platform.vagrant
  root:
    description:
      - The Vagrant project folder, the one that holds the C(Vagrantfile).
      - A relative path is relative to the folder of this configuration file.
      - Defaults to the folder of this configuration file.
      - C(~) is expanded.
    type: str
  vagrant_binary:
    description:
      - The C(vagrant) executable, a name looked up in E(PATH) or a path.
    type: str
    default: vagrant
    env:
      - name: PRONK8S_VAGRANT_BINARY
  environment:
    description:
      - Extra environment variables for C(vagrant), for example E(VAGRANT_VAGRANTFILE) or the
        variables a C(Vagrantfile) reads (E(PRONK8S_VAGRANT_MACHINES) for the collection's own).
      - E(LC_ALL) and E(VAGRANT_CWD) are always set by the plugin. E(VAGRANT_CHECKPOINT_DISABLE)
        defaults to V(1) (no version check over the network) unless set here or in the environment.
    type: dict
    default: {}
  timeout:
    description:
      - Seconds each C(vagrant) command may take before the plugin gives up.
    type: int
    default: 120
  running_states:
    description:
      - The machine states (the C(state) field of C(vagrant status --machine-readable)) whose
        machines become hosts. Machines in other states (V(not_created), V(stopped), V(poweroff),
        V(shutoff), V(saved), V(aborted)...) are only named in a warning.
    type: list
    elements: str
    default:
      - running
  group:
    description:
      - A group that holds every host of this source. An empty string adds none.
    type: str
    default: vagrant
  name_groups:
    description:
      - Groups by machine name. Each key is a group name, each value a shell-style pattern
        (V(worker-*), V(cp-[0-9])) or a list of them, matched case-sensitively against the machine name.
      - A host joins every group with a matching pattern.
    type: dict
    default: {}
  ssh_options:
    description:
      - Whether to pass the SSH options Vagrant prints (everything but C(HostName), C(Port), C(User)
        and the first C(IdentityFile)) to Ansible as C(ansible_ssh_common_args).
    type: bool
    default: true
  cache_connection:
    description:
      - Cache connection data or path, read cache plugin documentation for specifics.
      - For a cache plugin that keeps files (V(ansible.builtin.jsonfile), C(community.general.yaml),
        C(community.general.pickle)), defaults to C($XDG_CACHE_HOME/pronk8s/inventory), or
        C(~/.cache/pronk8s/inventory) when E(XDG_CACHE_HOME) is unset or not an absolute path.
        Any other cache plugin gets no default.
"""

EXAMPLES = r"""
---
# inventories/vagrant/vagrant.yml, beside the Vagrantfile: every running machine, in group vagrant.
plugin: pronk8s.platform.vagrant

---
# A Vagrantfile elsewhere, groups by name pattern and by provider, cached for an hour.
plugin: pronk8s.platform.vagrant
root: ../../vagrant
name_groups:
  control_plane: cp-*
  workers:
    - worker-*
    - node-[0-9]*
keyed_groups:
  - key: vagrant_provider
    prefix: provider
cache: true
cache_plugin: ansible.builtin.jsonfile  # files under $XDG_CACHE_HOME/pronk8s/inventory (cache_connection sets another place)
cache_timeout: 3600

---
# The collection's Vagrantfile with another machines file; the python interpreter set for all.
plugin: pronk8s.platform.vagrant
root: /srv/pronk8s/inventories/vagrant
environment:
  PRONK8S_VAGRANT_MACHINES: /srv/pronk8s/lab-machines.yml
compose:
  ansible_python_interpreter: "'/usr/bin/python3'"
"""

import fnmatch
import os
import shlex
import shutil
import subprocess
from typing import Any

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.cache import BaseFileCacheModule
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.plugins.loader import cache_loader
from ansible_collections.pronk8s.platform.plugins.module_utils._xdg import cache_dir

# Escapes of Vagrant's machine-readable format (lib/vagrant/ui.rb, MachineReadable#machine).
_MACHINE_READABLE_ESCAPES = (("%!(VAGRANT_COMMA)", ","), ("\\n", "\n"), ("\\r", "\r"))

# Record types this plugin reads, with their number of data fields.
_RECORD_DATA_FIELDS = {
    "metadata": 2,  # metadata,provider,NAME
    "provider-name": 1,
    "state": 1,
    "state-human-short": 1,
    "state-human-long": 1,
    "error-exit": 2,  # error-exit,CLASS,MESSAGE
    "ui": 2,  # ui,LEVEL,MESSAGE
}


class VagrantError(Exception):
    """A vagrant command failed or its output could not be understood."""


def _unescape(value: str) -> str:
    for escaped, plain in _MACHINE_READABLE_ESCAPES:
        value = value.replace(escaped, plain)
    return value


def _split_record(rest: str) -> tuple[str, str, list[str]] | None:
    """``TARGET,TYPE,DATA...`` into its parts.

    Vagrant escapes commas in the data fields but not in the target (a machine called
    ``edge,1`` gives ``edge,1,state,running``), so records of a known type are split from the
    right by their known number of data fields.
    """
    fields = rest.split(",")
    if len(fields) < 2:
        return None
    if _RECORD_DATA_FIELDS.get(fields[1]) == len(fields) - 2:
        return fields[0], fields[1], fields[2:]
    for kind, count in _RECORD_DATA_FIELDS.items():
        parts = rest.rsplit(",", count + 1)
        if len(parts) == count + 2 and parts[1] == kind:
            return parts[0], kind, parts[2:]
    return fields[0], fields[1], fields[2:]


def parse_machine_readable(text: str) -> list[tuple[str, str, list[str]]]:
    """Split ``--machine-readable`` output into ``(target, type, [data, ...])`` records.

    Lines that are not records (a Vagrantfile may print to stdout) are skipped.
    """
    records = []
    for line in text.splitlines():
        timestamp, sep, rest = line.partition(",")
        if not sep or not timestamp.isdigit():
            continue
        record = _split_record(rest)
        if record is None:
            continue
        target, kind, data = record
        records.append((target, kind, [_unescape(field) for field in data]))
    return records


def machine_readable_error(text: str) -> str | None:
    """The message of an ``error-exit`` record, or None."""
    for target, kind, data in parse_machine_readable(text):
        if kind == "error-exit" and data:
            return data[-1].strip()
    return None


def parse_status(text: str) -> list[dict[str, Any]]:
    """Machines of ``vagrant status --machine-readable``, in Vagrant's order.

    Returns a list of dicts with ``name``, ``provider``, ``state`` and ``state_human``.
    """
    machines: dict[str, dict[str, Any]] = {}
    for target, kind, data in parse_machine_readable(text):
        if not target or not data:
            continue
        machine = machines.setdefault(target, {"name": target, "provider": None, "state": None, "state_human": None})
        if kind == "metadata" and len(data) >= 2 and data[0] == "provider":
            machine["provider"] = data[1]
        elif kind == "provider-name":
            machine["provider"] = data[0]
        elif kind == "state":
            machine["state"] = data[0]
        elif kind == "state-human-short":
            machine["state_human"] = data[0]
    if not machines:
        raise VagrantError("`vagrant status --machine-readable` listed no machine")
    for machine in machines.values():
        if machine["state"] is None:
            raise VagrantError("`vagrant status --machine-readable` gave no state for machine %r" % machine["name"])
    return list(machines.values())


def check_machine_names(machines: list[dict[str, Any]]) -> None:
    """Refuse machine names that start with '-': on `vagrant ssh-config NAME` they would be read as options.

    `--` would not help: bin/vagrant looks for --machine-readable, --debug, --help... anywhere in its arguments.
    """
    flags = [m["name"] for m in machines if m["name"].startswith("-")]
    if flags:
        raise VagrantError("machine name(s) %s start with '-' and would be read as vagrant options "
                           "(`vagrant ssh-config %s`); rename them in the Vagrantfile"
                           % (", ".join(repr(name) for name in flags), flags[0]))


def _ssh_config_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_ssh_config(text: str) -> dict[str, list[tuple[str, str]]]:
    """``Host`` blocks of ``vagrant ssh-config`` as ``{host: [(key, value), ...]}``.

    Keys keep Vagrant's spelling; values lose their quotes. Order and repeated keys
    (several ``IdentityFile``) are kept.
    """
    hosts: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        key = parts[0]
        value = _ssh_config_value(parts[1]) if len(parts) > 1 else ""
        if key.lower() == "host":
            current = hosts.setdefault(value, [])
        elif current is None:
            raise VagrantError("`vagrant ssh-config` printed %r before any Host line" % line)
        else:
            current.append((key, value))
    return hosts


def connection_vars(options: list[tuple[str, str]], ssh_options: bool = True) -> dict[str, Any]:
    """Inventory variables for one host from its ``vagrant ssh-config`` options."""
    hostvars: dict[str, Any] = {}
    extra: list[str] = []
    for key, value in options:
        lower = key.lower()
        if lower == "hostname":
            hostvars["ansible_host"] = value
        elif lower == "port":
            try:
                hostvars["ansible_port"] = int(value)
            except ValueError:
                raise VagrantError("`vagrant ssh-config` gave a non-numeric Port %r" % value)
        elif lower == "user":
            hostvars["ansible_user"] = value
        elif lower == "identityfile" and "ansible_ssh_private_key_file" not in hostvars:
            hostvars["ansible_ssh_private_key_file"] = value
        elif lower != "include":
            extra.append("%s=%s" % (key, value))
    if "ansible_host" not in hostvars:
        raise VagrantError("`vagrant ssh-config` gave no HostName")
    if ssh_options and extra:
        hostvars["ansible_ssh_common_args"] = " ".join("-o " + shlex.quote(option) for option in extra)
    return hostvars


def _keeps_files(cache_plugin: str) -> bool:
    try:
        cls = cache_loader.get(cache_plugin, class_only=True)
    except AnsibleError:
        return False  # an unknown plugin: Ansible names it when it loads the cache
    cls = getattr(cls, "__wrapped__", cls)  # ansible-core 2.19 wraps persistent cache plugins in a proxy
    return isinstance(cls, type) and issubclass(cls, BaseFileCacheModule)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "pronk8s.platform.vagrant"

    def verify_file(self, path: str) -> bool:
        if not super(InventoryModule, self).verify_file(path):
            return False
        if path.endswith(("vagrant.yml", "vagrant.yaml")):
            return True
        self.display.vvv("Skipping %s: pronk8s.platform.vagrant reads only files ending in vagrant.yml or vagrant.yaml" % path)
        return False

    def set_options(self, task_keys: Any = None, var_options: Any = None, direct: Any = None) -> None:
        super(InventoryModule, self).set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        # Called by _read_config_data just before it loads the cache plugin: a file cache with no place set
        # gets the collection's XDG cache directory instead of failing for want of one.
        if (self.get_option("cache") and self.get_option("cache_connection") is None
                and _keeps_files(self.get_option("cache_plugin"))):
            self.set_option("cache_connection", cache_dir("inventory"))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        machines = None
        if use_cache:
            try:
                machines = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if machines is None:
            try:
                machines = self._discover(path)
            except VagrantError as exc:
                raise AnsibleParserError("pronk8s.platform.vagrant: %s" % to_native(exc))
        if update_cache:
            self._cache[cache_key] = machines
        self._populate(machines)

    # -- vagrant ------------------------------------------------------------------------------

    def _root(self, path: str) -> str:
        config_dir = os.path.dirname(os.path.abspath(path))
        root = self.get_option("root")
        if not root:
            return config_dir
        return os.path.normpath(os.path.join(config_dir, os.path.expanduser(root)))

    def _environment(self, root: str) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("VAGRANT_CHECKPOINT_DISABLE", "1")
        env.update({str(k): to_text(v) for k, v in (self.get_option("environment") or {}).items()})
        env.update({"LC_ALL": "C", "LANG": "C", "VAGRANT_CWD": root})
        return env

    def _check_root(self, root: str, env: dict[str, str]) -> None:
        if not os.path.isdir(root):
            raise VagrantError("the Vagrant folder %s does not exist (option root)" % root)
        names = [env["VAGRANT_VAGRANTFILE"]] if env.get("VAGRANT_VAGRANTFILE") else ["Vagrantfile", "vagrantfile"]
        if not any(os.path.isfile(os.path.join(root, name)) for name in names):
            raise VagrantError(
                "no %s in %s: point the option root at the folder that holds the Vagrantfile"
                % (" or ".join(names), root))

    def _vagrant(self, argv: list[str], root: str, env: dict[str, str]) -> str:
        binary = self.get_option("vagrant_binary")
        executable = shutil.which(binary, path=env.get("PATH"))
        if executable is None:
            raise VagrantError(
                "the vagrant command %r was not found (PATH=%s); install Vagrant or set vagrant_binary"
                % (binary, env.get("PATH", "")))
        command = [executable] + argv
        shown = " ".join(shlex.quote(arg) for arg in ["vagrant"] + argv)
        timeout = self.get_option("timeout")
        try:
            proc = subprocess.run(command, cwd=root, env=env, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise VagrantError("`%s` in %s did not finish within %d s (option timeout)" % (shown, root, timeout))
        except OSError as exc:
            raise VagrantError("could not run `%s` in %s: %s" % (shown, root, to_native(exc)))
        stdout = to_text(proc.stdout, errors="surrogate_or_replace")
        if proc.returncode != 0:
            stderr = to_text(proc.stderr, errors="surrogate_or_replace").strip()
            detail = stderr or machine_readable_error(stdout) or stdout.strip() or "no output"
            raise VagrantError("`%s` failed in %s (rc=%d): %s" % (shown, root, proc.returncode, detail))
        return stdout

    def _discover(self, path: str) -> list[dict[str, Any]]:
        """Machines with state and, for running ones, inventory variables (cacheable data)."""
        root = self._root(path)
        env = self._environment(root)
        self._check_root(root, env)
        machines = parse_status(self._vagrant(["status", "--machine-readable"], root, env))
        check_machine_names(machines)
        running_states = self.get_option("running_states")
        running = [m["name"] for m in machines if m["state"] in running_states]
        if running:
            configs = parse_ssh_config(self._vagrant(["ssh-config"] + running, root, env))
            for machine in machines:
                if machine["name"] not in running:
                    continue
                if machine["name"] not in configs:
                    raise VagrantError("`vagrant ssh-config` printed no Host block for machine %r" % machine["name"])
                try:
                    machine["hostvars"] = connection_vars(configs[machine["name"]], self.get_option("ssh_options"))
                except VagrantError as exc:
                    raise VagrantError("machine %r: %s" % (machine["name"], exc))
        return machines

    # -- inventory ------------------------------------------------------------------------------

    def _name_groups(self) -> list[tuple[str, list[str]]]:
        groups = []
        for group, patterns in (self.get_option("name_groups") or {}).items():
            if isinstance(patterns, str):
                patterns = [patterns]
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
                raise AnsibleParserError(
                    "pronk8s.platform.vagrant: name_groups.%s must be a pattern or a list of patterns, got %r" % (group, patterns))
            groups.append((group, patterns))
        return groups

    def _populate(self, machines: list[dict[str, Any]]) -> None:
        strict = self.get_option("strict")
        name_groups = self._name_groups()
        group = self.get_option("group")
        if group:
            group = self.inventory.add_group(group)
        skipped = []
        for machine in machines:
            if "hostvars" not in machine:
                skipped.append("%s (%s)" % (machine["name"], machine["state"]))
                continue
            host = self.inventory.add_host(machine["name"], group=group or None)
            hostvars = dict(machine["hostvars"])
            hostvars.update({"vagrant_machine": machine["name"], "vagrant_provider": machine["provider"],
                             "vagrant_state": machine["state"]})
            for key, value in hostvars.items():
                self.inventory.set_variable(host, key, value)
            for name, patterns in name_groups:
                if any(fnmatch.fnmatchcase(machine["name"], pattern) for pattern in patterns):
                    self.inventory.add_child(self.inventory.add_group(name), host)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
        if skipped:
            self.display.warning(
                "pronk8s.platform.vagrant: %d Vagrant machine(s) not running, not added as hosts: %s"
                % (len(skipped), ", ".join(skipped)))
