"""Two operator traces side by side: peft4j's (TrainingBenchmark -Dpeft4j.bench.profile=FILE, libtorch's profiler
through DJL) and transformers' (hf_train.py --profile FILE, torch.profiler), both of steps 4 and 5.

For each operator name (or name and input shapes, --by-shape): calls and self time (the operator's time less that of
the operators it called) on each side, and the difference, largest first; then the time outside any operator.
    python compare_traces.py OURS.json THEIRS.json [--by-shape] [--top 25] [--prefix aten::]
"""
import argparse
import json
from collections import defaultdict


def events(path):
    """The complete ('X') events of a Chrome trace: a list, or an object with traceEvents."""
    with open(path) as f:
        data = json.load(f)
    if isinstance(data, dict):
        data = data.get("traceEvents", [])
    out = []
    for e in data:
        if e.get("ph") != "X" or "dur" not in e:
            continue
        args = e.get("args") or {}
        shapes = args.get("Input Dims", e.get("shape"))  # torch.profiler, DJL (libtorch's legacy profiler)
        out.append((e.get("pid"), e.get("tid"), float(e["ts"]), float(e["dur"]), e["name"],
                    json.dumps(shapes, separators=(",", ":")) if shapes is not None else ""))
    return out


def self_times(evs, prefix, by_shape):
    """Calls and self time (ms) per key, and the time (ms) between top-level operators on their threads."""
    calls = defaultdict(int)
    time = defaultdict(float)
    outside = 0.0
    threads = defaultdict(list)
    for pid, tid, ts, dur, name, shapes in evs:
        threads[(pid, tid)].append((ts, -dur, name, shapes))

    def close(entry):
        key = entry[1]
        if key is not None:
            calls[key] += 1
            time[key] += entry[2] / 1000

    for evs_of_thread in threads.values():
        evs_of_thread.sort()
        stack = []  # [end, key, self time so far]
        last_top_end = None
        for ts, negdur, name, shapes in evs_of_thread:
            dur = -negdur
            while stack and stack[-1][0] <= ts:
                close(stack.pop())
            if not stack:
                if last_top_end is not None and ts > last_top_end:
                    outside += (ts - last_top_end) / 1000
                last_top_end = ts + dur if last_top_end is None else max(last_top_end, ts + dur)
            else:
                stack[-1][2] -= dur
            key = None
            if name.startswith(prefix):
                key = (name, shapes) if by_shape else (name, "")
            stack.append([ts + dur, key, dur])
        while stack:
            close(stack.pop())
    return calls, time, outside


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("ours")
    parser.add_argument("theirs")
    parser.add_argument("--by-shape", action="store_true", help="one row per operator and input shapes")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--prefix", default="aten::", help="only operators whose names start with this")
    args = parser.parse_args()
    ours = self_times(events(args.ours), args.prefix, args.by_shape)
    theirs = self_times(events(args.theirs), args.prefix, args.by_shape)
    keys = set(ours[0]) | set(theirs[0])
    rows = sorted(keys, key=lambda k: -abs(ours[1].get(k, 0) - theirs[1].get(k, 0)))
    total_ours, total_theirs = sum(ours[1].values()), sum(theirs[1].values())
    print(f"self time of {args.prefix}* operators: peft4j {total_ours:,.1f} ms, transformers {total_theirs:,.1f} ms, "
          f"difference {total_ours - total_theirs:+,.1f} ms")
    print(f"outside any operator: peft4j {ours[2]:,.1f} ms, transformers {theirs[2]:,.1f} ms")
    print()
    print("| operator | calls peft4j / theirs | self ms peft4j / theirs | difference ms |")
    print("|---|---|---|---|")
    for k in rows[:args.top]:
        name = k[0] + (" " + k[1] if k[1] else "")
        print(f"| {name} | {ours[0].get(k, 0)} / {theirs[0].get(k, 0)} | {ours[1].get(k, 0):,.1f} / "
              f"{theirs[1].get(k, 0):,.1f} | {ours[1].get(k, 0) - theirs[1].get(k, 0):+,.1f} |")


if __name__ == "__main__":
    main()
