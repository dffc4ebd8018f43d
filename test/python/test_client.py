#!/usr/bin/python3
"""test_client.py — python-socketio 5 (Debian python3-socketio) against a real
roomcast-notifier and PostgreSQL (suite 47-python-client).

Asserts, over WebSocket and over long-polling: CONNECT with a token signed by
the extension (auth dict); `join` with its ack; events emitted from SQL arrive
with their offset as the last argument, equal to their `pos` in
roomcast.events and increasing; rpc acks (get_unread_count, mark_read); the
connect_error of a bad, expired and missing token; FORBIDDEN for a join of
another tenant's case and a presence:list of another tenant's room; the
documented example (example_client.py) run as a program; and recovery across
a notifier restart with recovering_client.py. Prints TAP lines.
"""
import json
import os
import subprocess
import sys
import threading
import time

import socketio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rc_harness import Db, Notifier, check, failures, security  # noqa: E402
from recovering_client import RecoveringClient  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Recorder:
    """A python-socketio client that records every event as (name, args)."""

    def __init__(self, client=None):
        self.sio = client or socketio.Client(reconnection=False)
        self.events = []
        self.errors = []
        self.cv = threading.Condition()
        for nsp in ("/", "/notifications"):     # python-socketio 5.7 has no catch-all namespace
            self.sio.on("*", self._any, namespace=nsp)
            self.sio.on("connect_error", self._err, namespace=nsp)

    def _any(self, event, *args):
        with self.cv:
            self.events.append((event, list(args)))
            self.cv.notify_all()

    def _err(self, data):
        with self.cv:
            self.errors.append(data)
            self.cv.notify_all()

    def wait(self, pred, timeout=5):
        """The events accepted by pred once pred(events) says enough, else None."""
        end = time.time() + timeout
        with self.cv:
            while True:
                got = [e for e in self.events if pred(e)]
                if got and (not hasattr(pred, "count") or len(got) >= pred.count):
                    return got
                left = end - time.time()
                if left <= 0:
                    return None
                self.cv.wait(left)


def named(name, count=1):
    pred = lambda e: e[0] == name  # noqa: E731
    pred.count = count
    return pred


def connect(url, token, transport, nsp="/"):
    r = Recorder()
    r.sio.connect(url, auth={"token": token}, transports=[transport], namespaces=[nsp], wait_timeout=5)
    return r


def setup(db):
    t_a, t_b = db.add_tenant("py-a"), db.add_tenant("py-b")
    users = {"a1": db.add_user(t_a, "a1@py.test"), "a2": db.add_user(t_a, "a2@py.test"),
             "b1": db.add_user(t_b, "b1@py.test")}
    # Cases of each tenant under RLS; the room kind "case" lets a user join a
    # case only if it can see it, so another tenant's case is refused.
    db.sql("CREATE SCHEMA app")
    db.sql("CREATE TABLE app.cases (tenant_id uuid NOT NULL, id text NOT NULL, title text, PRIMARY KEY (tenant_id, id))")
    db.sql("SELECT roomcast.protect('app.cases')")
    db.sql("INSERT INTO app.cases VALUES (%s, 'A-1', 'a case of A'), (%s, 'B-1', 'a case of B')", (t_a, t_b))
    db.sql("""CREATE FUNCTION app.may_join_case(user_id uuid, id text) RETURNS boolean
              LANGUAGE sql STABLE AS $$ SELECT EXISTS (SELECT 1 FROM app.cases c WHERE c.id = may_join_case.id) $$""")
    db.sql("GRANT USAGE ON SCHEMA app TO rc_py_notifier")
    db.sql("GRANT SELECT ON app.cases TO rc_py_notifier")
    db.sql("GRANT EXECUTE ON FUNCTION app.may_join_case(uuid, text) TO rc_py_notifier")
    db.sql("SELECT roomcast.register_room_kind('case', 'app.may_join_case(uuid,text)')")
    return t_a, t_b, users


def emit_case(db, tenant, user, n, tag):
    """n events to case A-1, one transaction each, the last two in one transaction."""
    for i in range(n - 2):
        db.as_tenant(tenant, user, "SELECT roomcast.emit(roomcast.room('case', 'A-1'), 'case:updated', %s::jsonb)",
                     (json.dumps({"tag": tag, "i": i}),))
    db.as_tenant(tenant, user, """SELECT roomcast.emit(roomcast.room('case', 'A-1'), 'case:updated', %s::jsonb),
                                         roomcast.emit(roomcast.room('case', 'A-1'), 'case:updated', %s::jsonb)""",
                 (json.dumps({"tag": tag, "i": n - 2}), json.dumps({"tag": tag, "i": n - 1})))


def log_positions(db, tenant, tag):
    return [str(r[0]) for r in db.sql("""SELECT pos FROM roomcast.events WHERE tenant_id = %s
                                         AND room LIKE '%%:case:A-1' AND data->>'tag' = %s ORDER BY pos""", (tenant, tag))]


def test_transport(db, srv, t_a, users, transport):
    tok = db.token(t_a, users["a1"])
    c = connect(srv.url, tok, transport)
    try:
        check(c.wait(named("connected")) is not None and c.sio.transport() == transport,
              f"python client: CONNECT with an extension-signed token in the auth dict over {transport}",
              f"transport {c.sio.transport()}, events {c.events[:5]}")
        ack = c.sio.call("join", {"kind": "case", "id": "A-1"}, timeout=5)
        check(ack == {"success": True, "room": f"tenant:{t_a}:case:A-1"},
              f"python client ({transport}): join is acked {{success, room}}", ack)
        tag = f"ev-{transport}"
        emit_case(db, t_a, users["a2"], 5, tag)
        got = c.wait(named_tag(tag, 5)) or []
        # python-engineio 4 runs each message's handler in a thread of its own,
        # so handlers may see events out of order: order them by offset.
        got = sorted(got, key=lambda e: int(e[1][-1]) if str(e[1][-1]).isdigit() else -1)
        offsets = [e[1][-1] for e in got]
        expected = log_positions(db, t_a, tag)
        check(len(got) == 5 and all(len(e[1]) == 2 and isinstance(e[1][-1], str) for e in got),
              f"python client ({transport}): events emitted from SQL arrive once each as handler(data, offset)", got)
        check(offsets == expected and [e[1][0]["i"] for e in got] == list(range(5))
              and all(int(x) < int(y) for x, y in zip(offsets, offsets[1:])),
              f"python client ({transport}): each offset is the event's pos in roomcast.events; "
              "ordered by offset they are in commit order",
              f"got {offsets}, log {expected}")
        count = c.sio.call("get_unread_count", timeout=5)
        check(isinstance(count, dict) and isinstance(count.get("count"), int),
              f"python client ({transport}): get_unread_count is acked {{count}}", count)
    finally:
        c.sio.disconnect()


def test_inbox(db, srv, t_a, users):
    tok = db.token(t_a, users["a2"])
    n = connect(srv.url, tok, "websocket", "/notifications")
    try:
        first = n.wait(named("notification:unread_count"))
        check(first is not None and first[0][1][0]["count"] == 0,
              "python client: /notifications sends notification:unread_count at CONNECT", n.events)
        ids = [db.as_tenant(t_a, users["a1"], "SELECT roomcast.send_in_app(%s, 'mention', %s)",
                            (users["a2"], f"hello {i}"))[0][0] for i in range(2)]
        new = n.wait(named("notification:new", 2))
        check(new is not None and all(e[1][-1].isdigit() for e in new),
              "python client: notification:new arrives with its offset", new)
        count = n.sio.call("get_unread_count", namespace="/notifications", timeout=5)
        check(count == {"count": 2}, "python client: get_unread_count acked {count: 2} after two notifications", count)
        marked = n.sio.call("mark_read", {"notificationIds": [str(ids[0])]}, namespace="/notifications", timeout=5)
        check(marked == {"success": True, "marked": 1, "unreadCount": 1},
              "python client: mark_read acked {success, marked, unreadCount}", marked)
        bad = n.sio.call("mark_read", {"notificationIds": "not-an-array"}, namespace="/notifications", timeout=5)
        check(isinstance(bad, dict) and bad.get("error", {}).get("code") == "LIMIT_EXCEEDED",
              "python client: mark_read with a bad argument acked {error:{code, message}}", bad)
        recent = n.sio.call("get_recent", {"limit": 10}, namespace="/notifications", timeout=5)
        check(isinstance(recent, dict) and len(recent.get("notifications", [])) == 2,
              "python client: get_recent acked {notifications} (the catch-up of the inbox)", recent)
    finally:
        n.sio.disconnect()


def connect_error(url, auth, transport="websocket"):
    r = Recorder()
    try:
        r.sio.connect(url, auth=auth, transports=[transport], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        pass
    connected = r.sio.connected
    if connected:
        r.sio.disconnect()
    return connected, (r.errors[0] if r.errors else None)


def test_refusals(db, srv, t_a, t_b, users):
    good = db.token(t_a, users["a1"])
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    expired = db.token(t_a, users["a1"], exp=int(time.time()) - 3600)
    for what, auth, code, transport in [("a token with a bad signature", {"token": forged}, "INVALID_TOKEN", "websocket"),
                                        ("a bad token over polling", {"token": "x.y.z"}, "INVALID_TOKEN", "polling"),
                                        ("an expired token", {"token": expired}, "TOKEN_EXPIRED", "websocket"),
                                        ("no token", {}, "UNAUTHORIZED", "websocket")]:
        connected, err = connect_error(srv.url, auth, transport)
        check(not connected and err == {"message": "Unauthorized", "data": {"code": code}},
              f"python client: {what} gets connect_error {{message: Unauthorized, data: {{code: {code}}}}}",
              f"connected={connected} err={err}")
        security("python-client", f"CONNECT with {what}", f"connect_error Unauthorized {code}")

    b = connect(srv.url, db.token(t_b, users["b1"]), "websocket")
    try:
        own = b.sio.call("join", {"kind": "case", "id": "B-1"}, timeout=5)
        other = b.sio.call("join", {"kind": "case", "id": "A-1"}, timeout=5)
        check(own.get("success") is True and other.get("success") is False
              and other.get("error", {}).get("code") == "FORBIDDEN" and other["error"].get("message"),
              "python client: join of another tenant's case is acked {success:false, error:{code:FORBIDDEN, message}}",
              f"own {own}, other {other}")
        security("python-client", "join of another tenant's case id (policy reads under RLS)", "FORBIDDEN")
        pl = b.sio.call("presence:list", {"room": f"tenant:{t_a}:case:A-1"}, timeout=5)
        check(isinstance(pl, dict) and pl.get("error", {}).get("code") == "FORBIDDEN",
              "python client: presence:list of another tenant's room is acked {error:{code:FORBIDDEN}}", pl)
        security("python-client", "presence:list of another tenant's room", "FORBIDDEN")
        emit_case(db, t_a, users["a2"], 2, "not-for-b")
        time.sleep(0.5)
        check(not [e for e in b.events if e[0] == "case:updated"],
              "python client: a refused join receives none of that room's events", b.events)
    finally:
        b.sio.disconnect()


def test_example(db, srv, t_a, users):
    """The program docs/clients.md shows, run as it is."""
    tok = db.token(t_a, users["a1"])
    for transport in ("websocket", "polling"):
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "example_client.py"), srv.url, tok, "case", "A-1",
                              transport, "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)     # connected and joined by now
        emit_case(db, t_a, users["a2"], 3, f"example-{transport}")
        out, err = p.communicate(timeout=20)
        lines, garbled = [], []
        for x in out.splitlines():
            try:
                lines.append(json.loads(x))
            except ValueError:
                garbled.append(x)
        check(not garbled, f"docs example_client.py over {transport}: every output line is one JSON object "
              "(prints from handler threads do not interleave)", "\n".join(garbled))
        evs = sorted((x for x in lines if x.get("event") == "case:updated"), key=lambda x: x["offset"])
        offs = [x["offset"] for x in evs]
        check(p.returncode == 0 and {"transport": transport} in lines
              and any(x.get("join", {}).get("success") for x in lines) and any("unread" in x for x in lines)
              and len(evs) == 3 and offs == [int(o) for o in log_positions(db, t_a, f"example-{transport}")]
              and {"last_offset": offs[-1]} in lines,
              f"docs example_client.py over {transport}: joins, gets the unread count and 3 events with their offsets",
              out + err)
    p = subprocess.run([sys.executable, os.path.join(HERE, "example_client.py"), srv.url, "bad", "case", "A-1"],
                       capture_output=True, text=True, timeout=20)
    check(p.returncode == 1 and '"INVALID_TOKEN"' in p.stdout,
          "docs example_client.py with a bad token prints the connect_error and exits 1", p.stdout + p.stderr)


def test_no_builtin_recovery_and_recovering_client(db, srv, t_a, users):
    # python-socketio 5.7 itself: the CONNECT reply's pid is dropped, the
    # reconnect auth is the same dict (no pid, no offset).
    plain = socketio.Client(reconnection=False)
    plain.connect(srv.url, auth={"token": db.token(t_a, users["a1"])}, transports=["websocket"], wait_timeout=5)
    kept = dict(plain.namespaces)
    plain.disconnect()
    check(list(kept) == ["/"] and kept["/"] and not hasattr(plain, "pid"),
          "python-socketio 5.7 keeps only the sid of the CONNECT reply (no built-in recovery)", kept)

    rc = RecoveringClient(db.token(t_a, users["a1"]), reconnection=True, reconnection_delay=0.2,
                          reconnection_delay_max=0.5, randomization_factor=0)
    r = Recorder(rc)
    rc.connect(srv.url, auth=rc.auth, transports=["websocket"], wait_timeout=5)
    try:
        rc.call("join", {"kind": "case", "id": "A-1"}, timeout=5)
        emit_case(db, t_a, users["a2"], 2, "before-restart")
        r.wait(named("case:updated", 2))
        pid, offset = rc.pid, rc.offset
        # the notifier restarts (SIGTERM: drain, close 1001); meanwhile 3 events commit
        status = srv.stop()
        emit_case(db, t_a, users["a2"], 3, "while-down")
        srv.start(srv.port)
        end = time.time() + 15
        while time.time() < end and not (rc.connected and rc.recovered):
            time.sleep(0.1)
        got = r.wait(named_tag("while-down", 3)) or []
        check(status == 0 and pid and offset and rc.recovered and rc.pid == pid
              and sorted((e[1][-1] for e in got), key=int) == log_positions(db, t_a, "while-down"),
              "recovering_client.py: after a notifier restart it reconnects with {token, pid, offset}, "
              "is recovered (same pid) and gets exactly the 3 missed events, once",
              f"status {status} pid {pid}->{rc.pid} recovered {rc.recovered} offset {offset} got {got}")
        emit_case(db, t_a, users["a2"], 2, "after-recovery")
        check(r.wait(named_tag("after-recovery", 2)) is not None,
              "recovering_client.py: the recovered session is still in its room (live events arrive)", r.events[-5:])
    finally:
        rc.reconnection = False
        rc.disconnect()


def named_tag(tag, count):
    pred = lambda e: e[0] == "case:updated" and e[1][0].get("tag") == tag  # noqa: E731
    pred.count = count
    return pred


def main():
    db = Db("rc_py_client")
    srv = None
    try:
        t_a, t_b, users = setup(db)
        srv = Notifier(["--db", db.conninfo])
        for transport in ("websocket", "polling"):
            test_transport(db, srv, t_a, users, transport)
        test_inbox(db, srv, t_a, users)
        test_refusals(db, srv, t_a, t_b, users)
        test_example(db, srv, t_a, users)
        test_no_builtin_recovery_and_recovering_client(db, srv, t_a, users)
    finally:
        if srv:
            srv.stop()
        db.close()
    return 1 if failures() else 0


if __name__ == "__main__":
    sys.exit(main())
