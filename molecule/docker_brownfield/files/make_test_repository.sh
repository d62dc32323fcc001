#!/usr/bin/env bash
# Builds, on the controller, what the brownfield scenario's hosts get: a throwaway key standing in for Docker's,
# a local apt repository laid out like download.docker.com/linux/debian and signed with it (InRelease), stand-in
# packages (docker-ce and friends, and a kubectl as pkgs.k8s.io ships it in /usr/bin), and a /etc/apt/trusted.gpg
# written by the REAL apt-key (another vendor's key, then the stand-in Docker key), as the old instructions did.
# Usage: make_test_repository.sh OUT_DIR   (OUT_DIR/repo is served by the hosts on 127.0.0.1:8089)
set -euo pipefail
out=$1
rm -rf "$out/gnupg" "$out/repo" "$out/apt-key"
mkdir -p -m 0700 "$out/gnupg"
export GNUPGHOME="$out/gnupg" LC_ALL=C
gpg_q() { gpg --batch --no-tty --quiet "$@"; }

gpg_q --passphrase '' --quick-generate-key 'Stand-in for Docker Release (CE deb) <test@pronk8s.invalid>' ed25519 sign never
gpg_q --passphrase '' --quick-generate-key 'Another vendor <vendor@pronk8s.invalid>' ed25519 sign never
docker_fpr=$(gpg_q --with-colons --list-keys test@pronk8s.invalid | awk -F: '/^fpr/ {print $10; exit}')
vendor_fpr=$(gpg_q --with-colons --list-keys vendor@pronk8s.invalid | awk -F: '/^fpr/ {print $10; exit}')

repo="$out/repo/linux/debian"
mkdir -p "$repo/pool/stable" "$repo/dists/bookworm/stable/binary-amd64"
gpg_q --armor --export "$docker_fpr" >"$repo/gpg"

# package NAME VERSION [PATH CONTENT MODE]...
package() {
  local name=$1 version=$2 dir
  shift 2
  dir=$(mktemp -d)
  mkdir -p "$dir/DEBIAN"
  printf '%s\n' "Package: $name" "Version: $version" "Architecture: all" \
    "Maintainer: pronk8s tests <test@pronk8s.invalid>" "Description: stand-in for $name (pronk8s brownfield test)" \
    >"$dir/DEBIAN/control"
  while (($#)); do
    mkdir -p "$dir$(dirname "$1")"
    printf '%s\n' "$2" >"$dir$1"
    chmod "$3" "$dir$1"
    shift 3
  done
  dpkg-deb --root-owner-group --build "$dir" "$repo/pool/stable/${name}_${version#*:}_all.deb" >/dev/null
  rm -rf "$dir"
}
v='5:99.0.0-1~debian.12~bookworm'
package docker-ce "$v" \
  /usr/bin/dockerd $'#!/bin/sh\n[ "$1" = --help ] && { echo "Usage: dockerd [OPTIONS] (stand-in)"; exit 0; }\nexec sleep infinity' 0755 \
  /lib/systemd/system/docker.service $'[Unit]\nDescription=stand-in docker\n[Service]\nExecStart=/usr/bin/dockerd\n[Install]\nWantedBy=multi-user.target' 0644
package docker-ce-cli "$v" /usr/bin/docker $'#!/bin/sh\necho "Docker version 99.0.0 (stand-in)"' 0755
package containerd.io 1.7.99-1
package docker-buildx-plugin 0.99.0-1~debian.12~bookworm
package docker-compose-plugin 2.99.0-1~debian.12~bookworm
package kubectl 1.28.15-1.1 /usr/bin/kubectl $'#!/bin/sh\necho "Client Version: v1.28.15 (stand-in from a dpkg package)"' 0755

(cd "$repo" && dpkg-scanpackages --multiversion pool/stable /dev/null 2>/dev/null >dists/bookworm/stable/binary-amd64/Packages)
packages="$repo/dists/bookworm/stable/binary-amd64/Packages"
{
  printf '%s\n' "Origin: pronk8s test" "Label: pronk8s test" "Suite: bookworm" "Codename: bookworm" \
    "Date: $(date -Ru)" "Architectures: amd64" "Components: stable" "SHA256:"
  printf ' %s %s %s\n' "$(sha256sum "$packages" | cut -d' ' -f1)" "$(stat -c %s "$packages")" stable/binary-amd64/Packages
} >"$repo/dists/bookworm/Release"
gpg_q --local-user "$docker_fpr" --clearsign --output "$repo/dists/bookworm/InRelease" "$repo/dists/bookworm/Release"

mkdir -p "$out/apt-key"
touch "$out/apt-key/trusted.gpg"
gpg_q --armor --export "$vendor_fpr" | APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=1 apt-key --keyring "$out/apt-key/trusted.gpg" add - >/dev/null
APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=1 apt-key --keyring "$out/apt-key/trusted.gpg" add "$repo/gpg" >/dev/null
printf '%s\n' "$docker_fpr" >"$out/docker-fingerprint"
printf '%s\n' "$vendor_fpr" >"$out/vendor-fingerprint"
chmod -R a+rX "$out/repo" "$out/apt-key" "$out/docker-fingerprint" "$out/vendor-fingerprint"
# gpg started an agent for this home; nothing else needs it.
gpgconf --kill gpg-agent
