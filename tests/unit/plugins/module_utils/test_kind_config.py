"""_kind.ConfigValidator on lists of mappings: every bad item named by its path, in config order."""

from __future__ import annotations

from ansible_collections.pronk8s.platform.plugins.module_utils._kind import ConfigValidator


def test_each_list_of_mappings_names_its_bad_items_in_order() -> None:
    config = {
        "kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4",
        "kubeadmConfigPatchesJSON6902": ["not a patch", {"group": "g", "version": "v", "kind": "k", "patch": 1, "x": 1}],
        "nodes": [
            "worker",
            {"role": "control-plane",
             "extraPortMappings": [80, {"containerPort": 80, "hostPort": 8080, "bogus": True},
                                   {"containerPort": 81, "hostPort": 8080}],
             "extraMounts": [{"hostPath": "/a", "containerPath": "/b", "readOnly": "yes"}, None],
             "kubeadmConfigPatchesJSON6902": [{"group": "g", "version": "v", "kind": "k", "patch": "p"}, []]},
            {"role": "boss"},
        ],
    }
    assert ConfigValidator().validate(config) == [
        "config.nodes[0]: must be a mapping, got 'worker'",
        "config.nodes[1].extraPortMappings[0]: must be a mapping, got 80",
        "config.nodes[1].extraPortMappings[1].bogus: unknown field (kind decodes configs strictly and would refuse it)",
        "config.nodes[1].extraPortMappings[2]: port mapping with same listen address, port and protocol already "
        "configured: 0.0.0.0:8080/TCP",
        "config.nodes[1].extraMounts[0].readOnly: must be of type bool, got 'yes'",
        "config.nodes[1].extraMounts[1]: must be a mapping, got None",
        "config.nodes[1].kubeadmConfigPatchesJSON6902[1]: must be a mapping, got []",
        "config.nodes[2].role: 'boss' is not a valid node role (control-plane, worker)",
        "config.kubeadmConfigPatchesJSON6902[0]: must be a mapping, got 'not a patch'",
        "config.kubeadmConfigPatchesJSON6902[1].patch: must be of type str, got int",
        "config.kubeadmConfigPatchesJSON6902[1].x: unknown field (kind decodes configs strictly and would refuse it)",
    ]


def test_a_config_without_a_control_plane_is_refused() -> None:
    errors = ConfigValidator().validate({"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4",
                                         "nodes": [{"role": "worker"}]})
    assert errors == ["config.nodes: must have at least one control-plane node"]
