#!/usr/bin/python3
"""check_operations.py — the operations examples against a real notifier and
PostgreSQL (suite 48-operations). Prints TAP lines.

- examples/systemd/roomcast-notifier.service: has the hardening directives
  docs/operations.md promises; `systemd-analyze verify` reports nothing about it.
- examples/systemd/roomcast-notifier.env: a line for every option of --help,
  values systemd and the notifier read alike.
- The unit's ExecStart, run with exactly the environment file's variables
  (only --listen and --db overridden for the test), serves /healthz with the
  database up, logs JSON lines, survives the unit's ExecReload (SIGHUP), and
  exits 0 on the unit's KillSignal.
- After some traffic, every metric the alert rules and the Grafana dashboard
  use is in that notifier's /metrics (with the label values they match on);
  the dashboard is valid JSON; every exported family is in the metrics table
  of docs/operations.md and every row of that table is exported.
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time

import socketio
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rc_harness import Db, Notifier, check, failures, free_port, http_get, security  # noqa: E402,F401

ROOT = os.environ["RC_ROOT"]
UNIT = os.path.join(ROOT, "examples/systemd/roomcast-notifier.service")
ENVF = os.path.join(ROOT, "examples/systemd/roomcast-notifier.env")
ALERTS = os.path.join(ROOT, "examples/prometheus/roomcast-alerts.yml")
PROM = os.path.join(ROOT, "examples/prometheus/prometheus.yml")
DASH = os.path.join(ROOT, "examples/grafana/roomcast-notifier.json")
OPSDOC = os.path.join(ROOT, "docs/operations.md")

HARDENING = ["DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
             "PrivateDevices=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes", "ProtectKernelLogs=yes",
             "ProtectControlGroups=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces=yes",
             "LockPersonality=yes", "MemoryDenyWriteExecute=yes", "SystemCallFilter=@system-service",
             "CapabilityBoundingSet=", "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID"]


def unit_lines():
    """[Service] etc. directives as (key, value), comments dropped."""
    out = []
    for line in open(UNIT):
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, v = line.split("=", 1)
            out.append((k, v))
    return out


def env_file():
    """The environment file's assignments, read as systemd reads an unquoted file."""
    env, bad = {}, []
    for n, line in enumerate(open(ENVF), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        k, _, v = line.partition("=")
        if not re.fullmatch(r"ROOMCAST_[A-Z_]+", k) or re.search(r"[\"'\\]|^\s|\s$", v):
            bad.append(f"line {n}: {line}")
        env[k] = v
    return env, bad


def expand(word, env):
    """systemd's $VAR / ${VAR} expansion in ExecStart words."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), word)


def check_unit():
    text = open(UNIT).read()
    lines = {f"{k}={v}" for k, v in unit_lines()}
    missing = [d for d in HARDENING if d not in lines]
    check(not missing, "systemd unit: has every hardening directive docs/operations.md lists", f"missing: {missing}")
    nofile = dict(unit_lines()).get("LimitNOFILE", "0")
    maxconns = int(env_file()[0].get("ROOMCAST_MAX_CONNS", "10000"))
    check(nofile.isdigit() and int(nofile) >= maxconns + 64 + 64 + 100,
          "systemd unit: LimitNOFILE covers ROOMCAST_MAX_CONNS + 64 over-limit answers + database/Redis connections",
          f"LimitNOFILE={nofile}, max-conns {maxconns}")
    # verify a copy whose ExecStart is the binary under test (the installed
    # path may be missing) and whose EnvironmentFile is the example
    tmp = os.path.join(os.environ.get("RC_TMP", "/tmp"), "roomcast-notifier.service")
    with open(tmp, "w") as f:
        f.write(text.replace("/usr/local/bin/roomcast-notifier", os.environ["RC_NOTIFIER"])
                    .replace("/etc/roomcast/roomcast-notifier.env", ENVF))
    try:
        p = subprocess.run(["systemd-analyze", "verify", tmp], capture_output=True, text=True, timeout=60)
        about = [x for x in (p.stdout + p.stderr).splitlines() if "roomcast-notifier" in x]
        check(p.returncode == 0 and not about, "systemd unit: `systemd-analyze verify` accepts it without a warning",
              f"exit {p.returncode}: " + "\n".join(about or (p.stdout + p.stderr).splitlines()[-5:]))
    except FileNotFoundError:
        check(False, "systemd unit: `systemd-analyze verify` accepts it (systemd-analyze missing: see test/lib/deps.sh)")


def check_env_file():
    env, bad = env_file()
    helptext = subprocess.run([os.environ["RC_NOTIFIER"], "--help"], capture_output=True, text=True).stdout
    options = sorted(set(re.findall(r"env (ROOMCAST_[A-Z_]+)", helptext)))
    listed = set(re.findall(r"^#?(ROOMCAST_[A-Z_]+)=", open(ENVF).read(), re.M))
    missing = [o for o in options if o not in listed]
    check(options and not missing, f"environment file: a line for each of the {len(options)} options of --help",
          f"missing: {missing}")
    unknown = [k for k in listed if k not in options]
    check(not unknown, "environment file: no setting the notifier does not know", unknown)
    check(not bad, "environment file: unquoted values without backslashes (systemd and --config read them alike)", bad)
    return env


def start_like_systemd(env, db):
    """ExecStart with exactly the env file's variables; --listen/--db overridden."""
    svc = dict(unit_lines())
    argv = [expand(w, env) for w in shlex.split(svc["ExecStart"])]
    argv[0] = os.environ["RC_NOTIFIER"]
    port = free_port()
    log = os.path.join(os.environ.get("RC_TMP", "/tmp"), "ops-notifier.log")
    logf = open(log, "w")
    proc = subprocess.Popen(argv + ["--listen", f"127.0.0.1:{port}", "--db", db.conninfo],
                            env={"PATH": "/usr/bin:/bin", **env}, stdout=subprocess.DEVNULL, stderr=logf)
    url = f"http://127.0.0.1:{port}"
    status, body = 0, ""
    for _ in range(200):
        status, body = http_get(url + "/healthz", 1)
        if status == 200 or proc.poll() is not None:
            break
        time.sleep(0.05)
    return proc, url, log, logf, status, body


def json_log_lines(log):
    lines = open(log).read().splitlines()
    try:
        parsed = [json.loads(x) for x in lines]
        return parsed if all({"ts", "level", "msg"} <= set(p) for p in parsed) else None
    except ValueError:
        return None


def traffic(url, db):
    """Connects over both transports, a join, events from SQL, requests, refusals."""
    t = db.add_tenant("ops")
    u = db.add_user(t, "ops@py.test")
    db.sql("SELECT roomcast.register_room_kind('doc')")
    clients = []
    for transport in ("websocket", "polling"):
        c = socketio.Client(reconnection=False)
        c.connect(url, auth={"token": db.token(t, u)}, transports=[transport], wait_timeout=5)
        c.call("join", {"kind": "doc", "id": "1"}, timeout=5)
        c.call("get_unread_count", timeout=5)
        clients.append(c)
    for i in range(5):
        db.as_tenant(t, u, "SELECT roomcast.emit(roomcast.room('doc', '1'), 'doc:changed', %s::jsonb)",
                     (json.dumps({"i": i}),))
    time.sleep(0.5)
    bad = socketio.Client(reconnection=False)
    try:
        bad.connect(url, auth={"token": "not.a.token"}, transports=["websocket"], wait_timeout=3)
    except socketio.exceptions.ConnectionError:
        pass
    return clients


def parse_metrics(text):
    """({family: type}, {sample name: [label dicts]})"""
    families, samples = {}, {}
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            families[m.group(1)] = m.group(2)
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ", line)
        if m and not line.startswith("#"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
            samples.setdefault(m.group(1), []).append(labels)
    return families, samples


PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or",
                "unless", "le", "inf", "nan"}
NOT_OURS = {"up", "probe_success"}     # made by Prometheus / the blackbox exporter


def metric_refs(expr):
    """(metric names, [(name, label, op, value)]) used in a PromQL expression."""
    refs = []
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}", expr):
        for lab, op, val in re.findall(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"', m.group(2)):
            refs.append((m.group(1), lab, op, val))
    bare = re.sub(r'"[^"]*"', '""', expr)
    bare = re.sub(r"\{[^}]*\}", "", bare)
    bare = re.sub(r"\[[^\]]*\]", "", bare)
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    names = set()
    for m in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", bare):
        w = m.group(1)
        if w.lower() not in PROMQL_WORDS and not re.fullmatch(r"\d+[smhdwy]?", w):
            names.add(w)
    return names, refs


def check_expressions(where, exprs, families, samples):
    unknown, badlabels = [], []
    for e in exprs:
        names, refs = metric_refs(e)
        for n in names:
            if n not in samples and n not in NOT_OURS:
                unknown.append(f"{n} in {e}")
        for name, lab, op, val in refs:
            if name in NOT_OURS or lab == "instance" or lab == "job" or op not in ("=", "=~"):
                continue
            have = {s.get(lab) for s in samples.get(name, [])}
            wanted = [val] if op == "=" else val.split("|")
            if not all(re.fullmatch(r"[A-Za-z0-9_+.]+", w) for w in wanted):
                continue
            for w in wanted:
                if w not in have:
                    badlabels.append(f'{name}{{{lab}="{w}"}} (exported: {sorted(x for x in have if x)})')
    check(exprs and not unknown, f"{where}: every metric in its {len(exprs)} expressions is exported by the notifier",
          "\n".join(unknown))
    check(not badlabels, f"{where}: every label value it matches on is exported", "\n".join(badlabels))


def check_metrics(url):
    status, text = http_get(url + "/metrics")
    families, samples = parse_metrics(text)
    check(status == 200 and len(families) >= 20, f"/metrics: {len(families)} metric families after traffic",
          text[:300])
    check(samples.get("roomcast_deliveries_total") is not None
          and re.search(r"^roomcast_deliveries_total [1-9]", text, re.M),
          "/metrics: the traffic shows (deliveries counted)", re.findall(r"^roomcast_deliveries_total.*", text, re.M))

    rules = yaml.safe_load(open(ALERTS))
    rule_list = [r for g in rules.get("groups", []) for r in g.get("rules", [])]
    shape = [r.get("alert") for r in rule_list
             if not (r.get("alert") and r.get("expr") and r.get("labels", {}).get("severity")
                     and r.get("annotations", {}).get("summary"))]
    check(rule_list and not shape, f"alert rules: {len(rule_list)} rules, each with alert, expr, severity, summary",
          shape)
    check_expressions("alert rules", [r["expr"] for r in rule_list], families, samples)

    prom = yaml.safe_load(open(PROM))
    jobs = {j["job_name"]: j for j in prom.get("scrape_configs", [])}
    check("roomcast-alerts.yml" in prom.get("rule_files", []) and jobs.get("roomcast-notifier", {}).get(
        "metrics_path") == "/metrics",
          "prometheus.yml: scrapes /metrics, loads the alert rules", list(jobs))
    # the database-down alert reads roomcast_db_up, not a blackbox probe of /healthz
    down = [r for r in rule_list if "roomcast_db_up" in r.get("expr", "")]
    check(down and down[0].get("labels", {}).get("severity") == "page"
          and not any("probe_success" in r.get("expr", "") for r in rule_list),
          "alert rules: the database-down alert pages on roomcast_db_up (no blackbox probe)", [r.get("alert") for r in rule_list])

    try:
        dash = json.load(open(DASH))
        ok = True
    except ValueError as e:
        dash, ok = {}, str(e)
    panels = [p for p in dash.get("panels", []) if p.get("type") != "row"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    ids = [p.get("id") for p in dash.get("panels", [])]
    check(ok is True and panels and all(p.get("targets") and p.get("title") for p in panels)
          and len(ids) == len(set(ids)) and dash.get("uid") and dash.get("schemaVersion"),
          f"grafana dashboard: valid JSON, {len(panels)} panels with titles and queries, unique ids", ok)
    var_exprs = [v.get("definition", "") for v in dash.get("templating", {}).get("list", []) if v.get("definition")]
    var_exprs = [re.sub(r"label_values\((\w+),\s*\w+\)", r"\1", v) for v in var_exprs]
    check_expressions("grafana dashboard", [e.replace("$__rate_interval", "5m") for e in exprs] + var_exprs,
                      families, samples)

    doc = open(OPSDOC).read() if os.path.exists(OPSDOC) else ""
    table = re.findall(r"^\| `(roomcast_[a-z0-9_]+)`", doc, re.M)
    undocumented = sorted(f for f in families if f not in table)
    stale = sorted(f for f in table if f not in families)
    check(families and not undocumented, "docs/operations.md: every exported metric family is in the metrics table",
          undocumented)
    check(table and not stale, "docs/operations.md: every metric in the table is exported", stale)
    wrongtype = [f for f in families if f in table and not re.search(
        rf"^\| `{f}` \| {families[f]} \|", doc, re.M)]
    check(not wrongtype, "docs/operations.md: the table gives each metric its exported type", wrongtype)


def main():
    check_unit()
    env = check_env_file()
    db = Db("rc_py_ops")
    proc = logf = None
    clients = []
    try:
        proc, url, log, logf, status, body = start_like_systemd(env, db)
        check(status == 200 and '"db":"up"' in body,
              "ExecStart with the environment file: the notifier starts, /healthz 200 with the database up",
              f"{status} {body} {open(log).read()[-400:]}")
        lines = json_log_lines(log)
        check(lines and any("listening" in x["msg"] for x in lines),
              "ROOMCAST_LOG_FORMAT=json from the environment file: every log line is a JSON object {ts, level, msg}",
              open(log).read()[-400:])
        reload_cmd = [expand(w, {"MAINPID": str(proc.pid)}) for w in shlex.split(dict(unit_lines())["ExecReload"])]
        r = subprocess.run(reload_cmd, capture_output=True, text=True)
        time.sleep(0.5)
        check(r.returncode == 0 and proc.poll() is None and http_get(url + "/healthz")[0] == 200,
              "ExecReload (kill -HUP $MAINPID): the notifier keeps running and serving", r.stderr)
        clients = traffic(url, db)
        check_metrics(url)
        for c in clients:
            c.disconnect()
        clients = []
        proc.send_signal(signal.SIGTERM)    # KillSignal of the unit
        try:
            code = proc.wait(10)
        except subprocess.TimeoutExpired:
            code = None
        lines = json_log_lines(log) or []
        check(code == 0 and any("drain" in x["msg"] for x in lines),
              "systemctl stop (SIGTERM): the notifier drains and exits 0 (Restart=on-failure leaves it stopped)",
              f"exit {code}")
    finally:
        for c in clients:
            c.disconnect()
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        if logf:
            logf.close()
        db.close()
    return 1 if failures() else 0


if __name__ == "__main__":
    sys.exit(main())
