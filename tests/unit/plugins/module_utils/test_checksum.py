"""Checksum specs and upstream checksum files (GNU, BSD, bare digest)."""

import hashlib

import pytest
from ansible_collections.pronk8s.platform.plugins.module_utils._checksum import (
    ChecksumError,
    digest_for,
    parse_checksum_file,
    parse_spec,
    resolve,
)

HEX = "924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
EMPTY = hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("spec", [HEX, HEX.upper(), f"sha256:{HEX}", f"SHA256:{HEX}", f"  {HEX}\n"])
def test_literal_specs(spec):
    parsed = parse_spec(spec)
    assert parsed.digest == HEX and parsed.is_literal and parsed.describe() == f"sha256:{HEX}"


@pytest.mark.parametrize("spec", ["https://dl.k8s.io/x/kubectl.sha256", "/srv/sums/SHA256SUMS"])
def test_checksum_file_specs(spec):
    parsed = parse_spec(spec)
    assert parsed.source == spec and not parsed.is_literal


@pytest.mark.parametrize("spec,message", [
    (EMPTY, "is the sha256 of an empty file"),
    ("sha256:abc", "is not 64 hexadecimal digits"),
    (f"md5:{'a' * 32}", "checksum algorithm 'md5' is not supported: only sha256 is accepted"),
    ("kubectl.sha256", "is neither 64 hex digits, 'sha256:HEX', nor a URL or absolute path"),
])
def test_bad_specs(spec, message):
    with pytest.raises(ChecksumError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spec(spec)


def test_formats():
    assert parse_checksum_file(f"{HEX}\n") == {"": HEX}
    gnu = f"# comment\n{HEX}  helm-v3.18.4-linux-amd64.tar.gz\n{'b' * 64} *kind-linux-amd64\n"
    assert parse_checksum_file(gnu) == {"helm-v3.18.4-linux-amd64.tar.gz": HEX, "kind-linux-amd64": "b" * 64}
    assert parse_checksum_file(f"SHA256 (kubectl) = {HEX.upper()}\n") == {"kubectl": HEX}


def test_digest_for_matches_base_names_and_explains_misses():
    text = f"{HEX}  ./dist/kubectl\n{'c' * 64}  kind\n"
    assert digest_for(text, "kubectl", "u") == HEX
    assert digest_for(f"{HEX}\n", "anything", "u") == HEX
    with pytest.raises(ChecksumError, match=r"checksum file u has no entry for 'helm' \(it lists: \./dist/kubectl, kind\)"):
        digest_for(text, "helm", "u")
    with pytest.raises(ChecksumError, match="holds no sha256 entries"):
        digest_for("<html>not found</html>", "kubectl", "u")
    with pytest.raises(ChecksumError, match="gives the sha256 of an empty file"):
        digest_for(f"{EMPTY}  kind-linux-arm\n", "kind-linux-arm", "u")


def test_resolve_from_a_url_a_path_or_a_literal(tmp_path):
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{HEX}  kubectl\n")
    fetched = []

    def fetch(url):
        fetched.append(url)
        return f"SHA256 (kubectl) = {HEX}\n"

    assert resolve(parse_spec(HEX), "https://x/kubectl", fetch) == HEX
    assert resolve(parse_spec(str(sums)), "https://x/kubectl?arch=1", fetch) == HEX
    assert fetched == []
    assert resolve(parse_spec("https://x/sums"), "/srv/a/kubectl", fetch) == HEX
    assert fetched == ["https://x/sums"]
    with pytest.raises(ChecksumError, match=f"cannot read checksum file {tmp_path}/missing"):
        resolve(parse_spec(str(tmp_path / "missing")), "kubectl", fetch)
