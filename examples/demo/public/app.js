// examples/demo/public/app.js — starts the demo page: sign-in picker or the
// application, the two sockets, the connection indicator and the token
// lifecycle.
//
// The official socket.io-client (global `io`, socket.io.min.js) connects to
// the notifier that served the page, namespaces "/" (cases, rooms, presence,
// jobs) and "/notifications" (the bell) over one Engine.IO connection, with
// the browser options of SPEC §7 and auth {token}. The other parts live in
// util.js, session.js, cases.js, inbox.js and assistant.js; docs/demo.md
// says which roomcast feature each uses. No inline script (the page CSP
// forbids it).
"use strict";

(function () {
  const { $ } = Demo;
  window.addEventListener("error", () => Demo.stats.consoleErrors++);
  window.addEventListener("unhandledrejection", () => Demo.stats.consoleErrors++);

  const frag = Demo.session.fromFragment();

  function showPicker(message) {
    document.body.dataset.view = "signin";
    $("signin").hidden = false;
    $("app").hidden = true;
    $("topbar-actions").hidden = true;
    Demo.session.renderPicker(message);
    Demo.session.setFragment("", null);
  }

  $("user-picker").addEventListener("click", (e) => {
    const btn = e.target.closest("button.user-choice");
    if (!btn) return;
    if (Demo.session.use(btn.dataset.email)) {
      Demo.session.setFragment(btn.dataset.email, null);
      start(null);
    }
  });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("token-input").value.trim();
    if (!t) return;
    location.hash = "token=" + encodeURIComponent(t);
    location.reload();
  });

  function setConn(state, text) {
    const c = $("conn");
    c.dataset.state = state;
    $("conn-text").textContent = text;
    c.title = text;
  }

  function start(caseNumber) {
    const s = Demo.session.current;
    if (typeof io !== "function") {
      showPicker("The socket.io-client bundle did not load (socket.io.min.js next to index.html).");
      return;
    }
    const claims = Demo.session.claimsOf(s.access) || {};
    const me = { email: s.email, userId: claims.sub, tenantId: claims.tenantId };
    document.body.dataset.view = "app";
    $("signin").hidden = true;
    $("app").hidden = false;
    $("topbar-actions").hidden = false;
    $("tenant-name").textContent = s.tenant || `tenant ${String(claims.tenantId || "").slice(0, 8)}`;
    const meBtn = $("me");
    meBtn.textContent = "";
    meBtn.append(Demo.avatar(s.email, "", `${s.name || s.email}`));
    meBtn.setAttribute("aria-label", `Signed in as ${s.name || s.email} — switch user`);
    $("me-name").textContent = s.name || s.email;
    $("me-email").textContent = `${s.email} · ${s.role || "member"}`;
    document.title = `Cases · ${s.name || s.email} · roomcast demo`;

    const options = {
      auth: { token: s.access },
      reconnection: true,
      reconnectionAttempts: 10,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 8000,
    };
    const main = io("/", options);
    const notif = io("/notifications", options); // same Manager: one connection, two namespaces
    window.roomcastDemo = { main, notif, stats: Demo.stats, session: Demo.session, cases: Demo.cases, inbox: Demo.inbox };

    // ---- connection indicator ----
    setConn("wait", "Connecting…");
    const ready = () => {
      const ok = main.connected && notif.connected;
      document.body.dataset.state = ok ? "connected" : "connecting";
      if (ok) setConn("ok", "Live");
    };
    main.on("connect", ready);
    notif.on("connect", ready);
    main.on("disconnect", (reason) => {
      document.body.dataset.state = "connecting";
      // socket.io-client does not reconnect after a server disconnect (a
      // revoked session, a refused refresh): say so instead of "reconnecting"
      setConn("bad", reason === "io client disconnect" ? "Signed out"
        : reason === "io server disconnect" ? "Disconnected by the server — switch user to sign in again"
        : "Offline — reconnecting");
    });
    main.io.on("reconnect_attempt", (n) => {
      setConn("wait", `Reconnecting (attempt ${n})…`);
      // another tab of this user may have refreshed the token meanwhile
      const stored = Demo.session.all()[s.email];
      if (stored && stored.access) for (const k of [main, notif]) k.auth = { token: stored.access };
    });
    main.io.on("reconnect_failed", () => setConn("bad", "Offline — reload to retry"));
    const refused = (err) => {
      const code = err && err.data && err.data.code;
      if (code === "INVALID_TOKEN" || code === "TOKEN_EXPIRED" || code === "UNAUTHORIZED") {
        main.disconnect();
        notif.disconnect();
        Demo.session.drop(s.email);
        Demo.session.signOut();
        showPicker(`Your session for ${s.email} is no longer valid (${code}). Open the sign-in URL printed by make demo again.`);
        return;
      }
      setConn("bad", code ? `Refused: ${code}` : "Cannot reach the server — retrying");
    };
    main.on("connect_error", refused);
    notif.on("connect_error", refused);

    // ---- token lifecycle (docs/sessions.md) ----
    let refreshing = null;
    function refresh() {
      Demo.stats.refreshNeeded++;
      if (refreshing) return refreshing;
      refreshing = (async () => {
        try {
          const token = await Demo.session.refreshed((ev, p) => Demo.request(main, ev, p));
          for (const k of [main, notif]) k.auth = { token }; // also for later reconnects
          const acks = await Promise.all([main, notif].filter((k) => k.connected)
            .map((k) => Demo.request(k, "auth:refresh", { token })));
          const bad = acks.find((a) => !a || !a.success);
          if (bad) {
            Demo.stats.refreshError = Demo.errorText(bad);
            Demo.toast(`Session renewal refused: ${Demo.errorText(bad)}`, "bad");
          }
          else showExpiry(token);
        } catch (e) {
          Demo.stats.refreshError = e.message;
          Demo.toast(`Could not renew the session: ${e.message}`, "bad");
        } finally {
          setTimeout(() => { refreshing = null; }, 3000);
        }
      })();
      return refreshing;
    }
    function showExpiry(token) {
      const at = Demo.session.expiresAt(token);
      $("session-exp").textContent = at ? `Session renews itself · token valid until ${new Date(at).toLocaleTimeString()}` : "";
      document.body.dataset.tokenExp = String(at);
    }
    showExpiry(s.access);
    main.on("auth:refresh-needed", refresh);
    notif.on("auth:refresh-needed", refresh);
    main.on("auth:expired", refresh);
    window.addEventListener("storage", (e) => {
      if (e.key !== "roomcast-demo-sessions") return;
      const stored = Demo.session.all()[s.email];
      if (stored && stored.access) for (const k of [main, notif]) k.auth = { token: stored.access };
    });

    // ---- tenant activity ticker ----
    main.on("activity", (d) => {
      if (d && d.text) $("ticker").textContent = `Live: ${d.text}`;
    });
    main.on("error", (d) => d && d.code === "RATE_LIMITED" && Demo.toast("Slow down: too many requests", "warn"));

    // ---- parts ----
    Demo.cases.init(main, me, { onRoute: (n) => Demo.session.setFragment(s.email, n) });
    Demo.inbox.init(notif, { openCase: (n) => Demo.cases.openCase(n), pollSeconds: frag.poll || 60 });
    Demo.assistant.init(main);
    if (caseNumber) main.once("connect", () => Demo.cases.openCase(caseNumber));

    // ---- user menu ----
    meBtn.addEventListener("click", (e) => {
      e.stopPropagation();
      const m = $("me-menu");
      m.hidden = !m.hidden;
      meBtn.setAttribute("aria-expanded", String(!m.hidden));
    });
    document.addEventListener("click", (e) => {
      if (!$("me-menu").contains(e.target)) {
        $("me-menu").hidden = true;
        meBtn.setAttribute("aria-expanded", "false");
      }
    });
    $("switch-user").addEventListener("click", () => {
      main.disconnect();
      notif.disconnect();
      Demo.session.signOut();
      Demo.session.setFragment("", null);
      location.reload();
    });
  }

  const email = frag.email || Demo.session.tabEmail();
  if (email && Demo.session.use(email)) {
    Demo.session.setFragment(email, frag.caseNumber);
    start(frag.caseNumber);
  } else {
    showPicker(email ? `No session for ${email} in this browser.` : "");
  }
})();
