// examples/demo/public/session.js — who is signed in, and keeping the token
// fresh.
//
// Tokens never travel in a URL the server sees: `make demo` prints a sign-in
// URL whose *fragment* (#signin=<base64url JSON>) carries the demo users'
// sessions {email, name, role, tenant, access, refresh}; the page moves them
// to localStorage, removes the fragment and shows a user picker. The picked
// user is remembered per tab (sessionStorage) and in the fragment as
// #user=<email> (no secret), so a reload or a second tab opens as the same
// user. #token=<jwt>[&refresh=<token>] signs in with one session directly.
//
// Refresh (docs/sessions.md): on auth:refresh-needed the page rotates the
// refresh token through the demo's rpc method session_refresh, stores the
// new pair, and sends auth:refresh on each socket, which keeps its rooms.
// Several tabs of one user share one refresh token, and presenting a rotated
// one revokes the whole family (reuse detection), so a Web Lock serialises
// refreshes across tabs and a tab that finds a fresher token already stored
// uses it instead of rotating again. The pair a refresh produced is read and
// written inside the lock through IndexedDB, not only localStorage: Chromium
// propagates localStorage between tabs asynchronously, so a tab granted the
// lock could still read the rotated refresh token there (and present it
// again, which revokes the family); a committed IndexedDB transaction is
// visible to every later one.
"use strict";

Demo.session = (function () {
  const STORE = "roomcast-demo-sessions"; // localStorage: {email: session}
  const TAB = "roomcast-demo-user"; // sessionStorage: email of this tab

  function b64urlJson(text) {
    const b = text.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b + "===".slice((b.length + 3) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  }

  function claimsOf(token) {
    try {
      return b64urlJson(token.split(".")[1]);
    } catch {
      return null;
    }
  }

  function all() {
    try {
      return JSON.parse(localStorage.getItem(STORE) || "{}") || {};
    } catch {
      return {};
    }
  }
  function save(map) {
    localStorage.setItem(STORE, JSON.stringify(map));
  }
  function put(s) {
    const map = all();
    map[s.email] = s;
    save(map);
  }
  function drop(email) {
    const map = all();
    delete map[email];
    save(map);
  }

  // Read the fragment once: store sessions it brings, return {email, caseNumber, poll}.
  function fromFragment() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ""));
    let email = p.get("user") || "";
    if (p.get("signin")) {
      try {
        const list = b64urlJson(p.get("signin"));
        const map = {};
        for (const s of list) if (s && s.email && s.access) map[s.email] = s;
        save(map);
        idbClear(); // sessions of an earlier run must not look fresher
      } catch {
        Demo.toast("The sign-in link is damaged: copy it again from the terminal.", "bad");
      }
      email = "";
      sessionStorage.removeItem(TAB);
    }
    if (p.get("token")) {
      const c = claimsOf(p.get("token"));
      if (c && c.email) {
        const old = all()[c.email] || {};
        put({ ...old, email: c.email, name: old.name || c.email, role: c.role, tenant: old.tenant || "",
              access: p.get("token"), refresh: p.get("refresh") || "" });
        idbClear(); // an older session of this user must not win
        email = c.email;
      }
    }
    const n = p.get("case");
    const poll = Number(p.get("poll"));
    return { email, caseNumber: /^[0-9]{1,9}$/.test(n || "") ? Number(n) : null,
             poll: Number.isFinite(poll) && poll >= 1 ? poll : null };
  }

  // The fragment that describes this tab (no secrets).
  function setFragment(email, caseNumber) {
    const p = new URLSearchParams();
    if (email) p.set("user", email);
    if (caseNumber) p.set("case", String(caseNumber));
    const h = p.toString();
    history.replaceState(null, "", h ? "#" + h : location.pathname);
  }

  let current = null; // the session of this tab
  function use(email) {
    current = all()[email] || null;
    if (current) sessionStorage.setItem(TAB, email);
    return current;
  }
  function signOut() {
    sessionStorage.removeItem(TAB);
    current = null;
  }
  function tabEmail() {
    return sessionStorage.getItem(TAB) || "";
  }

  // IndexedDB "roomcast-demo" / store "sessions", key email: the session
  // as of the last refresh (see the header comment). Resolves null when
  // IndexedDB is unavailable.
  function idb() {
    return new Promise((resolve) => {
      if (!window.indexedDB) return resolve(null);
      const req = indexedDB.open("roomcast-demo", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("sessions");
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
    });
  }
  async function idbGet(email) {
    const db = await idb();
    if (!db) return null;
    return new Promise((resolve) => {
      const r = db.transaction("sessions").objectStore("sessions").get(email);
      r.onsuccess = () => { db.close(); resolve(r.result || null); };
      r.onerror = () => { db.close(); resolve(null); };
    });
  }
  async function idbClear() {
    const db = await idb();
    if (!db) return;
    const tx = db.transaction("sessions", "readwrite");
    tx.objectStore("sessions").clear();
    tx.oncomplete = tx.onerror = () => db.close();
  }
  async function idbPut(s) {
    const db = await idb();
    if (!db) return;
    return new Promise((resolve) => {
      const tx = db.transaction("sessions", "readwrite");
      tx.objectStore("sessions").put(s, s.email);
      tx.oncomplete = () => { db.close(); resolve(); };
      tx.onerror = tx.onabort = () => { db.close(); resolve(); };
    });
  }

  function expiresAt(token) {
    const c = claimsOf(token || "");
    return c && c.exp ? c.exp * 1000 : 0;
  }

  // A new access token for the current user (see the header comment).
  // rpc(event, payload) → ack, over a connected socket. Resolves to the
  // token, or throws with a message for the page.
  async function refreshed(rpc) {
    if (!current) throw new Error("not signed in");
    const email = current.email;
    const mine = current.refresh; // what this tab would present
    const work = async () => {
      // IndexedDB holds the result of the last refresh of any tab; a refresh
      // token other than ours there means another tab rotated meanwhile
      // (compared by refresh token: two access tokens issued in the same
      // second carry the same exp).
      const stored = (await idbGet(email)) || all()[email] || current;
      if (stored.access && stored.refresh && stored.refresh !== mine) {
        current = stored;
        put(stored);
        return stored.access;
      }
      if (!stored.refresh) throw new Error("no refresh token in this browser: sign in again");
      const ack = await rpc("session_refresh", { refreshToken: stored.refresh });
      if (!ack || !ack.access_token) throw new Error(Demo.errorText(ack) || "refresh refused");
      current = { ...stored, access: ack.access_token, refresh: ack.refresh_token };
      await idbPut(current); // committed before the lock is released
      put(current);
      Demo.stats.refreshes++;
      return current.access;
    };
    if (navigator.locks && navigator.locks.request)
      return navigator.locks.request("roomcast-demo-refresh:" + email, work);
    return work();
  }

  // The picker: one button per stored session.
  function renderPicker(message) {
    const list = Demo.$("user-picker");
    list.textContent = "";
    const sessions = Object.values(all()).sort((a, b) => (a.tenant + a.email).localeCompare(b.tenant + b.email));
    Demo.$("signin-empty").hidden = sessions.length > 0;
    Demo.$("signin-message").textContent = message || "";
    Demo.$("signin-message").hidden = !message;
    for (const s of sessions) {
      const expired = expiresAt(s.access) < Date.now() && !s.refresh;
      const btn = Demo.el("button", {
        type: "button", class: "user-choice", dataset: { email: s.email },
        "aria-label": `Sign in as ${s.name || s.email}, ${s.role || "member"}, ${s.tenant || ""}`,
        disabled: expired,
      },
      Demo.avatar(s.email, "lg", s.name || s.email),
      Demo.el("span", { class: "who" },
        Demo.el("strong", { text: s.name || s.email }),
        Demo.el("span", { class: "muted", text: s.email })),
      Demo.el("span", { class: "meta" },
        Demo.el("span", { class: "role", text: s.role || "member" }),
        Demo.el("span", { class: "muted", text: expired ? "expired" : s.tenant || "" })));
      list.append(Demo.el("li", {}, btn));
    }
  }

  return { fromFragment, setFragment, use, signOut, tabEmail, all, drop, put, claimsOf, expiresAt,
           refreshed, renderPicker, get current() { return current; } };
})();
