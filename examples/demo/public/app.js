// examples/demo/public/app.js — the roomcast demo page's behaviour.
//
// Connects the official socket.io-client (the global `io` from
// socket.io.min.js) to the notifier that served the page, in namespaces "/"
// and "/notifications" over one Engine.IO connection, with the browser
// options of SPEC §7 and auth {token} (token from the URL fragment
// "#token=…": fragments are never sent to the server, so it is not logged).
// Shows each namespace's state, transport (polling → websocket upgrade) and
// any CONNECT_ERROR code, the `connected` greeting, notifications with the
// unread count, room join/leave acks, and every event received (onAny).
// No inline script (the page CSP forbids it); the DOM is built with
// textContent only, never innerHTML, so event data cannot inject markup.
"use strict";

(function () {
  const FEED_MAX = 200; // newest entries kept in the live feed
  const LIST_MAX = 50; // notifications kept in the list
  const $ = (id) => document.getElementById(id);

  // ---- token ----
  function tokenFromFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    return params.get("token") || "";
  }

  // The token's claims for display only (the notifier verifies it).
  function claimsOf(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
    } catch {
      return null;
    }
  }

  const token = tokenFromFragment();
  const claims = token ? claimsOf(token) : null;
  if (claims) {
    const exp = claims.exp ? new Date(claims.exp * 1000).toLocaleTimeString() : "?";
    $("who").textContent = `${claims.email || claims.sub} · ${claims.role || "?"} · tenant ${String(claims.tenantId || "?").slice(0, 8)}… · token expires ${exp}`;
  } else {
    $("who").textContent = token ? "token (unreadable claims)" : "no token";
    $("token-form-box").hidden = false;
  }
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("token-input").value.trim();
    if (t) {
      location.hash = "token=" + encodeURIComponent(t);
      location.reload();
    }
  });

  // ---- feed ----
  function fmt(v) {
    let s;
    try {
      s = JSON.stringify(v);
    } catch {
      s = String(v);
    }
    if (s === undefined) s = String(v);
    return s.length > 600 ? s.slice(0, 600) + "…" : s;
  }

  function feed(kind, nsp, text, detail) {
    const li = document.createElement("li");
    const t = document.createElement("span");
    t.className = "t";
    t.textContent = new Date().toLocaleTimeString() + " ";
    li.appendChild(t);
    const n = document.createElement("span");
    n.className = "nsp";
    n.textContent = nsp + " ";
    li.appendChild(n);
    const ev = document.createElement("span");
    ev.className = kind === "event" ? "ev" : "sys";
    ev.textContent = text;
    li.appendChild(ev);
    if (detail !== undefined) li.appendChild(document.createTextNode(" " + detail));
    const list = $("feed");
    list.insertBefore(li, list.firstChild);
    while (list.childElementCount > FEED_MAX) list.removeChild(list.lastChild);
  }

  if (typeof io !== "function") {
    document.body.dataset.state = "error";
    document.body.dataset.error = "NO_CLIENT";
    $("state-main").textContent = "socket.io.min.js did not load";
    $("state-main").className = "state bad";
    feed("sys", "page", "socket.io-client bundle missing: copy socket.io.min.js next to index.html");
    return;
  }

  // ---- connections ----
  const options = {
    auth: { token },
    reconnection: true,
    reconnectionAttempts: 10,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 8000,
  };
  const main = io("/", options);
  const notif = io("/notifications", options); // same Manager: one connection, two namespaces
  window.roomcastDemo = { main, notif }; // for the console

  function setState(which, cls, text, detail) {
    $("state-" + which).textContent = text;
    $("state-" + which).className = "state " + cls;
    if (detail !== undefined) $("detail-" + which).textContent = detail;
    if (which === "main") {
      document.body.dataset.state = cls === "ok" ? "connected" : cls === "bad" ? "error" : "connecting";
    }
  }

  function setTransport() {
    const engine = main.io.engine;
    const name = engine && engine.transport ? engine.transport.name : "—";
    for (const which of ["main", "notif"]) $("transport-" + which).textContent = name;
    document.body.dataset.transport = name;
  }

  main.io.on("open", () => {
    setTransport();
    feed("sys", "engine", "open", main.io.engine.transport.name);
    main.io.engine.on("upgrade", (t) => {
      setTransport();
      feed("sys", "engine", "upgraded to " + t.name);
    });
  });
  main.io.on("reconnect_attempt", (n) => feed("sys", "engine", "reconnect attempt " + n));
  main.io.on("reconnect_failed", () => {
    setState("main", "bad", "gave up", "10 reconnection attempts failed");
    feed("sys", "engine", "reconnection failed");
  });
  main.io.on("error", (err) => feed("sys", "engine", "error", err && err.message));

  function watch(sock, which) {
    setState(which, "wait", "connecting…");
    sock.on("connect", () => {
      setState(which, "ok", "connected", `id ${sock.id}${sock.recovered ? " (recovered)" : ""}`);
      setTransport();
      feed("sys", sock.nsp, "connect", sock.recovered ? "recovered" : "");
      if (which === "main") document.body.dataset.error = "";
    });
    sock.on("connect_error", (err) => {
      // From the server (CONNECT_ERROR): err.message "Unauthorized" and
      // err.data.code; otherwise a transport error (the Manager retries).
      const code = err && err.data && err.data.code;
      const text = code ? `connect_error: ${code}` : `connect_error`;
      setState(which, "bad", text, err ? err.message + (err.data ? " " + fmt(err.data) : "") : "");
      if (which === "main") document.body.dataset.error = code || (err && err.message) || "?";
      feed("sys", sock.nsp, "connect_error", fmt({ message: err && err.message, data: err && err.data }));
    });
    sock.on("disconnect", (reason) => {
      setState(which, reason === "io client disconnect" ? "bad" : "wait", "disconnected", reason);
      feed("sys", sock.nsp, "disconnect", reason);
    });
    sock.onAny((event, ...args) => feed("event", sock.nsp, event, args.map(fmt).join(" ")));
  }
  watch(main, "main");
  watch(notif, "notif");

  // A notifier without its database side accepts CONNECT without checking
  // the token and sends no greeting: say so rather than leave it blank.
  let greeted = false;
  main.on("connect", () => {
    setTimeout(() => {
      if (!greeted && main.connected)
        $("greeting").textContent =
          "connected, but no `connected` greeting after 3 s: this notifier does not authenticate " +
          "sockets yet (no database side), so rooms and notifications will not work";
    }, 3000);
  });
  main.on("connected", (d) => {
    greeted = true;
    const when = d && d.timestamp ? new Date(d.timestamp).toLocaleTimeString() : "";
    $("greeting").textContent = `connected: ${d && d.message ? d.message : fmt(d)} ${when}`;
  });

  // ---- notifications ----
  let notifications = [];
  function renderNotifications() {
    const ul = $("notifications");
    ul.textContent = "";
    if (notifications.length === 0) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "none yet";
      ul.appendChild(li);
      return;
    }
    for (const n of notifications) {
      const li = document.createElement("li");
      if (!n.isRead) li.className = "unread";
      li.textContent = `${n.title}${n.body ? " — " + n.body : ""}`;
      li.title = `${n.type} ${n.entityType || ""} ${n.entityId || ""} ${n.createdAt || ""}`;
      ul.appendChild(li);
    }
  }
  notif.on("notification:new", (n) => {
    notifications.unshift({ ...n, isRead: false });
    notifications = notifications.slice(0, LIST_MAX);
    renderNotifications();
  });
  notif.on("notification:unread_count", (d) => {
    $("unread").textContent = d && typeof d.count === "number" ? String(d.count) : "?";
  });
  notif.on("notification:marked_read", (d) => {
    const ids = new Set((d && d.ids) || []);
    for (const n of notifications) if (ids.has(n.id)) n.isRead = true;
    renderNotifications();
  });

  // ---- requests with acks ----
  function showAck(what, err, ack) {
    $("ack").textContent = err ? `${what}: no ack within 5 s (${err.message})` : `${what} → ${JSON.stringify(ack, null, 1)}`;
  }
  function request(sock, event, payload, what, then) {
    const done = (err, ack) => {
      showAck(what, err, ack);
      if (!err && then) then(ack);
    };
    if (payload === undefined) sock.timeout(5000).emit(event, done);
    else sock.timeout(5000).emit(event, payload, done);
  }

  $("join-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const room = { kind: $("room-kind").value, id: $("room-id").value.trim() };
    request(main, "join", room, `join ${fmt(room)}`);
  });
  $("leave-btn").addEventListener("click", () => {
    const room = { kind: $("room-kind").value, id: $("room-id").value.trim() };
    request(main, "leave", room, `leave ${fmt(room)}`);
  });
  $("rooms-btn").addEventListener("click", () => request(main, "rooms", undefined, "rooms"));
  $("mark-all-btn").addEventListener("click", () =>
    request(notif, "mark_all_read", undefined, "mark_all_read", (ack) => {
      if (ack && ack.success) {
        for (const n of notifications) n.isRead = true;
        renderNotifications();
      }
    }),
  );

  // ---- assistant: a job in the database queue, its reply streamed as job:chunk ----
  let jobId = null;
  let chunks = [];
  function renderAnswer() {
    $("answer").textContent = chunks.filter(Boolean).join("") || "…";
  }
  function jobState(text, running) {
    $("job-state").textContent = text;
    $("cancel-btn").disabled = !running;
  }
  $("ask-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const prompt = $("ask-input").value.trim();
    if (!prompt) return;
    chunks = [];
    renderAnswer();
    request(main, "job:enqueue", { kind: "assistant", payload: { prompt, words: 40 } }, "job:enqueue", (ack) => {
      if (ack && ack.id) {
        jobId = ack.id;
        jobState("queued", true);
      }
    });
  });
  $("cancel-btn").addEventListener("click", () => {
    if (jobId) request(main, "job:cancel", { id: jobId }, "job:cancel");
  });
  const mine = (d) => d && d.id === jobId;
  main.on("job:queued", (d) => {
    if (!mine(d)) return;
    jobState(d.retry ? `retrying in ${d.retryInMs} ms (${d.error})` : `queued, position ${d.position}`, true);
    if (d.retry) chunks = [];
  });
  main.on("job:started", (d) => mine(d) && jobState(`running (attempt ${d.attempt})`, true));
  main.on("job:progress", (d) => mine(d) && jobState(`running, ${d.progress}%`, true));
  main.on("job:chunk", (d) => {
    if (!mine(d)) return;
    chunks[d.seq] = d.text; // by seq: a chunk delivered twice is shown once
    renderAnswer();
  });
  main.on("job:completed", (d) => mine(d) && jobState(d.cached ? "completed (cached)" : "completed", false));
  main.on("job:failed", (d) => mine(d) && jobState(`failed: ${d.error}`, false));
  main.on("job:cancelled", (d) => mine(d) && jobState("cancelled", false));

  let lastPoll = new Date().toISOString();
  function getRecent(what) {
    const since = lastPoll;
    lastPoll = new Date().toISOString();
    request(notif, "get_recent", what === "get_recent" ? { limit: 20 } : { since }, what, (ack) => {
      if (ack && Array.isArray(ack.notifications) && what === "get_recent") {
        notifications = ack.notifications.slice(0, LIST_MAX);
        renderNotifications();
      }
    });
  }
  $("recent-btn").addEventListener("click", () => getRecent("get_recent"));
  // SPEC §7: background tabs poll get_recent {since} every 60 s.
  setInterval(() => {
    if (document.hidden && notif.connected) getRecent("get_recent (background poll)");
  }, 60000);
})();
