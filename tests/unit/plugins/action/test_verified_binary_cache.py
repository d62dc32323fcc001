"""The controller cache of the verified_binary action plugin under parallel forks.

Ansible forks are processes; several of them asking for the same artifact at once must cause ONE
download and leave one intact, verified file. Real processes, a real HTTP server on loopback.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os

import pytest
from types import SimpleNamespace

from ansible_collections.pronk8s.platform.plugins.action.verified_binary import ActionModule
from ansible_collections.pronk8s.platform.plugins.module_utils._download import DownloadOptions
from mirror import MirrorServer

DATA = os.urandom(4 * 1024 * 1024)
DIGEST = hashlib.sha256(DATA).hexdigest()


def fetch(cache_dir: str, url: str, digest: str, queue) -> None:
    action = ActionModule.__new__(ActionModule)  # only _cached is exercised: no connection, no task executor
    action._task = SimpleNamespace(args={"cache_dir": cache_dir})
    try:
        queue.put(action._cached(url, digest, DownloadOptions(retries=0)))
    except Exception as exc:  # reported to the parent
        queue.put(f"error: {exc}")


def run_forks(n: int, cache_dir: str, url: str, digest: str) -> list[str]:
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=fetch, args=(cache_dir, url, digest, queue)) for _proc in range(n)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _proc in procs]
    for p in procs:
        p.join()
    return results


def test_parallel_forks_download_once(tmp_path):
    with MirrorServer(tmp_path / "mirror") as m:
        url = m.publish("dl/kubectl", DATA)
        results = run_forks(6, str(tmp_path / "cache"), url, DIGEST)
        assert len(set(results)) == 1 and not results[0].startswith("error")
        assert m.stats()["requests"] == {"/dl/kubectl": 1}
        with open(results[0], "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == DIGEST
        entry = os.path.dirname(results[0])
        assert sorted(os.listdir(entry)) == [".lock", "kubectl"]


def test_a_corrupt_cache_entry_is_replaced_and_a_bad_download_never_cached(tmp_path):
    with MirrorServer(tmp_path / "mirror") as m:
        url = m.publish("dl/kubectl", DATA)
        first = run_forks(1, str(tmp_path / "cache"), url, DIGEST)[0]
        with open(first, "r+b") as handle:
            handle.write(b"corrupt")
        assert run_forks(1, str(tmp_path / "cache"), url, DIGEST)[0] == first
        assert m.stats()["requests"] == {"/dl/kubectl": 2}
        wrong = "f" * 64
        result = run_forks(1, str(tmp_path / "cache"), url, wrong)[0]
        assert result.startswith(f"error: sha256 mismatch for {url}: expected {wrong}, got {DIGEST}")
        assert sorted(os.listdir(tmp_path / "cache" / "ff" / wrong)) == [".lock"]


def test_a_symlinked_lock_is_refused_and_its_target_never_truncated(tmp_path):
    entry = tmp_path / "cache" / DIGEST[:2] / DIGEST
    entry.mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (entry / ".lock").symlink_to(victim)
    result = run_forks(1, str(tmp_path / "cache"), "http://127.0.0.1:9/kubectl", DIGEST)[0]
    assert result.startswith("error: ") and "Too many levels of symbolic links" in result
    assert victim.read_text() == "precious"


def test_cache_errors_never_show_url_secrets(tmp_path):
    with MirrorServer(tmp_path / "mirror") as m:
        url = m.publish("dl/kubectl", DATA) + "?X-Amz-Signature=deadbeef42"
        result = run_forks(1, str(tmp_path / "cache"), url, "f" * 64)[0]
    assert result.startswith("error: sha256 mismatch for ") and "deadbeef42" not in result


@pytest.mark.parametrize("args,hosts,controller", [
    # item 6: a host-side src always runs on the host, whatever the play size or distribute says
    ({"src": "/opt/a/tool", "remote_src": True}, ["a", "b"], False),
    ({"src": "/opt/a/tool", "remote_src": "yes"}, ["a", "b"], False),
    ({"src": "/opt/a/tool", "remote_src": True, "distribute": "controller"}, ["a"], False),
    ({"src": "files/tool"}, ["a"], True),
    ({"url": "https://x/tool"}, ["a", "b"], True),
    ({"url": "https://x/tool"}, ["a"], False),
    ({"url": "https://x/tool", "distribute": "host"}, ["a", "b"], False),
])
def test_where_the_artifact_is_fetched(args, hosts, controller):
    assert ActionModule._use_controller(args, {"ansible_play_hosts_all": hosts}) is controller
