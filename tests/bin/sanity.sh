#!/usr/bin/env bash
# ansible-test needs the collection at .../ansible_collections/pronk8s/platform: copy the working
# tree's files (tracked and untracked, minus ignored ones) there and run sanity on that copy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../testbed/env.sh"
# Outside the repository: inside it, ansible-test would ask git, which ignores the copy.
# PRONK8S_SANITY_DIR lets parallel runs (several work trees) keep their copies apart.
dest="${PRONK8S_SANITY_DIR:-$PRONK8S_CACHE/sanity}/ansible_collections/pronk8s/platform"
rm -rf "$dest" && mkdir -p "$dest"
(cd "$PRONK8S_ROOT" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dest")
# A virtualenv of its own: ansible-test pins its linters (pylint, yamllint...) and --requirements installs
# them from PyPI; --venv cannot be used here because it bootstraps pip from a non-PyPI URL.
venv="$PRONK8S_CACHE/sanity-venv"
want=$(sha256sum "$PRONK8S_ROOT/requirements-dev.txt" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/ansible-test" || "$(cat "$venv/.stamp" 2>/dev/null)" != "$want" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$(grep '^ansible-core' "$PRONK8S_ROOT/requirements-dev.txt")"
  echo "$want" >"$venv/.stamp"
fi
for version in 24.0 24.2 25.0 25.1 25.2; do
  install -D -m 644 "$PRONK8S_ROOT/tests/testbed/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
done
cd "$dest"
exec "$venv/bin/ansible-test" sanity --requirements --python "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" "$@"
