"""One download spec, one doc fragment, one options class: the three must name the same options."""

from __future__ import annotations

import dataclasses

import yaml

from ansible_collections.pronk8s.platform.plugins.doc_fragments.download import ModuleDocFragment
from ansible_collections.pronk8s.platform.plugins.module_utils._download import DownloadOptions
from ansible_collections.pronk8s.platform.plugins.module_utils._download_spec import download_argument_spec

FRAGMENT = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]


def test_spec_fragment_and_options_name_the_same_options() -> None:
    spec = download_argument_spec()
    fields = {field.name for field in dataclasses.fields(DownloadOptions)}
    assert set(spec) == set(FRAGMENT) == fields


def test_fragment_documents_the_spec_types_defaults_and_aliases() -> None:
    for name, option in download_argument_spec().items():
        doc = FRAGMENT[name]
        assert doc["type"] == option["type"], name
        assert doc.get("default") == option.get("default"), name
        assert doc.get("aliases", []) == option.get("aliases", []), name


def test_spec_defaults_are_the_download_defaults() -> None:
    defaults = {name: option.get("default") for name, option in download_argument_spec().items()}
    assert DownloadOptions.from_params(defaults) == DownloadOptions()


def test_secrets_are_not_logged_and_each_call_is_a_new_dict() -> None:
    spec = download_argument_spec()
    assert spec["url_password"]["no_log"] is True and spec["headers"]["no_log"] is True
    spec["timeout"]["default"] = 5
    assert download_argument_spec()["timeout"]["default"] == 60
