#!/usr/bin/env bash
# The one command that runs the platform locally on embedded defaults. It installs and builds
# what it needs, then starts: a Kafka 4.x broker (KRaft, from Maven Central jars, data in
# var/kafka), a local Binance WebSocket server replaying the bundled real recording (or, with
# --live, nothing: the producer connects to real Binance), and the producer with a live view.
# Ctrl-C stops everything it started, by process id.
#
# Usage: scripts/run.sh [--live] [--speed N|max] [--symbols BTCUSDT,ETHUSDT] [--streams trade,bookTicker]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIVE=0
SPEED=1
SYMBOLS="BTCUSDT,ETHUSDT"
STREAMS="trade,bookTicker"
BINANCE_PORT=9443
KAFKA_PORT="${KAFKA_PORT:-9092}"
while [ $# -gt 0 ]; do
  case "$1" in
    --live) LIVE=1 ;;
    --speed) SPEED="$2"; shift ;;
    --symbols) SYMBOLS="$2"; shift ;;
    --streams) STREAMS="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
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
PIDS=()
cleanup() {
  trap - EXIT INT TERM
  step "stopping"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  node "$ROOT/packages/devkit/dist/src/kafka-cli.js" stop --data-dir "$VAR/kafka" || true
}
trap cleanup EXIT INT TERM

step "starting Kafka broker on 127.0.0.1:$KAFKA_PORT (first run downloads the broker jars with Maven)"
node "$ROOT/packages/devkit/dist/src/kafka-cli.js" start --data-dir "$VAR/kafka" --port "$KAFKA_PORT" --partitions 3
BROKERS="127.0.0.1:$KAFKA_PORT"

if [ "$LIVE" = 1 ]; then
  ENDPOINT="wss://stream.binance.com:9443"
  step "connecting to live Binance ($ENDPOINT)"
else
  step "starting local Binance on ws://127.0.0.1:$BINANCE_PORT, replaying data/recordings at ${SPEED}x"
  node "$ROOT/packages/replay/dist/src/cli.js" serve --port "$BINANCE_PORT" --speed "$SPEED" >"$LOGS/local-binance.log" 2>&1 &
  PIDS+=($!)
  ENDPOINT="ws://127.0.0.1:$BINANCE_PORT"
  for _ in $(seq 1 50); do grep -q "ws://" "$LOGS/local-binance.log" 2>/dev/null && break; sleep 0.1; done
fi

step "starting producer ($SYMBOLS: $STREAMS) -> Kafka; metrics on http://127.0.0.1:9464/metrics"
info "logs: $LOGS/  |  see the records: node packages/cli/dist/src/tail.js raw-trades --brokers $BROKERS"
node "$ROOT/producer/dist/src/cli.js" --symbols "$SYMBOLS" --streams "$STREAMS" --endpoint "$ENDPOINT" \
  --brokers "$BROKERS" --live-view 2>>"$LOGS/producer.log" &
PIDS+=($!)
wait "${PIDS[-1]}"
