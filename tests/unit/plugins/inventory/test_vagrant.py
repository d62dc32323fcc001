"""Unit tests of the pronk8s.platform.vagrant inventory plugin, fed with real vagrant output.

The fixtures under fixtures/vagrant/ were captured from Vagrant 2.3.4 with the docker provider on
the test machine (see fixtures/vagrant/README.md). `subprocess.run` is replaced by a fake that
returns them, so these tests need no vagrant and assert the exact commands the plugin runs.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

COLLECTIONS = Path(os.environ.get("PRONK8S_COLLECTIONS", Path(__file__).resolve().parents[4] / ".cache" / "collections"))

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_AnsibleCollectionFinder(paths=[str(COLLECTIONS.resolve())])._install()

from ansible.inventory.data import InventoryData  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.plugins.loader import inventory_loader  # noqa: E402
from ansible_collections.pronk8s.platform.plugins.inventory import vagrant as vagrant_plugin  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "vagrant"
RUNNING = ["web-1", "db_primary", "Cache.Local", "odd name", "edge,1"]
VAGRANT_SSH_ARGS = ("-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o PasswordAuthentication=no "
                    "-o IdentitiesOnly=yes -o LogLevel=FATAL")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


# -- parsing -------------------------------------------------------------------------------------

def test_machine_readable_records_keep_commas_in_targets_and_decode_data():
    records = vagrant_plugin.parse_machine_readable(fixture("status-mixed.out"))
    assert ("edge,1", "state", ["running"]) in records
    assert ("odd name", "metadata", ["provider", "docker"]) in records
    ui = [data for target, kind, data in records if kind == "ui"]
    assert ui[0][0] == "info"
    assert "edge,1                    running (docker)\n" in ui[0][1]
    assert "VM, run `vagrant status NAME`." in ui[0][1]


def test_machine_readable_skips_lines_that_are_not_records():
    text = "hello from a Vagrantfile\n\n" + fixture("status-single.out")
    assert [r[:2] for r in vagrant_plugin.parse_machine_readable(text)][:3] == [
        ("default", "metadata"), ("default", "provider-name"), ("default", "state")]


def test_status_lists_every_machine_in_order_with_state_and_provider():
    machines = vagrant_plugin.parse_status(fixture("status-mixed.out"))
    assert [(m["name"], m["state"], m["provider"]) for m in machines] == [
        ("web-1", "running", "docker"),
        ("web-2", "stopped", "docker"),
        ("db_primary", "running", "docker"),
        ("Cache.Local", "running", "docker"),
        ("odd name", "running", "docker"),
        ("worker", "not_created", "docker"),
        ("edge,1", "running", "docker"),
    ]
    assert machines[5]["state_human"] == "not created"


def test_status_of_a_fresh_folder_is_all_not_created():
    machines = vagrant_plugin.parse_status(fixture("status-notcreated.out"))
    assert len(machines) == 7
    assert {m["state"] for m in machines} == {"not_created"}


def test_status_without_machines_is_an_error():
    with pytest.raises(vagrant_plugin.VagrantError, match="listed no machine"):
        vagrant_plugin.parse_status(fixture("error-no-vagrantfile.out"))


def test_error_exit_message_is_decoded():
    message = vagrant_plugin.machine_readable_error(fixture("error-no-vagrantfile.out"))
    assert message.startswith("A Vagrant environment or target machine is required to run this\ncommand.")
    assert "Or,\nget an ID" in message


def test_ssh_config_blocks_by_host_with_quotes_removed():
    hosts = vagrant_plugin.parse_ssh_config(fixture("sshconfig-running.out"))
    assert list(hosts) == RUNNING
    assert ("IdentityFile", "/tmp/vg1/.vagrant/machines/odd name/docker/private_key") in hosts["odd name"]
    assert hosts["edge,1"][:3] == [("HostName", "127.0.0.1"), ("User", "vagrant"), ("Port", "2205")]


def test_connection_vars_from_vagrant_defaults():
    hosts = vagrant_plugin.parse_ssh_config(fixture("sshconfig-running.out"))
    assert vagrant_plugin.connection_vars(hosts["odd name"]) == {
        "ansible_host": "127.0.0.1",
        "ansible_port": 2203,
        "ansible_user": "vagrant",
        "ansible_ssh_private_key_file": "/tmp/vg1/.vagrant/machines/odd name/docker/private_key",
        "ansible_ssh_common_args": VAGRANT_SSH_ARGS,
    }


def test_connection_vars_quote_options_with_spaces_for_ansible():
    options = vagrant_plugin.parse_ssh_config(fixture("sshconfig-options.out"))["default"]
    hostvars = vagrant_plugin.connection_vars(options)
    assert hostvars["ansible_port"] == 2204
    # Ansible's ssh connection splits ssh_common_args with shlex: each option must come back whole.
    assert shlex.split(hostvars["ansible_ssh_common_args"]) == [
        "-o", "PasswordAuthentication=no", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=FATAL",
        "-o", "ForwardAgent=yes", "-o", "ForwardX11=yes",
        "-o", "ProxyCommand=ssh -W %h:%p -q jump@bastion.example",
    ]
    assert "ansible_ssh_common_args" not in vagrant_plugin.connection_vars(options, ssh_options=False)


def test_connection_vars_reject_a_bad_port():
    with pytest.raises(vagrant_plugin.VagrantError, match="non-numeric Port 'x'"):
        vagrant_plugin.connection_vars([("HostName", "h"), ("Port", "x")])


# -- the plugin, with vagrant faked ------------------------------------------------------------------

class FakeVagrant:
    """Stands in for subprocess: returns queued results and records each call."""

    TimeoutExpired = subprocess.TimeoutExpired

    def __init__(self) -> None:
        self.results: list = []
        self.calls: list[dict] = []

    def add(self, stdout: str = "", stderr: str = "", rc: int = 0) -> FakeVagrant:
        self.results.append((rc, stdout, stderr))
        return self

    def run(self, argv, cwd=None, env=None, capture_output=False, timeout=None, check=False):
        self.calls.append({"argv": argv, "cwd": cwd, "env": env, "timeout": timeout})
        if not self.results:
            raise AssertionError("unexpected vagrant call: %r" % (argv,))
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        rc, stdout, stderr = result
        return subprocess.CompletedProcess(argv, rc, stdout.encode(), stderr.encode())


class Harness:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp = tmp_path
        self.root = tmp_path / "project"
        self.root.mkdir()
        (self.root / "Vagrantfile").write_text("# real one not needed: vagrant is faked\n")
        self.binary = tmp_path / "bin" / "vagrant"
        self.binary.parent.mkdir()
        self.binary.write_text("#!/bin/sh\nexit 99\n")
        self.binary.chmod(0o755)
        self.vagrant = FakeVagrant()
        monkeypatch.setattr(vagrant_plugin, "subprocess", self.vagrant)
        self.warnings: list[str] = []
        self.plugin = None
        self.monkeypatch = monkeypatch

    def config(self, name: str = "vagrant.yml", **options) -> Path:
        data = {"plugin": "pronk8s.platform.vagrant", "vagrant_binary": str(self.binary), **options}
        path = self.root / name
        path.write_text(yaml.safe_dump(data))
        return path

    def parse(self, path: Path, cache: bool = True) -> InventoryData:
        plugin = inventory_loader.get("pronk8s.platform.vagrant")
        self.monkeypatch.setattr(plugin.display, "warning", lambda msg, *a, **k: self.warnings.append(msg))
        inventory = InventoryData()
        assert plugin.verify_file(str(path))
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        if hasattr(plugin, "_cache"):  # as InventoryManager does: set only when the cache is on
            plugin.update_cache_if_changed()
        self.plugin = plugin
        return inventory


@pytest.fixture
def harness(tmp_path, monkeypatch) -> Harness:
    return Harness(tmp_path, monkeypatch)


def hostvars(inventory: InventoryData, host: str) -> dict:
    return dict(inventory.get_host(host).get_vars())


def members(inventory: InventoryData, group: str) -> list[str]:
    return [h.name for h in inventory.groups[group].get_hosts()]


def test_running_machines_become_hosts_from_two_vagrant_calls(harness):
    harness.vagrant.add(fixture("status-mixed.out")).add(fixture("sshconfig-running.out"))
    inventory = harness.parse(harness.config())

    assert [c["argv"] for c in harness.vagrant.calls] == [
        [str(harness.binary), "status", "--machine-readable"],
        [str(harness.binary), "ssh-config", *RUNNING],
    ]
    for call in harness.vagrant.calls:
        assert call["cwd"] == str(harness.root)
        assert call["env"]["LC_ALL"] == "C"
        assert call["env"]["VAGRANT_CWD"] == str(harness.root)
        assert call["timeout"] == 120
    assert sorted(inventory.hosts) == sorted(RUNNING)
    assert members(inventory, "vagrant") == RUNNING
    assert {k: v for k, v in hostvars(inventory, "edge,1").items() if k not in ("inventory_file", "inventory_dir")} == {
        "inventory_hostname": "edge,1",
        "inventory_hostname_short": "edge,1",
        "group_names": ["vagrant"],
        "ansible_host": "127.0.0.1",
        "ansible_port": 2205,
        "ansible_user": "vagrant",
        "ansible_ssh_private_key_file": "/tmp/vg1/.vagrant/machines/edge,1/docker/private_key",
        "ansible_ssh_common_args": VAGRANT_SSH_ARGS,
        "vagrant_machine": "edge,1",
        "vagrant_provider": "docker",
        "vagrant_state": "running",
    }
    assert [hostvars(inventory, h)["ansible_port"] for h in RUNNING] == [2222, 2201, 2202, 2203, 2205]
    assert harness.warnings == [
        "pronk8s.platform.vagrant: 2 Vagrant machine(s) not running, not added as hosts: "
        "web-2 (stopped), worker (not_created)"]


def test_name_patterns_keyed_groups_and_constructed_options(harness):
    harness.vagrant.add(fixture("status-mixed.out")).add(fixture("sshconfig-running.out"))
    inventory = harness.parse(harness.config(
        group="lab",
        name_groups={"web": "web-*", "data": ["db_*", "Cache.*"], "nomatch": "zzz*"},
        keyed_groups=[{"key": "vagrant_provider", "prefix": "provider"}],
        groups={"odd": "' ' in inventory_hostname or ',' in inventory_hostname"},
        compose={"ansible_python_interpreter": "'/usr/bin/python3'", "ssh_target": "ansible_host ~ ':' ~ ansible_port"},
    ))
    assert members(inventory, "lab") == RUNNING
    assert "vagrant" not in inventory.groups
    assert members(inventory, "web") == ["web-1"]
    assert members(inventory, "data") == ["db_primary", "Cache.Local"]
    assert "nomatch" not in inventory.groups
    assert members(inventory, "provider_docker") == RUNNING
    assert members(inventory, "odd") == ["odd name", "edge,1"]
    assert hostvars(inventory, "web-1")["ansible_python_interpreter"] == "/usr/bin/python3"
    assert hostvars(inventory, "Cache.Local")["ssh_target"] == "127.0.0.1:2202"


def test_empty_group_option_adds_no_group(harness):
    harness.vagrant.add(fixture("status-single.out")).add(fixture("sshconfig-options.out"))
    inventory = harness.parse(harness.config(group=""))
    assert list(inventory.hosts) == ["default"]
    assert set(inventory.groups) == {"all", "ungrouped"}
    assert harness.warnings == []


def test_no_running_machine_means_no_ssh_config_call_and_a_warning(harness):
    harness.vagrant.add(fixture("status-notcreated.out"))
    inventory = harness.parse(harness.config())
    assert len(harness.vagrant.calls) == 1
    assert inventory.hosts == {}
    assert harness.warnings == [
        "pronk8s.platform.vagrant: 7 Vagrant machine(s) not running, not added as hosts: web-1 (not_created), "
        "web-2 (not_created), db_primary (not_created), Cache.Local (not_created), odd name (not_created), "
        "worker (not_created), edge,1 (not_created)"]


def test_ssh_options_false_leaves_ssh_args_alone(harness):
    harness.vagrant.add(fixture("status-single.out")).add(fixture("sshconfig-options.out"))
    inventory = harness.parse(harness.config(ssh_options=False))
    assert "ansible_ssh_common_args" not in hostvars(inventory, "default")


def test_root_environment_and_timeout_options(harness, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "Lab.rb").write_text("")
    harness.vagrant.add(fixture("status-single.out")).add(fixture("sshconfig-options.out"))
    harness.parse(harness.config(root="../elsewhere", timeout=7,
                                 environment={"VAGRANT_VAGRANTFILE": "Lab.rb", "PRONK8S_VAGRANT_MACHINES": "lab.yml",
                                              "LC_ALL": "de_DE.UTF-8"}))
    call = harness.vagrant.calls[0]
    assert call["cwd"] == str(elsewhere)
    assert call["timeout"] == 7
    assert call["env"]["VAGRANT_VAGRANTFILE"] == "Lab.rb"
    assert call["env"]["PRONK8S_VAGRANT_MACHINES"] == "lab.yml"
    assert call["env"]["LC_ALL"] == "C"
    assert call["env"]["VAGRANT_CWD"] == str(elsewhere)
    assert call["env"]["VAGRANT_CHECKPOINT_DISABLE"] == "1"


def test_inventory_cache_serves_the_second_run_without_vagrant(harness, tmp_path):
    options = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}
    path = harness.config(**options)
    harness.vagrant.add(fixture("status-mixed.out")).add(fixture("sshconfig-running.out"))
    first = harness.parse(path)
    assert len(harness.vagrant.calls) == 2
    assert list((tmp_path / "cache").iterdir()), "the cache plugin wrote nothing"

    second = harness.parse(path)  # a new plugin instance, as in a new ansible run
    assert len(harness.vagrant.calls) == 2
    assert sorted(second.hosts) == sorted(first.hosts)
    assert hostvars(second, "odd name")["ansible_port"] == 2203
    # Machines that are not running are still reported when the list comes from the cache.
    assert harness.warnings[-1] == harness.warnings[0]

    harness.vagrant.add(fixture("status-single.out")).add(fixture("sshconfig-options.out"))
    third = harness.parse(path, cache=False)  # --flush-cache / refresh_inventory
    assert len(harness.vagrant.calls) == 4
    assert list(third.hosts) == ["default"]
    assert list(harness.parse(path).hosts) == ["default"]
    assert len(harness.vagrant.calls) == 4


@pytest.mark.parametrize("xdg_cache_home, where", [
    ("xdg", "xdg/pronk8s/inventory"),
    (None, "home/.cache/pronk8s/inventory"),
])
def test_a_file_cache_defaults_to_the_xdg_cache_directory(harness, tmp_path, monkeypatch, xdg_cache_home, where):
    for variable in ("ANSIBLE_CACHE_PLUGIN_CONNECTION", "ANSIBLE_INVENTORY_CACHE_CONNECTION"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg_cache_home is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / xdg_cache_home))
    path = harness.config(cache=True, cache_plugin="ansible.builtin.jsonfile")
    harness.vagrant.add(fixture("status-mixed.out")).add(fixture("sshconfig-running.out"))
    first = harness.parse(path)
    assert list((tmp_path / where).iterdir()), "the cache plugin wrote nothing there"
    assert sorted(harness.parse(path).hosts) == sorted(first.hosts)
    assert len(harness.vagrant.calls) == 2  # the second run was served from the default place


def test_a_memory_cache_gets_no_connection(harness):
    harness.vagrant.add(fixture("status-mixed.out")).add(fixture("sshconfig-running.out"))
    harness.parse(harness.config(cache=True))  # the default cache plugin, ansible.builtin.memory
    assert harness.plugin.get_option("cache_connection") is None


def test_verify_file_wants_a_vagrant_yml(harness):
    plugin = inventory_loader.get("pronk8s.platform.vagrant")
    assert plugin.verify_file(str(harness.config("vagrant.yaml")))
    assert plugin.verify_file(str(harness.config("lab.vagrant.yml")))
    assert not plugin.verify_file(str(harness.config("hosts.yml")))
    assert not plugin.verify_file(str(harness.root / "missing.vagrant.yml"))


# -- errors --------------------------------------------------------------------------------------------

def parse_error(harness: Harness, path: Path) -> str:
    with pytest.raises(vagrant_plugin.AnsibleParserError) as info:
        harness.parse(path)
    return str(info.value)


def test_error_when_vagrant_is_missing(harness):
    path = harness.config(vagrant_binary="vagrant", environment={"PATH": str(harness.tmp / "empty")})
    message = parse_error(harness, path)
    assert message.startswith("pronk8s.platform.vagrant: the vagrant command 'vagrant' was not found (PATH=")
    assert "install Vagrant or set vagrant_binary" in message
    assert harness.vagrant.calls == []


def test_error_when_the_folder_has_no_vagrantfile(harness):
    (harness.root / "Vagrantfile").unlink()
    message = parse_error(harness, harness.config())
    assert message == ("pronk8s.platform.vagrant: no Vagrantfile or vagrantfile in %s: point the option root "
                       "at the folder that holds the Vagrantfile" % harness.root)
    assert harness.vagrant.calls == []


def test_error_when_root_does_not_exist(harness):
    message = parse_error(harness, harness.config(root="nowhere"))
    assert message == "pronk8s.platform.vagrant: the Vagrant folder %s does not exist (option root)" % (harness.root / "nowhere")


def test_error_shows_vagrant_stderr(harness):
    harness.vagrant.add(stderr=fixture("error-bad-machines.err"), rc=1)
    message = parse_error(harness, harness.config())
    assert message.startswith("pronk8s.platform.vagrant: `vagrant status --machine-readable` failed in %s (rc=1): "
                              "Vagrant failed to initialize at a very early stage:" % harness.root)
    assert 'cpus must be a positive integer, got "two"' in message


def test_error_shows_the_error_exit_record_when_stderr_is_empty(harness):
    harness.vagrant.add(stdout=fixture("error-no-vagrantfile.out"), rc=1)
    message = parse_error(harness, harness.config())
    assert "(rc=1): A Vagrant environment or target machine is required to run this\ncommand." in message


@pytest.mark.parametrize("stderr_fixture", ["error-sshconfig-stopped.err", "error-sshconfig-unknown.err"])
def test_error_when_ssh_config_fails_between_the_two_calls(harness, stderr_fixture):
    harness.vagrant.add(fixture("status-mixed.out")).add(stderr=fixture(stderr_fixture), rc=1)
    message = parse_error(harness, harness.config())
    assert "`vagrant ssh-config web-1 db_primary Cache.Local 'odd name' edge,1` failed" in message
    assert fixture(stderr_fixture).strip() in message


def test_error_when_ssh_config_misses_a_machine(harness):
    partial = fixture("sshconfig-running.out").split("\n\n")[0]
    harness.vagrant.add(fixture("status-mixed.out")).add(partial)
    assert "printed no Host block for machine 'db_primary'" in parse_error(harness, harness.config())


def test_error_on_timeout(harness):
    harness.vagrant.results.append(subprocess.TimeoutExpired(["vagrant"], 3))
    message = parse_error(harness, harness.config(timeout=3))
    assert message.endswith("`vagrant status --machine-readable` in %s did not finish within 3 s (option timeout)" % harness.root)


def test_error_on_a_bad_name_groups_entry(harness):
    harness.vagrant.add(fixture("status-single.out")).add(fixture("sshconfig-options.out"))
    message = parse_error(harness, harness.config(name_groups={"web": {"not": "a pattern"}}))
    assert "name_groups.web must be a pattern or a list of patterns" in message


def test_documentation_parses():
    doc = yaml.safe_load(vagrant_plugin.DOCUMENTATION)
    assert doc["name"] == "vagrant"
    examples = [e for e in vagrant_plugin.EXAMPLES.split("\n---\n") if e.strip()]
    assert len(examples) == 3
    for example in examples:
        data = yaml.safe_load(example)
        assert data["plugin"] == "pronk8s.platform.vagrant"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_machine_names_that_look_like_options_are_refused(harness):
    # A machine named "--machine-readable" would reach `vagrant ssh-config` as an option (and bin/vagrant
    # reads such options anywhere in its arguments, so "--" cannot protect it): refused before that call.
    status = fixture("status-single.out").replace(",default,", ",--machine-readable,")
    harness.vagrant.add(status)
    with pytest.raises(vagrant_plugin.AnsibleParserError) as info:
        harness.parse(harness.config())
    assert "machine name(s) '--machine-readable' start with '-' and would be read as vagrant options" in str(info.value)
    assert [c["argv"][1] for c in harness.vagrant.calls] == ["status"]
