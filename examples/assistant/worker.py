#!/usr/bin/env python3
"""roomcast assistant worker: claims jobs of kind "assistant" and streams a reply.

A worker for the job queue of SPEC §9, in Python with psycopg 3 (Debian
python3-psycopg). It waits on LISTEN roomcast_jobs (a wake-up hint only:
anyone can NOTIFY, so it never trusts the payload, it just calls claim()),
claims one job at a time, and streams a deterministic stand-in for a model
reply word by word with roomcast.chunk(). No network, no model.

  - honours cancellation: chunk()/progress() return false once the requester
    cancelled; the worker stops at once and does not complete
  - fails retryably when the prompt contains the marker "[fail-once]" on the
    first attempt ("[fail-always]" on every attempt), so retries and back-off
    can be seen; "[fail-fatal]" fails without retry
  - acts for the requester (roomcast.act_for_job) when it reads tenant data,
    so row-level security applies as for the user

Usage: worker.py --dsn "dbname=app user=assistant_worker" [--word-delay 0.05]
       [--idle-exit SECONDS] [--max-jobs N]
The role in the DSN must be a member of roomcast_worker.
"""

import argparse
import json
import select
import sys
import time

import psycopg

KIND = "assistant"


def log(*args):
    print("assistant-worker:", *args, file=sys.stderr, flush=True)


def reply_words(prompt, words):
    """The deterministic stand-in for a model: a reply of `words` words about the prompt."""
    base = ("Here is what I found about: " + prompt.strip() + ".").split()
    filler = "This answer is streamed word by word from the database job queue".split()
    out = list(base)
    i = 0
    while len(out) < words:
        out.append(filler[i % len(filler)])
        i += 1
    return out[:max(words, 1)]


def wait_for_wakeup(conn, timeout):
    """Block until a notification on roomcast_jobs arrives or timeout passes.

    The payload is ignored on purpose: it is a hint, and claim() decides.
    Returns the number of notifications drained.
    """
    ready, _, _ = select.select([conn.fileno()], [], [], timeout)
    if not ready:
        return 0
    got = 0
    conn.pgconn.consume_input()
    while conn.pgconn.notifies() is not None:
        got += 1
    return got


def run_job(conn, job, word_delay):
    """Stream the reply of one claimed job; returns 'completed', 'failed', 'retry' or 'cancelled'."""
    jid = job["id"]
    payload = job.get("payload") or {}
    prompt = str(payload.get("prompt", ""))
    attempt = int(job.get("attempt", 1))
    if "[fail-fatal]" in prompt:
        conn.execute("SELECT roomcast.fail(%s, %s, false)", (jid, "the model refused this prompt"))
        return "failed"
    if "[fail-always]" in prompt or ("[fail-once]" in prompt and attempt == 1):
        conn.execute("SELECT roomcast.fail(%s, %s, true)", (jid, "model overloaded (attempt %d)" % attempt))
        return "retry"

    words = reply_words(prompt, int(payload.get("words", 12)))
    text = []
    for seq, word in enumerate(words):
        piece = word if seq == 0 else " " + word
        alive = conn.execute("SELECT roomcast.chunk(%s, %s, %s)", (jid, seq, piece)).fetchone()[0]
        if not alive:
            return "cancelled"
        text.append(piece)
        if seq % 5 == 4:
            pct = int(100 * (seq + 1) / len(words))
            if not conn.execute("SELECT roomcast.progress(%s, %s)", (jid, min(pct, 99))).fetchone()[0]:
                return "cancelled"
        if word_delay > 0:
            time.sleep(word_delay)
    result = {"text": "".join(text), "words": len(words), "attempt": attempt}
    done = conn.execute("SELECT roomcast.complete(%s, %s::jsonb)", (jid, json.dumps(result))).fetchone()[0]
    return "completed" if done else "cancelled"


def main():
    ap = argparse.ArgumentParser(description="roomcast assistant worker")
    ap.add_argument("--dsn", required=True, help="libpq connection string; its role is in roomcast_worker")
    ap.add_argument("--word-delay", type=float, default=0.05, help="seconds between streamed words")
    ap.add_argument("--lease", default="30 s", help="claim lease; every chunk renews it")
    ap.add_argument("--idle-exit", type=float, default=0, help="exit after this many idle seconds (0: never)")
    ap.add_argument("--max-jobs", type=int, default=0, help="exit after this many jobs (0: never)")
    ap.add_argument("--poll", type=float, default=1.0,
                    help="longest wait without a notification (delayed and retried jobs fall due silently)")
    args = ap.parse_args()

    conn = psycopg.connect(args.dsn, autocommit=True)
    # notifications that arrive while a query runs are handed to this handler,
    # not to select(): count them so the loop claims again instead of waiting
    pending = [0]
    conn.add_notify_handler(lambda n: pending.__setitem__(0, pending[0] + 1))
    conn.execute("LISTEN roomcast_jobs")
    log("listening on roomcast_jobs")
    handled = 0
    idle_since = time.monotonic()
    while True:
        row = conn.execute("SELECT roomcast.claim(ARRAY[%s], 1, %s::interval)", (KIND, args.lease)).fetchone()
        if row is None:
            if args.idle_exit and time.monotonic() - idle_since > args.idle_exit:
                log("idle, exiting after %d jobs" % handled)
                return 0
            if pending[0]:
                pending[0] = 0
                continue
            wait_for_wakeup(conn, args.poll)
            continue
        job = row[0]
        outcome = run_job(conn, job, args.word_delay)
        log("job %s attempt %s: %s" % (job["id"], job.get("attempt"), outcome))
        handled += 1
        idle_since = time.monotonic()
        if args.max_jobs and handled >= args.max_jobs:
            return 0


if __name__ == "__main__":
    sys.exit(main())
