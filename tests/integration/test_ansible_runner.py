"""The collection's playbooks under ansible-runner, the engine AWX and Automation Controller use.

The test lays out a private_data_dir the way AWX does for a job (project/, inventory/, env/ with
envvars, settings and the machine credential as env/ssh_key, which runner loads into an ssh-agent),
then runs `ansible-runner run DIR -p pronk8s.platform.workstation` against two real sshd containers
in the `workstations` group. The playbook installs the REAL upstream kubectl v1.35.2 (amd64, checked
against the catalog's shipped pin) from an in-process mirror on the test network gateway. The second
run goes through a project playbook importing the collection's playbook by FQCN, the form an AWX job
template needs (it offers the project's own .yml files). Runner's artifacts (status, rc, job events)
are what the test reads: the first run is successful, the install task reported changed for both
hosts, and the second run changes nothing according to runner's stats.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KUBECTL_PATH = "dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl"
KUBECTL_SHA256 = "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
# The node play installs every tool in one batched engine call (roles/tools).
INSTALL_TASK = "Install verified, in one engine call, kubectl"


class RunnerJob:
    """A private_data_dir for ansible-runner and the artifacts of the jobs run from it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        for sub in ("project", "inventory", "env"):
            (base / sub).mkdir(parents=True, exist_ok=True)

    def write_project_playbook(self, name: str, imports: str) -> None:
        (self.base / "project" / name).write_text(json.dumps(
            [{"name": f"{imports} (from this project)", "ansible.builtin.import_playbook": imports}]))

    def write_inventory(self, inventory: dict) -> None:
        (self.base / "inventory" / "hosts.json").write_text(json.dumps(inventory))

    def write_env(self, envvars: dict[str, str], settings: dict, ssh_key: Path) -> None:
        env = self.base / "env"
        (env / "envvars").write_text(json.dumps(envvars))
        (env / "settings").write_text(json.dumps(settings))
        (env / "ssh_key").write_text(ssh_key.read_text())
        (env / "ssh_key").chmod(0o600)

    def run(self, playbook: str, ident: str) -> dict:
        proc = subprocess.run(
            ["ansible-runner", "run", str(self.base), "-p", playbook, "--ident", ident],
            capture_output=True, text=True, check=False, timeout=300)
        artifacts = self.base / "artifacts" / ident
        events = [json.loads(p.read_text()) for p in sorted(
            (artifacts / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-", 1)[0]))]
        return {
            "returncode": proc.returncode,
            "status": (artifacts / "status").read_text().strip(),
            "rc": int((artifacts / "rc").read_text().strip()),
            "stdout": (artifacts / "stdout").read_text(),
            "events": events,
            "stats": next(e["event_data"] for e in events if e["event"] == "playbook_on_stats"),
        }


def task_results(events: list[dict], task: str) -> dict[str, dict]:
    """Per host, the runner_on_* event data of the task called `task` (role prefixes allowed)."""
    found = {}
    for event in events:
        data = event.get("event_data", {})
        name = data.get("task", "")
        if event["event"].startswith("runner_on_") and (name == task or name.endswith(" : " + task)):
            found[data["host"]] = {"event": event["event"], **data.get("res", {})}
    return found


def changed_total(stats: dict) -> int:
    return sum((stats.get("changed") or {}).values())


def test_workstation_playbook_under_ansible_runner(testbed, hosts, mirror, tmp_path):
    real = Path(subprocess.run(["bash", str(ROOT / "tests/testbed/real_binaries.sh")], check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1])
    mirror.publish(KUBECTL_PATH, real / "kubectl")
    machines = hosts.start("sshd", 2, prefix="runner")

    job = RunnerJob(tmp_path / "job")
    # An AWX-style inventory: hosts in the `workstations` group, the job's variables as group
    # variables; no key file path, the credential comes from env/ssh_key through ssh-agent.
    job.write_inventory({
        "all": {"vars": {"ansible_user": "root", "ansible_python_interpreter": "/usr/bin/python3",
                         "ansible_ssh_common_args": " ".join(hosts.ssh_options()[2:])}},
        "workstations": {
            "hosts": {m.name: {"ansible_host": m.address} for m in machines},
            # kubectl named: the role default is the catalog's newest; the test bed has the real 1.35.2.
            "vars": {"workstation_docker": False, "workstation_tools": ["kubectl"], "kubectl_version": "1.35.2",
                     "pronk8s_artifact_source": "mirror", "pronk8s_artifact_mirror_url": mirror.url},
        },
    })
    job.write_env(
        envvars={"ANSIBLE_COLLECTIONS_PATH": testbed.env["ANSIBLE_COLLECTIONS_PATH"],
                 "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false", "ANSIBLE_PIPELINING": "true",
                 "ANSIBLE_HOST_KEY_CHECKING": "false", "ANSIBLE_RETRY_FILES_ENABLED": "false",
                 "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
                 "XDG_CACHE_HOME": str(tmp_path / "cache")},
        settings={"job_timeout": 280, "suppress_ansible_output": True},
        ssh_key=Path(testbed.ssh_key),
    )
    cold = job.run("pronk8s.platform.workstation", "cold")
    assert cold["status"] == "successful" and cold["rc"] == 0, cold["stdout"][-4000:]
    installs = task_results(cold["events"], INSTALL_TASK)
    assert set(installs) == {m.name for m in machines}, cold["stdout"][-4000:]
    for host, res in installs.items():
        assert res["event"] == "runner_on_ok" and res["changed"], (host, res)
        assert [item["sha256"] for item in res["results"]] == [KUBECTL_SHA256]
    assert not cold["stats"].get("failures") and not cold["stats"].get("dark")
    for machine in machines:
        assert "v1.35.2" in machine.exec("/usr/local/bin/kubectl", "version", "--client").stdout

    job.write_project_playbook("workstation.yml", "pronk8s.platform.workstation")
    warm = job.run("workstation.yml", "warm")
    assert warm["status"] == "successful" and warm["rc"] == 0, warm["stdout"][-4000:]
    assert changed_total(warm["stats"]) == 0, warm["stats"]
    assert set(warm["stats"]["ok"]) == {m.name for m in machines}
    rerun = task_results(warm["events"], INSTALL_TASK)
    assert set(rerun) == {m.name for m in machines} and not any(res["changed"] for res in rerun.values())
