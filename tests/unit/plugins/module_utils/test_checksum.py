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
    assert parsed.digest == HEX and parsed.describe() == f"sha256:{HEX}"


@pytest.mark.parametrize("spec", ["https://dl.k8s.io/x/kubectl.sha256", "/srv/sums/SHA256SUMS"])
def test_checksum_file_specs(spec):
    parsed = parse_spec(spec)
    assert parsed.source == spec and parsed.digest is None


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


# ---- item 3: which entry of a checksum file is the artifact's ---------------------------------------

OTHER = "c" * 64


@pytest.mark.parametrize("text,artifact", [
    # a versioned path listed before the exact name: the exact name wins
    (f"{OTHER}  v1.0.0/helm\n{HEX}  helm\n", "https://get.helm.sh/helm"),
    # the URL's path suffix picks the platform
    (f"{OTHER}  darwin-arm64/kubectl\n{HEX}  linux-amd64/kubectl\n", "https://mirror/v1/linux-amd64/kubectl"),
    (f"{OTHER}  bin/darwin/arm64/kubectl\n{HEX}  bin/linux/amd64/kubectl\n",
     "https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl?x=1"),
    # a unique base-name match is still accepted (dist/ directory of a release)
    (f"{HEX}  ./dist/kubectl\n{OTHER}  kind\n", "https://x/kubectl"),
    # the same digest listed twice is not ambiguous
    (f"{HEX}  a/kubectl\n{HEX}  b/kubectl\n", "https://x/kubectl"),
    # a controller or host path works like a URL path
    (f"{OTHER}  arm64/tool\n{HEX}  amd64/tool\n", "/srv/artifacts/amd64/tool"),
])
def test_the_most_specific_entry_wins(text, artifact):
    assert digest_for(text, artifact, "sums") == HEX


@pytest.mark.parametrize("name", [".kubectl", "../kubectl", "x/../kubectl", "kubectl.sig", "xkubectl"])
def test_names_that_only_look_alike_never_match(name):
    with pytest.raises(ChecksumError, match="has no entry for 'kubectl'"):
        digest_for(f"{HEX}  {name}\n", "https://x/kubectl", "sums")


def test_ambiguous_base_names_fail_listing_the_candidates():
    text = f"{OTHER}  darwin-arm64/kubectl\n{HEX}  linux-amd64/kubectl\n"
    with pytest.raises(ChecksumError, match=r"several different entries for 'kubectl' .*darwin-arm64/kubectl "
                                            r"\(cccccccccccc\.\.\.\), linux-amd64/kubectl \(924eb5077915\.\.\.\)"):
        digest_for(text, "https://dl.k8s.io/release/v1.35.2/bin/linux/amd64/kubectl", "sums")


def test_checksum_file_urls_are_redacted_in_errors():
    secret = "https://user:hunter22@mirror/sums?X-Amz-Signature=deadbeef"
    with pytest.raises(ChecksumError) as err:
        digest_for("nothing here", "https://x/kubectl", secret)
    assert "hunter22" not in str(err.value) and "deadbeef" not in str(err.value)
    assert "https://REDACTED@mirror/sums?REDACTED" in str(err.value)
    assert "deadbeef" not in parse_spec(secret).describe()
