#!/usr/bin/env bash
# ansible-test needs the collection at .../ansible_collections/pronk8s/platform: copy the working
# tree's files (tracked and untracked, minus ignored ones) there and run sanity on that copy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../testbed/env.sh"
dest="$PRONK8S_ROOT/.build/ansible_collections/pronk8s/platform"
rm -rf "$dest" && mkdir -p "$dest"
(cd "$PRONK8S_ROOT" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dest")
cd "$dest"
# --venv: each test's pinned requirements go in a throwaway venv (from PyPI), not in .venv.
exec ansible-test sanity --venv --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
