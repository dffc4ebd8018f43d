"""rc_harness.py — what the Python suites need around a roomcast client test:
a private database with the extension (python3-psycopg), tokens signed by the
extension, a notifier started against it, and TAP output.

Used by test/python/test_client.py (suite 47-python-client) and
test/python/check_metrics.py (suite 48-operations). Runs under test/run, which
exports PGHOST/PGPORT (the private PostgreSQL) and RC_NOTIFIER (the binary).
"""
import json
import os
import signal
import subprocess
import time
import urllib.request
import uuid

import psycopg

_failures = 0


def check(ok, what, detail=""):
    """Print one TAP line; on failure also the detail (to stdout, indented)."""
    global _failures
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        _failures += 1
        if detail:
            for line in str(detail).splitlines()[:20]:
                print("#   " + line, flush=True)
    return ok


def failures():
    return _failures


def security(area, hostile, outcome):
    """One line for docs/security.md's table of hostile inputs tried."""
    print(f"SECURITY|{area}|{hostile}|{outcome}", flush=True)


class Db:
    """Database `name`, recreated, with roomcast, signing key "k1" and a LOGIN
    role granted roomcast_notifier for the notifier (conninfo)."""

    def __init__(self, name, notifier_role="rc_py_notifier"):
        self.name = name
        with psycopg.connect(dbname="postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
            admin.execute(f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{notifier_role}') THEN
                  CREATE ROLE {notifier_role} LOGIN;
                END IF; END $$""")
        self.conn = psycopg.connect(dbname=name, autocommit=True)
        self.sql("SET client_min_messages = warning")
        self.sql("CREATE EXTENSION roomcast CASCADE")
        self.sql("CREATE EXTENSION IF NOT EXISTS pgcrypto")
        self.sql(f"GRANT roomcast_notifier TO {notifier_role}")
        self.sql("SELECT roomcast.add_signing_key('k1', gen_random_bytes(32))")
        self.conninfo = (f"host={os.environ['PGHOST']} port={os.environ['PGPORT']} "
                         f"dbname={name} user={notifier_role}")

    def sql(self, q, params=None):
        cur = self.conn.execute(q, params)
        return cur.fetchall() if cur.description else None

    def add_tenant(self, slug):
        t = str(uuid.uuid4())
        self.sql("INSERT INTO roomcast.tenants (id, slug, name) VALUES (%s, %s, %s)", (t, slug, slug))
        return t

    def add_user(self, tenant, email):
        u = str(uuid.uuid4())
        self.sql("INSERT INTO roomcast.users (tenant_id, id, email, role) VALUES (%s, %s, %s, 'member')",
                 (tenant, u, email))
        return u

    def token(self, tenant, user, ttl="1 hour", **extra):
        claims = {"sub": user, "tenantId": tenant, "role": "member", "email": f"{user[:8]}@py.test", **extra}
        return self.sql("SELECT roomcast.sign(%s::jsonb, %s::interval)", (json.dumps(claims), ttl))[0][0]

    def as_tenant(self, tenant, user, q, params=None):
        """Run q in one committed transaction acting as (tenant, user)."""
        with psycopg.connect(dbname=self.name) as c:
            c.execute("SELECT roomcast.set_identity(%s, %s, 'member')", (tenant, user))
            cur = c.execute(q, params)
            rows = cur.fetchall() if cur.description else None
            c.commit()
            return rows

    def close(self):
        self.conn.close()


def free_port():
    """A loopback port nothing listens on, below the ephemeral range (as
    rc_free_port in test/lib/servers.sh does)."""
    out = subprocess.run(["bash", "-c", f". '{os.environ['RC_ROOT']}/test/lib/servers.sh'; rc_free_port"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def http_get(url, timeout=2):
    """(status, body) of a GET; status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return 0, ""


class Notifier:
    """roomcast-notifier with args, on a free loopback port, started until
    /healthz answers 200. A port taken between probe and bind (exit 1, "cannot
    listen") is retried on another port. stop() drains it with SIGTERM."""

    def __init__(self, args, env=None, port=None, log_path=None):
        self.args = list(args)
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_path or os.path.join(os.environ.get("RC_TMP", "/tmp"), f"notifier-{os.getpid()}.log")
        self.proc = None
        self.start(port)

    def start(self, port=None):
        for _ in range(5):
            self.port = port or free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self.log = open(self.log_path, "a")
            self.proc = subprocess.Popen([os.environ["RC_NOTIFIER"], "--listen", f"127.0.0.1:{self.port}", *self.args],
                                         env=self.env, stdout=subprocess.DEVNULL, stderr=self.log)
            for _ in range(200):
                if self.proc.poll() is not None:
                    break
                if http_get(self.url + "/healthz", 1)[0] == 200:
                    return
                time.sleep(0.05)
            if self.proc.poll() is None:
                raise RuntimeError(f"notifier on {self.url}: /healthz not 200 in 10 s (see {self.log_path})")
            if port is not None or "cannot listen" not in self.stderr():
                raise RuntimeError(f"notifier exited {self.proc.returncode}: {self.stderr()[-500:]}")
        raise RuntimeError("notifier: no free port after 5 tries")

    def stderr(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        """Signal the notifier and wait; returns its exit status."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode if self.proc else None
