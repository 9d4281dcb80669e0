#!/usr/bin/env bash
# Long fuzz runs of the parsers peft4j reads user files with: the run file (HOCON), data lines, config.json,
# adapter_config.json and safetensors headers. Each target is the static fuzzerTestOneInput of the @FuzzTest class
# that `mvn verify` runs briefly; here Jazzer's own driver runs it for as long as asked, coverage-guided, starting
# from the seed corpus under {runtime,distribution}/src/test/resources/.../<Class>Inputs/fuzz/ (the run-file and
# adapter-config targets live in distribution/: they need the built-in methods).
#
#   bench/fuzz.sh [SECONDS_PER_PARSER] [PARSER...]     (default 600 s each; parsers: run-file data-line config-json
#                                                        adapter-config safetensors-header)
#
# Build first (mvn -B -o install -DskipTests). Logs and the corpus grown go to distribution/target/fuzz/<parser>/;
# a finding (an exception other than a peft4j error with a readable message, a stack overflow, a timeout) stops
# that parser's run, leaves its input as crash-* there, and makes the script exit 1. The last line of each log
# ("Done N runs in S second(s)") states the executions.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$home"
seconds="${1:-600}"
shift || true
declare -A classes=(
  [run-file]=dev.peft4j.runtime.config.RunFileFuzzTest
  [data-line]=dev.peft4j.runtime.data.DataLineFuzzTest
  [config-json]=dev.peft4j.runtime.model.ConfigJsonFuzzTest
  [adapter-config]=dev.peft4j.runtime.setup.AdapterConfigFuzzTest
  [safetensors-header]=dev.peft4j.runtime.io.safetensors.SafetensorsHeaderFuzzTest
)
parsers=("$@")
[ ${#parsers[@]} -eq 0 ] && parsers=(run-file data-line config-json adapter-config safetensors-header)

# The distribution's test classpath holds both modules' targets: its own test classes, the runtime's (its test jar),
# the built-in methods.
mvn -B -q -o -pl runtime,distribution test-compile
mvn -B -q -o -pl distribution dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/fuzz.classpath
# A copy of the classes, so that a build during a long run does not change them under it.
snapshot="distribution/target/fuzz/classes-$$"
mkdir -p "$snapshot/runtime" && cp -r runtime/target/classes runtime/target/test-classes "$snapshot/runtime/" \
  && cp -r distribution/target/test-classes "$snapshot/"
trap 'rm -rf "$snapshot"' EXIT
classpath="$snapshot/test-classes:$snapshot/runtime/test-classes:$snapshot/runtime/classes:$(cat distribution/target/fuzz.classpath)"

status=0
for parser in "${parsers[@]}"; do
  class="${classes[$parser]:?unknown parser $parser; known: ${!classes[*]}}"
  out="distribution/target/fuzz/$parser"
  mkdir -p "$out/corpus"
  relative="$(dirname "${class//.//}")/$(basename "${class//.//}")Inputs/fuzz"
  seeds="runtime/src/test/resources/$relative"
  [ -d "$seeds" ] || seeds="distribution/src/test/resources/$relative"
  echo "fuzzing $parser ($class) for ${seconds}s; log $out/log"
  # -Xss as the CLI's default; the heap as bin/peft4j's; timeouts of 10 s an input count as findings.
  if ! java -Dai.djl.offline=true -Xmx2g -cp "$classpath" com.code_intelligence.jazzer.Jazzer \
      --target_class="$class" --instrumentation_includes='dev.peft4j.**:com.typesafe.config.**:com.google.gson.**' \
      --reproducer_path="$out" -artifact_prefix="$out/" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=6144 \
      "$out/corpus" "$seeds" > "$out/log" 2>&1; then
    status=1
    echo "  FINDING: see $out/log and $out/crash-*"
  fi
  grep -E '^Done [0-9]+ runs' "$out/log" | sed "s/^/  $parser: /" || tail -5 "$out/log"
done
exit $status
