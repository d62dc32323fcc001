"""Real test hosts for integration tests and benchmarks: SSH-reachable containers on the test network.

Used by tests/integration/conftest.py (as pytest fixtures) and by the scripts under benchmarks/.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_SH = ROOT / "tests" / "testbed" / "env.sh"


def _testbed_env() -> dict[str, str]:
    out = subprocess.run(
        ["bash", "-c", f"source {ENV_SH} && env -0"], check=True, capture_output=True
    ).stdout.decode()
    return dict(line.split("=", 1) for line in out.split("\0") if "=" in line)


@dataclass
class Testbed:
    env: dict[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.env["PRONK8S_" + name.upper()]
        except KeyError as exc:
            raise AttributeError(name) from exc


def load_testbed() -> Testbed:
    bed = Testbed(_testbed_env())
    subprocess.run(["docker", "network", "inspect", bed.network], check=True, capture_output=True)
    return bed


# Everything but SYS_RESOURCE (--privileged and ALL fail on these hosts) and SYS_TIME (the clock is the host's).
CAPABILITIES = (
    "AUDIT_CONTROL AUDIT_WRITE BLOCK_SUSPEND CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK "
    "IPC_OWNER KILL LEASE LINUX_IMMUTABLE MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE "
    "NET_BROADCAST NET_RAW SETFCAP SETGID SETPCAP SETUID SYSLOG SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE "
    "SYS_NICE SYS_PACCT SYS_PTRACE SYS_RAWIO SYS_TTY_CONFIG WAKE_ALARM"
).split()


@dataclass
class Host:
    name: str
    address: str
    arch: str
    container: str

    def exec(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "exec", self.container, *argv], check=check, capture_output=True, text=True)


@dataclass
class Fleet:
    testbed: Testbed
    tmp: Path
    hosts: list[Host] = field(default_factory=list)

    def start(self, kind: str = "sshd", count: int = 1, prefix: str = "t", extra_args: list[str] | None = None) -> list[Host]:
        """Start `count` containers of `kind` (sshd, systemd, pi) and wait until SSH answers."""
        image = {"sshd": self.testbed.image_sshd, "systemd": self.testbed.image_systemd, "pi": self.testbed.image_pi}[kind]
        pubkey = self.testbed.ssh_key + ".pub"
        started = []
        for i in range(count):
            name = f"pronk8s-{prefix}-{kind}-{i}-{uuid.uuid4().hex[:6]}"
            argv = ["docker", "run", "-d", "--name", name, "--hostname", f"{prefix}-{kind}-{i}",
                    "--network", self.testbed.network, "--label", "pronk8s.testbed=pytest",
                    "-v", f"{pubkey}:/root/.ssh/authorized_keys:ro"]
            if kind == "systemd":
                argv += ["--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run",
                         "--tmpfs", "/run/lock", "--security-opt", "seccomp=unconfined",
                         "--security-opt", "apparmor=unconfined", "--stop-signal", "SIGRTMIN+3"]
                argv += [arg for cap in CAPABILITIES for arg in ("--cap-add", cap)]
            argv += (extra_args or []) + [image]
            subprocess.run(argv, check=True, capture_output=True)
            address = subprocess.run(
                ["docker", "inspect", "-f", f"{{{{(index .NetworkSettings.Networks \"{self.testbed.network}\").IPAddress}}}}", name],
                check=True, capture_output=True, text=True).stdout.strip()
            host = Host(name=f"{prefix}-{kind}-{i}", address=address, arch="arm64" if kind == "pi" else "amd64", container=name)
            self.hosts.append(host)
            started.append(host)
        for host in started:
            self._wait_ssh(host)
        return started

    def _wait_ssh(self, host: Host, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            probe = subprocess.run(
                ["ssh", *self.ssh_options(), f"root@{host.address}", "true"], capture_output=True, check=False)
            if probe.returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError(f"{host.name} ({host.address}) did not answer SSH within {timeout} s")

    def ssh_options(self) -> list[str]:
        return ["-i", self.testbed.ssh_key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5"]

    def inventory(self, hosts: list[Host] | None = None, group_vars: dict | None = None) -> Path:
        """Write a YAML inventory for `hosts` (default: all) and return its path."""
        selected = hosts if hosts is not None else self.hosts
        data = {"all": {
            "vars": {"ansible_user": "root", "ansible_ssh_private_key_file": self.testbed.ssh_key,
                     "ansible_ssh_common_args": " ".join(self.ssh_options()[2:]),
                     "ansible_python_interpreter": "/usr/bin/python3", **(group_vars or {})},
            "hosts": {h.name: {"ansible_host": h.address, "container": h.container} for h in selected},
        }}
        path = self.tmp / f"inventory-{uuid.uuid4().hex[:6]}.json"
        path.write_text(json.dumps(data))
        return path

    def cleanup(self) -> None:
        if self.hosts:
            subprocess.run(["docker", "rm", "-f", *[h.container for h in self.hosts]], capture_output=True, check=False)
            self.hosts.clear()


@dataclass
class AnsibleResult:
    rc: int
    stdout: str
    stderr: str
    results: list[dict]

    def task(self, name: str, host: str | None = None) -> dict:
        """The result of the task called `name` (for `host`, or the first host)."""
        for entry in self.results:
            if (entry["task"] == name or entry["task"].endswith(" : " + name)) and (host is None or entry["host"] == host):
                return entry["result"]
        raise KeyError(f"no result for task {name!r} (host {host}); tasks: {sorted({e['task'] for e in self.results})}")


class Ansible:
    def __init__(self, testbed: Testbed, tmp: Path) -> None:
        self.env = {**os.environ, **testbed.env, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
                    "ANSIBLE_HOST_KEY_CHECKING": "false", "ANSIBLE_RETRY_FILES_ENABLED": "false",
                    "ANSIBLE_PIPELINING": "true", "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-local")}

    def playbook(self, playbook: Path | str, inventory: Path, *args: str, extra_vars: dict | None = None,
                 env: dict[str, str] | None = None) -> AnsibleResult:
        argv = ["ansible-playbook", "-i", str(inventory), str(playbook), *args]
        if extra_vars:
            argv += ["-e", json.dumps(extra_vars)]
        proc = subprocess.run(argv, capture_output=True, text=True, env={**self.env, **(env or {})}, cwd=ROOT, check=False)
        results = []
        try:
            doc = json.loads(proc.stdout)
            for play in doc.get("plays", []):
                for task in play["tasks"]:
                    for host, result in task["hosts"].items():
                        results.append({"task": task["task"]["name"], "host": host, "result": result})
        except json.JSONDecodeError:
            pass
        return AnsibleResult(proc.returncode, proc.stdout, proc.stderr, results)
