"""Molecule for a user's role, from the BUILT collection only (issue 17).

The tarball from `ansible-galaxy collection build` is installed into an empty collections path; the
only other collections on that path are those Molecule's docker driver needs (community.docker,
ansible.posix), as on any user's machine. tests/molecule_user (a role that is not part of the collection, and its
scenario built from the platform blocks of docs/molecule.md) is copied to a directory outside this
repository, so no base config of ours applies, and tested there: `pronk8s.platform.molecule_images`
(every image is already built by the test bed: nothing may be built), then `molecule test`
(converge, idempotence, verify, destroy) on the Debian 13 systemd image and the emulated Pi image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# What Molecule's docker driver needs, as it would on any user's machine.
DRIVER_COLLECTIONS = ("community/docker", "community/library_inventory_filtering_v1", "ansible/posix")


def _deps_path(tmp_path: Path) -> Path:
    """A collections path with the driver's collections only (linked from the test bed's copy)."""
    source = Path(os.environ["PRONK8S_COLLECTIONS"]) / "ansible_collections"
    deps = tmp_path / "deps" / "ansible_collections"
    for name in DRIVER_COLLECTIONS:
        (deps / name).parent.mkdir(parents=True, exist_ok=True)
        (deps / name).symlink_to(source / name)
    return tmp_path / "deps"


def test_user_role_on_systemd_and_pi_from_the_tarball(tmp_path: Path) -> None:
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True)
    tarball = next(tmp_path.glob("pronk8s-platform-*.tar.gz"))
    collections = tmp_path / "collections"
    # The install must not see the test bed's collections path, where pronk8s.platform links this tree.
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(collections),
                    str(tarball)], check=True, capture_output=True,
                   env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections)})
    assert (collections / "ansible_collections/pronk8s/platform/playbooks/molecule_images.yml").is_file()
    home = tmp_path / "home"
    home.mkdir()
    project = tmp_path / "user-repo"
    shutil.copytree(ROOT / "tests" / "molecule_user", project)
    env = {
        **os.environ,
        "HOME": str(home),
        "ANSIBLE_COLLECTIONS_PATH": f"{collections}:{_deps_path(tmp_path)}",
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
    }
    env.pop("MOLECULE_GLOB", None)

    started = time.monotonic()
    images = subprocess.run(
        ["ansible-playbook", "pronk8s.platform.molecule_images",
         # The test bed's rootfs cache: nothing is rebuilt, so nothing is read from it either.
         "-e", f"molecule_images_cache_dir={home}/.cache/pronk8s/molecule-images"],
        cwd=project, env=env, capture_output=True, text=True, check=False)
    assert images.returncode == 0, images.stdout[-3000:] + images.stderr[-2000:]
    assert "built in" not in images.stdout and ": cached" in images.stdout, images.stdout[-3000:]
    print(f"molecule_images with every image cached: {time.monotonic() - started:.1f} s")
    assert (home / ".cache/pronk8s/molecule-images/pi/cpuinfo-pi4-model-b").is_file()

    started = time.monotonic()
    run = subprocess.run(["molecule", "test"], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    print(f"molecule test (systemd + emulated Pi): {time.monotonic() - started:.1f} s")
    for step in ("converge", "idempotence", "verify", "destroy"):
        assert f"[default > {step}] Executed: Successful" in run.stdout + run.stderr, step
