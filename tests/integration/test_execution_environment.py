"""The execution environment (EE) definition makes a build context, and the collection's EE metadata works.

What runs for real: `ansible-galaxy collection build`, `ansible-builder create -f meta/ee/execution-environment.yml`
(the definition as shipped, in a copy of the layout its relative paths expect), the galaxy stage's install
of the collection tarball exactly as the generated Containerfile runs it, ansible-builder's own
introspect.py (the builder stage's step that reads meta/execution-environment.yml of every installed
collection), and a syntax check of the site playbook from the installed copy.

What cannot run here: `ansible-builder build` (no image registry for the base image) and the galaxy stage's
`ansible-galaxy collection install -r requirements.yml` (Galaxy is unreachable); the dependency
collections come from the test bed's offline cache instead, installed at the versions requirements.yml asks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EE = ROOT / "meta" / "ee" / "execution-environment.yml"


def run(argv: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd, check=False)
    assert proc.returncode == 0, f"{argv}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def requirement_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_builder_context_and_introspection(testbed, tmp_path):
    # The layout the definition's relative paths expect: meta/ee/, requirements.yml, .build/<tarball>.
    src = tmp_path / "src"
    (src / "meta" / "ee").mkdir(parents=True)
    shutil.copy(EE, src / "meta" / "ee" / EE.name)
    shutil.copy(ROOT / "requirements.yml", src / "requirements.yml")
    run(["ansible-galaxy", "collection", "build", "--output-path", str(src / ".build"), str(ROOT)])
    tarball = next((src / ".build").glob("pronk8s-platform-*.tar.gz"))

    context = tmp_path / "context"
    run(["ansible-builder", "create", "-f", str(src / "meta" / "ee" / EE.name), "-c", str(context)])
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists()).read_text()
    build = context / "_build"
    assert yaml.safe_load((build / "requirements.yml").read_text()) == yaml.safe_load((ROOT / "requirements.yml").read_text())
    assert (build / "collections" / tarball.name).read_bytes() == tarball.read_bytes()
    install = next(line for line in containerfile.splitlines() if "/build/collections/pronk8s-platform-" in line)
    assert install.startswith("RUN ansible-galaxy collection install")
    assert containerfile.index("-r requirements.yml") < containerfile.index(install), "dependencies first"

    # The galaxy stage: dependencies (offline cache here), then the collection as the Containerfile installs it.
    collections = tmp_path / "usr-share-ansible-collections"
    (collections / "ansible_collections").mkdir(parents=True)
    cache = Path(testbed.env["PRONK8S_COLLECTIONS"]) / "ansible_collections"
    for namespace in cache.iterdir():
        if namespace.name != "pronk8s":
            (collections / "ansible_collections" / namespace.name).symlink_to(namespace)
    env = {"ANSIBLE_COLLECTIONS_PATH": str(collections), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}
    argv = install.removeprefix("RUN ").replace("$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS ", "").split()
    argv = [str(collections) if a == "/usr/share/ansible/collections" else a for a in argv]
    argv[-1] = str(build / "collections" / tarball.name)
    run(argv, env=env)
    installed = collections / "ansible_collections" / "pronk8s" / "platform"
    assert (installed / "MANIFEST.json").exists()

    # The builder stage: ansible-builder's introspection reads the installed collection's EE metadata.
    out = run(["python", str(build / "scripts" / "introspect.py"), "introspect", str(collections)]).stdout
    found = yaml.safe_load(out)
    ours = " # from collection pronk8s.platform"
    python = [line.removesuffix(ours).strip() for line in found["python"] if line.endswith(ours)]
    system = [line.removesuffix(ours).strip() for line in found["system"] if line.endswith(ours)]
    assert python == requirement_lines(ROOT / "meta" / "ee-requirements.txt")
    assert system == requirement_lines(ROOT / "meta" / "ee-bindep.txt")

    # The installed copy's playbooks resolve by FQCN, as in the EE.
    run(["ansible-playbook", "--syntax-check", "-i", "localhost,", "pronk8s.platform.site"], env=env, cwd=tmp_path)
