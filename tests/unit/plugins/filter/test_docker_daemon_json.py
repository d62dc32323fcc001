"""docker_daemon_json: valid daemon.json text, log-opts as strings, bad input named."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pronk8s.platform.plugins.filter.docker_daemon_json import docker_daemon_json


def test_renders_sorted_pretty_json_with_string_log_opts() -> None:
    text = docker_daemon_json({
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": 3, "compress": True},
        "registry-mirrors": ["https://mirror.example"],
        "exec-opts": ["native.cgroupdriver=systemd"],
        "data-root": "/srv/docker",
        "live-restore": True,
        "mtu": 1450,
        "storage-driver": None,  # null drops a default
    })
    assert text.endswith("}\n")
    data = json.loads(text)
    assert data["log-opts"] == {"max-size": "10m", "max-file": "3", "compress": "true"}
    assert data["mtu"] == 1450 and data["live-restore"] is True
    assert "storage-driver" not in data
    assert list(data) == sorted(data)


def test_idempotent_text() -> None:
    config = {"b": 1, "a": {"y": [1, 2], "x": None}}
    assert docker_daemon_json(config) == docker_daemon_json(dict(reversed(list(config.items()))))


@pytest.mark.parametrize(("config", "message"), [
    ("log-driver=local", "must be a dict, got str"),
    (["a"], "must be a dict, got list"),
    ({"hosts": ["tcp://0.0.0.0:2375"]}, "'hosts' cannot be set"),
    ({"log-opts": "max-size=10m"}, "'log-opts' must be a dict"),
    ({1: "x"}, "key 1 in daemon config is not a string"),
    ({"labels": [{1, 2}]}, r"daemon config.labels\[0\] is a set"),
    ({"mtu": float("nan")}, "Out of range float"),
])
def test_refuses(config, message) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        docker_daemon_json(config)
