#!/usr/bin/env bash
# The one command that runs every test: installs and builds what it needs, runs the
# TypeScript suites (unit, then integration on real servers: Kafka broker, WebSocket), the
# deployment checks and the Java suites (Flink job), and ends with one line `N passed, N failed` summing all of them.
# Usage: scripts/test.sh [--unit-only]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UNIT_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --unit-only) UNIT_ONLY=1 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

require_tools
ensure_node_deps
step "checking generated protobuf code is up to date"
(cd "$ROOT" && node scripts/check-generated.mjs)
build_ts
[ "$UNIT_ONLY" = 1 ] || ensure_s3mock_jar

RESULTS="$ROOT/var/test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
status=0

step "TypeScript tests"
if [ "$UNIT_ONLY" = 1 ]; then
  node "$ROOT/scripts/run-node-tests.mjs" --only unit || status=1
else
  node "$ROOT/scripts/run-node-tests.mjs" || status=1
fi

# Offline checks of k8s/, terraform/, the Dockerfiles and docker-compose.yml with the real tools
# (kubectl, terraform, and a venv of checkers that packages/deploycheck installs on first use).
step "Deployment checks (k8s, containers, terraform; offline)"
node "$ROOT/scripts/run-node-tests.mjs" --only deploy || status=1

if [ -f "$ROOT/flink-job/pom.xml" ]; then
  step "Java tests (flink-job, Maven)"
  rm -rf "$ROOT/flink-job/target/surefire-reports"
  (cd "$ROOT/flink-job" && mvn_q test) || status=1
fi

# Sum every suite: the TS runner's JSON and Surefire's XML reports.
node "$ROOT/scripts/sum-results.mjs" || status=1
exit $status
