#!/usr/bin/env bash
# Runs the Flink job on a local MiniCluster (one JVM, web UI) with the given job options, e.g.
#
#   flink-job/bin/run-local.sh --bootstrap-servers 127.0.0.1:9092 --scoring-address 127.0.0.1:50051 \
#       --checkpoint-dir var/flink-checkpoints --checkpoint-interval 2s --web-ui-port 8081
#
# `--local` is added. Compiles and writes target/run-local-classpath.txt (mvn dependency:build-classpath of the
# compile scope = compile + provided, so Flink and its web UI are included, plus the runtime scope)
# only when pom.xml or a
# source under src/main or ../protos changed, then starts plain `java` with `exec`: the script's
# process id is the job's, so a caller stops it with `kill <pid>` (SIGTERM) and start-up does not pay
# Maven's overhead each time. Extra JVM options: JAVA_OPTS="-Xmx1g ...".
# Set RUN_LOCAL_BUILD=always to force the build, never to skip it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Its own file: other tools (the benchmark) write target/classpath.txt with the compile scope only.
CLASSPATH_FILE="$HERE/target/run-local-classpath.txt"
MAIN_CLASS="io.cryptoanomaly.flink.AnomalyJob"

needs_build() {
  case "${RUN_LOCAL_BUILD:-auto}" in
    always) return 0 ;;
    never) return 1 ;;
  esac
  [ -f "$CLASSPATH_FILE" ] || return 0
  [ -f "$HERE/target/classes/io/cryptoanomaly/flink/AnomalyJob.class" ] || return 0
  [ -n "$(find "$HERE/pom.xml" "$HERE/src/main" "$HERE/../protos" -newer "$CLASSPATH_FILE" -print -quit)" ]
}

if needs_build; then
  echo "run-local: building flink-job (mvn compile dependency:build-classpath)" >&2
  # Two scopes, merged: includeScope=compile gives compile + provided (Flink and its web UI) but
  # leaves out runtime-scoped jars that the job needs (grpc-protobuf-lite, grpc-util, grpc-context:
  # without them the first ScoreBundle call fails with NoClassDefFoundError ProtoLiteUtils);
  # includeScope=runtime gives compile + runtime.
  (cd "$HERE" && mvn -B -q compile dependency:build-classpath -Dclasspath.includeScope=compile -Dmdep.outputFile="$CLASSPATH_FILE.compile" \
    && mvn -B -q dependency:build-classpath -Dclasspath.includeScope=runtime -Dmdep.outputFile="$CLASSPATH_FILE.runtime") >&2
  tr ':' '\n' <"$CLASSPATH_FILE.compile" >"$CLASSPATH_FILE.tmp"
  tr ':' '\n' <"$CLASSPATH_FILE.runtime" >>"$CLASSPATH_FILE.tmp"
  awk 'NF && !seen[$0]++' "$CLASSPATH_FILE.tmp" | paste -sd: - >"$CLASSPATH_FILE"
  rm -f "$CLASSPATH_FILE.compile" "$CLASSPATH_FILE.runtime" "$CLASSPATH_FILE.tmp"
fi

# Java 17 module opens: Flink (java.util, java.lang) and Arrow's memory module (java.nio).
JVM_OPENS=(
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
)

# shellcheck disable=SC2086  # JAVA_OPTS is a list of options on purpose
exec java "${JVM_OPENS[@]}" ${JAVA_OPTS:-} \
  -cp "$HERE/target/classes:$(cat "$CLASSPATH_FILE")" \
  "$MAIN_CLASS" --local "$@"
