#!/usr/bin/env bash
# The one command that runs the whole pipeline locally on embedded defaults. It installs and
# builds what it needs, then starts, each as its own process:
#   a Kafka 4.x broker (KRaft, from Maven Central jars, data in var/kafka),
#   the udf-server scoring sidecar (gRPC on 127.0.0.1:50051),
#   the Flink job on a local MiniCluster with the web UI on http://localhost:8081
#     (checkpoints in var/flink-checkpoints unless --checkpoint-dir),
#   a local Binance WebSocket server replaying the bundled real recording (not with --live),
#   the producer (its live view goes to var/log/producer.log),
# and shows the live alert table in the foreground. Ctrl-C stops everything, by process id.
#
# Usage: scripts/run.sh [--live] [--speed N|max] [--loop] [--symbols BTCUSDT,ETHUSDT] [--streams trade,bookTicker]
#                       [--checkpoint-dir DIR|s3://...] [--restore-from latest|PATH] [--web-ui-port 8081]
#                       [--no-models]   (sidecar without the trained models; by default they are trained once into var/models/)
#                       [--s3]          (start the local S3 server, var/s3, and checkpoint to s3://flink-checkpoints/checkpoints)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIVE=0
LOOP=0
NO_MODELS=0
S3=0
S3_PORT="${S3_PORT:-9000}"
SPEED=1
SYMBOLS="BTCUSDT,ETHUSDT"
STREAMS="trade,bookTicker"
CHECKPOINT_DIR=""
RESTORE_FROM=""
WEB_UI_PORT=8081
KAFKA_PORT="${KAFKA_PORT:-9092}"
while [ $# -gt 0 ]; do
  case "$1" in
    --live) LIVE=1 ;;
    --loop) LOOP=1 ;;
    --speed) SPEED="$2"; shift ;;
    --symbols) SYMBOLS="$2"; shift ;;
    --streams) STREAMS="$2"; shift ;;
    --checkpoint-dir) CHECKPOINT_DIR="$2"; shift ;;
    --restore-from) RESTORE_FROM="$2"; shift ;;
    --web-ui-port) WEB_UI_PORT="$2"; shift ;;
    --no-models) NO_MODELS=1 ;;
    --s3) S3=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

require_tools
ensure_node_deps
build_ts

VAR="$ROOT/var"
LOGS="$VAR/log"
mkdir -p "$LOGS"
cleanup() {
  trap - EXIT INT TERM
  [ "$S3" = 1 ] && { node "$ROOT/packages/devkit/dist/src/s3-cli.js" stop --data-dir "$VAR/s3" || true; }
  node "$ROOT/packages/devkit/dist/src/kafka-cli.js" stop --data-dir "$VAR/kafka" || true
}
trap cleanup EXIT
# Ctrl-C reaches crypto-stack too (same foreground process group); it stops its pieces in order
# and returns, then the EXIT trap stops the broker.
trap ':' INT TERM HUP

step "starting Kafka broker on 127.0.0.1:$KAFKA_PORT (first run downloads the broker jars with Maven)"
node "$ROOT/packages/devkit/dist/src/kafka-cli.js" start --data-dir "$VAR/kafka" --port "$KAFKA_PORT" --partitions 3
BROKERS="127.0.0.1:$KAFKA_PORT"

if [ "$S3" = 1 ]; then
  step "starting the local S3 server on 127.0.0.1:$S3_PORT (first run downloads S3Mock with Maven)"
  S3_ENDPOINT="$(node "$ROOT/packages/devkit/dist/src/s3-cli.js" start --data-dir "$VAR/s3" --port "$S3_PORT" --buckets flink-checkpoints)"
  # The S3 settings reach the job the way the Kubernetes operator's flinkConfiguration does: as
  # $FLINK_CONF_DIR/config.yaml (decision 086). S3Mock accepts any keys.
  mkdir -p "$VAR/flink-conf"
  cat >"$VAR/flink-conf/config.yaml" <<YAML
s3.endpoint: $S3_ENDPOINT
s3.path.style.access: true
s3.access-key: devkit
s3.secret-key: devkit-secret
YAML
  export FLINK_CONF_DIR="$VAR/flink-conf"
  CHECKPOINT_DIR="${CHECKPOINT_DIR:-s3://flink-checkpoints/checkpoints}"
fi
CHECKPOINT_DIR="${CHECKPOINT_DIR:-$VAR/flink-checkpoints}"

ARGS=(up --brokers "$BROKERS" --speed "$SPEED" --symbols "$SYMBOLS" --streams "$STREAMS"
  --checkpoint-dir "$CHECKPOINT_DIR" --web-ui-port "$WEB_UI_PORT" --log-dir "$LOGS")
[ "$LIVE" = 1 ] && ARGS+=(--live)
[ "$LOOP" = 1 ] && ARGS+=(--loop)
[ "$NO_MODELS" = 1 ] && ARGS+=(--no-models)
[ -n "$RESTORE_FROM" ] && ARGS+=(--restore-from "$RESTORE_FROM")
# The first start of the Flink job compiles it with Maven (a minute or two); later starts take seconds.
set +e
node "$ROOT/packages/stack/dist/src/cli.js" "${ARGS[@]}"
STATUS=$?
set -e
exit "$STATUS"
