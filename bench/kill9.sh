#!/usr/bin/env bash
# The kill -9 probe of the reliability issue: trains the tiny model once without interruption (the reference),
# then TRIALS times kills a run with SIGKILL at a random moment, in every second trial damages the newest
# checkpoint it left (100 flipped bytes in its weights), and resumes. Each trial must end with exit 0, the loss
# lines and the final model.safetensors byte-identical to the reference, one eval line a step, no temporary
# folder left, and (when a checkpoint was damaged) a message that it was passed over. A second run started into
# a folder in use must be refused with the first one's pid.
#
#   bench/kill9.sh [TRIALS]      (default 20; about 15 s a trial on 2 cores)
#
# Prints one line a trial and a summary; exits 1 when a trial fails. Work folder: bench/kill9.out (kept).
set -uo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peft4j="$home/bin/peft4j"
trials="${1:-20}"
work="$home/bench/kill9.out"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
"$peft4j" init-model --size tiny --out model > /dev/null
data="$home/examples/data"
cat > run.conf <<CONF
model.path = model
methods = [full]
data { train = "$data/train.jsonl", eval = "$data/eval.jsonl", cutoff-len = 64 }
training { learning-rate = 1e-3, epochs = 1, batch-size = 8, max-steps = 12, logging-steps = 1, eval-steps = 4,
           save-steps = 2, warmup-steps = 1, threads = 2 }
output.dir = out
CONF
losses() { grep '"loss"' "$1" | sed 's/,"tokens_per_second":[^,]*//' ; }
"$peft4j" train run.conf --set output.dir=reference > reference.log 2>&1 || { echo "the reference run failed"; exit 1; }
reference_model="$(sha256sum reference/model/model.safetensors | cut -d' ' -f1)"
losses reference/metrics.jsonl > reference.losses
seconds="$( (time -p "$peft4j" train run.conf --set output.dir=timing > /dev/null 2>&1) 2>&1 | awk '/^real/ {print $2}')"

passed=0; failed=0; damaged_trials=0
for trial in $(seq 1 "$trials"); do
  out="trial-$trial"; log="$out.log"
  "$peft4j" train run.conf --set output.dir="$out" > "$log" 2>&1 &
  pid=$!
  # Anywhere in the run, JVM start included.
  sleep "$(awk -v s="$seconds" -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.5 + (s - 0.5) * r / 32768 }')"
  if [ "$trial" -eq 1 ]; then
    # While it runs: a second run into the same folder is refused, naming it.
    "$peft4j" train run.conf --set output.dir="$out" > "$out.second.log" 2>&1
    if ! grep -q "is in use by another run (pid" "$out.second.log" && kill -0 "$pid" 2>/dev/null; then
      echo "trial $trial: a second run into the folder was not refused"; failed=$((failed + 1))
    fi
  fi
  pkill -KILL -P "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  newest="$(ls -d "$out"/checkpoints/step-* 2>/dev/null | sort | tail -n 1)"
  damaged=""
  if [ $((trial % 2)) -eq 0 ] && [ -n "$newest" ] && [ "$(ls -d "$out"/checkpoints/step-* | wc -l)" -gt 1 ]; then
    python3 - "$newest/trainable.safetensors" <<'PY'
import sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
for i in range(100):
    data[len(data) - 1 - i * 37] ^= 0x5A
open(path, 'wb').write(bytes(data))
PY
    damaged="$(basename "$newest")"; damaged_trials=$((damaged_trials + 1))
  fi
  if [ -n "$newest" ]; then
    "$peft4j" train run.conf --set output.dir="$out" --resume >> "$log" 2>&1; status=$?
  else
    "$peft4j" train run.conf --set output.dir="$out" >> "$log" 2>&1; status=$?
  fi
  problems=()
  [ "$status" -eq 0 ] || problems+=("exit $status")
  [ -f "$out/model/model.safetensors" ] && [ "$(sha256sum "$out/model/model.safetensors" | cut -d' ' -f1)" = "$reference_model" ] \
    || problems+=("model differs")
  losses "$out/metrics.jsonl" | cmp -s - reference.losses || problems+=("loss lines differ")
  [ "$(grep -c eval_loss "$out/metrics.jsonl")" -eq "$(grep -o '"step":[0-9]*,"eval_loss"' "$out/metrics.jsonl" | sort -u | wc -l)" ] \
    || problems+=("duplicate eval lines")
  [ -z "$(find "$out" -name '.*.tmp-*' -o -name '.*.old-*')" ] || problems+=("temporary folders left")
  if [ -n "$damaged" ]; then
    grep -q "$damaged is damaged" "$log" && grep -q "newest good checkpoint" "$log" || problems+=("damage not reported")
  fi
  resumed="$(grep -o 'resuming from [^ ]*' "$log" | tail -n 1)"
  if [ ${#problems[@]} -eq 0 ]; then
    passed=$((passed + 1)); echo "trial $trial: ok (${resumed:-no checkpoint yet: trained anew}${damaged:+; $damaged damaged, passed over})"
  else
    failed=$((failed + 1)); echo "trial $trial: FAILED: ${problems[*]} (see $log)"
  fi
done
echo "kill -9 probe: $passed of $trials trials passed, $failed failed; $damaged_trials with a damaged newest checkpoint"
[ "$failed" -eq 0 ]
