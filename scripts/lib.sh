# Shared helpers for scripts/run.sh and scripts/test.sh. Sourced, not executed.
# Everything the scripts need is installed here from the package registries; caches live
# outside git (node_modules/, ~/.m2, ~/.cache/crypto-anomaly).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/crypto-anomaly"
export CACHE_DIR

step() { printf '\n==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_tools() {
  command -v node >/dev/null || die "Node.js 20+ is required (https://nodejs.org)"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "Node.js 20+ is required, found $(node --version)"
  command -v npm >/dev/null || die "npm is required"
  command -v java >/dev/null || die "Java 17+ is required (Debian: apt-get install openjdk-17-jdk-headless)"
  command -v mvn >/dev/null || die "Maven is required (Debian: apt-get install maven)"
}

# Installs Node dependencies at the lockfile's versions when node_modules is missing or older
# than the lockfile. `npm install`, not `npm ci`: npm 11 leaves other platforms' optional
# packages of @bufbuild/buf out of the lockfile and `npm ci` then refuses it as out of sync;
# `npm install` installs exactly the locked versions and leaves the lockfile alone.
ensure_node_deps() {
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    step "installing Node dependencies (npm install at the locked versions)"
    (cd "$ROOT" && npm install --no-audit --no-fund --loglevel=error 2>&1 | grep -v -e 'Unknown user config' -e 'install-scripts' >&2 || true)
    [ -d "$ROOT/node_modules/kafkajs" ] || die "installing Node dependencies failed"
  fi
}

build_ts() {
  step "building TypeScript (tsc -b)"
  (cd "$ROOT" && node_modules/.bin/tsc -b)
}

# The local S3 server's jar (Adobe S3Mock, ~30 MB from Maven Central) into the cache, once, so
# the first integration test or `run.sh --s3` does not spend its start-up wait downloading.
ensure_s3mock_jar() {
  node --input-type=module -e "
    const { resolveS3MockJar } = await import('$ROOT/packages/devkit/dist/src/index.js');
    await resolveS3MockJar({ onProgress: (m) => process.stderr.write('    ' + m + '\\n') });
  " || die "downloading the S3Mock jar with Maven failed"
}

# Maven, quiet and without download progress; the local repository is ~/.m2 (a cache).
mvn_q() { mvn -B -q -ntp "$@"; }
