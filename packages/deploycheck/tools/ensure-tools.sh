#!/usr/bin/env bash
# Installs the deployment checkers (tools/requirements.txt) into a venv outside git, once: a stamp
# holding the requirements' hash says the venv matches. Prints the venv's bin directory.
# Exits 3 when the tools cannot be installed (e.g. no PyPI): the tests then skip with the reason.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${CRYPTO_DEPLOY_VENV:-$HOME/.cache/crypto-anomaly/venv-deploy}"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin"
  exit 0
fi
py="$(command -v python3 || true)"
[ -n "$py" ] || { echo "python3 not found" >&2; exit 3; }
mkdir -p "$(dirname "$venv")"
{
  "$py" -m venv "$venv" &&
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
} >&2 || { echo "could not install the checkers from PyPI into $venv" >&2; exit 3; }
echo "$want" > "$venv/.requirements-sha256"
echo "$venv/bin"
