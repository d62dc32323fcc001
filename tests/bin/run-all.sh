#!/usr/bin/env bash
# The project's test command (README, .ci/run): set-up, then every suite. Each suite runs even
# when an earlier one failed; the exit status is non-zero if any failed.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../testbed/env.sh"
cd "$PRONK8S_ROOT"

bash tests/testbed/bootstrap.sh || exit 1
bash tests/testbed/testbed.sh up || exit 1

declare -a results=()
failed=0
suite() {
  local name=$1; shift
  local t0=$SECONDS
  printf '\n===== %s =====\n' "$name"
  if "$@"; then results+=("PASS  $name ($((SECONDS - t0)) s)")
  else results+=("FAIL  $name ($((SECONDS - t0)) s)"); failed=1; fi
}

suite "ansible-lint (production)" ansible-lint --offline
suite "ansible-test sanity" bash tests/bin/sanity.sh
suite "pytest units" python -m pytest -q tests/unit
suite "pytest integration (real containers)" python -m pytest -q tests/integration
for scenario in $(ls molecule); do
  [[ -f "molecule/$scenario/molecule.yml" ]] || continue
  suite "molecule $scenario" molecule test -s "$scenario"
done

printf '\n===== summary =====\n'
printf '%s\n' "${results[@]}"
exit $failed
