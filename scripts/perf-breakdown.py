#!/usr/bin/env python3
"""Where a process's CPU time goes, from `perf script -F comm,ip,sym` output
of a `perf record --call-graph dwarf` run: each sample is put in the first
bucket whose pattern matches any frame of its stack.

    perf script -i perf.data -F comm,ip,sym > perf.script
    scripts/perf-breakdown.py perf.script
"""

import re
import sys

# Checked in order; the first bucket with a matching frame takes the sample.
BUCKETS = [
    (
        "Argon2id: allocating, zeroing and faulting in its 19 MiB",
        lambda s: has(s, r"argon2") and has(s, r"memset|page_fault|alloc_zeroed|calloc|Blocks::new|munmap|mmap"),
    ),
    ("Argon2id: computing (fill_blocks, compress, blake2)", lambda s: has(s, r"argon2|blake2")),
    ("SQLite and sqlx (queries, locks, worker threads)", lambda s: has(s, r"sqlite3|sqlx|libsqlite")),
    ("HMAC/SHA-256 (key-card codes, cookies, audit chain)", lambda s: has(s, r"sha2|hmac|Sha256")),
    ("HTML templates (askama)", lambda s: has(s, r"askama|Template|render")),
    ("HTTP: hyper, axum, tower, forms, cookies", lambda s: has(s, r"hyper|axum|tower|serde_urlencoded|cookie")),
    ("JSON (flow state, audit details)", lambda s: has(s, r"serde_json")),
    ("malloc/free", lambda s: has(s, r"malloc|_int_free|cfree|realloc")),
    ("tokio, futex, scheduler, epoll (thread hand-offs)", lambda s: has(s, r"tokio|futex|schedule|switch|epoll|park")),
    ("other kernel", lambda s: any(f[0].startswith("ffffffff") for f in s)),
    ("other", lambda s: True),
]


def has(stack, pattern):
    rx = re.compile(pattern)
    return any(rx.search(sym) for _, sym in stack)


def samples(lines):
    stack = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield stack
            stack = []
            continue
        if line[:1] in (" ", "\t"):
            parts = line.strip().split(None, 1)
            stack.append((parts[0], parts[1] if len(parts) > 1 else ""))
    if stack:
        yield stack


def main():
    counts = {name: 0 for name, _ in BUCKETS}
    total = 0
    with open(sys.argv[1], errors="replace") as f:
        for stack in samples(f):
            total += 1
            for name, matches in BUCKETS:
                if matches(stack):
                    counts[name] += 1
                    break
    print(f"{total} samples")
    for name, _ in BUCKETS:
        if counts[name]:
            print(f"{100.0 * counts[name] / max(total, 1):5.1f} %  {name}")


if __name__ == "__main__":
    main()
