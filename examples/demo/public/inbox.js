// examples/demo/public/inbox.js — the notification bell (SPEC §4, §7).
//
// One state, two sources that must never disagree: the unread count comes
// from the server (notification:unread_count on connect and after every
// change, or the ack of get_unread_count); the list is loaded with
// get_recent when /notifications connects, then kept current by
// notification:new and notification:marked_read ({ids} or {all:true}),
// which reach every socket of the user — so marking read in one tab updates
// the others. (The old page showed "5 unread" above "none yet" because it
// only listed notifications that arrived after it connected.)
// Background tabs poll get_recent {since} every 60 s (visibilityState
// hidden); a tab that becomes visible again catches up at once.
"use strict";

Demo.inbox = (function () {
  const LIST_MAX = 30;
  let sock = null;
  let count = null; // server's unread count; null until known
  let items = []; // newest first, each {id, type, title, body, entityType, entityId, isRead, createdAt}
  let loaded = false;
  let open = false;
  let onOpenCase = () => {};
  let newestMs = 0;

  function upsert(n, front) {
    const i = items.findIndex((x) => x.id === n.id);
    if (i >= 0) items[i] = { ...items[i], ...n };
    else if (front) items.unshift(n);
    else items.push(n);
    const t = Date.parse(n.createdAt || "");
    if (Number.isFinite(t) && t > newestMs) newestMs = t;
  }

  function render() {
    const badge = Demo.$("badge");
    const bell = Demo.$("bell");
    const c = count === null ? 0 : count;
    badge.hidden = c === 0;
    badge.textContent = c > 99 ? "99+" : String(c);
    bell.setAttribute("aria-label", c ? `Notifications, ${c} unread` : "Notifications, none unread");
    bell.dataset.count = String(c);
    Demo.$("inbox-summary").textContent = count === null ? "" : c ? `${c} unread` : "All caught up";
    Demo.$("mark-all").disabled = c === 0;

    const ul = Demo.$("inbox-list");
    ul.textContent = "";
    if (!loaded || (items.length === 0 && c > 0)) {
      ul.append(Demo.el("li", { class: "inbox-empty", text: "Loading notifications…" }));
      return;
    }
    if (items.length === 0) {
      ul.append(Demo.el("li", { class: "inbox-empty", text: "No notifications yet." }));
      return;
    }
    for (const n of items) {
      const openBtn = Demo.el("button", { type: "button", class: "inbox-open", dataset: { id: n.id } },
        Demo.el("span", { class: "inbox-title", text: n.title }),
        n.body ? Demo.el("span", { class: "inbox-body", text: n.body }) : null,
        Demo.el("span", { class: "inbox-time", text: Demo.timeAgo(n.createdAt) }));
      openBtn.addEventListener("click", () => {
        if (!n.isRead) markRead([n.id]);
        if (n.entityType === "case" && /^[0-9]+$/.test(n.entityId || "")) {
          toggle(false);
          onOpenCase(Number(n.entityId));
        }
      });
      const markBtn = n.isRead ? null : Demo.el("button", {
        type: "button", class: "inbox-mark", "aria-label": `Mark “${n.title}” read`, title: "Mark read",
      }, "✓");
      if (markBtn) markBtn.addEventListener("click", () => markRead([n.id]));
      ul.append(Demo.el("li", { class: n.isRead ? "read" : "unread", dataset: { id: n.id, read: String(!!n.isRead) } },
        Demo.el("span", { class: "dot", "aria-hidden": "true" }), openBtn, markBtn));
    }
  }

  async function load() {
    const ack = await Demo.request(sock, "get_recent", { limit: 20 });
    if (ack && Array.isArray(ack.notifications)) {
      items = [];
      for (const n of ack.notifications) upsert(n, false);
      loaded = true;
    }
    const cnt = await Demo.request(sock, "get_unread_count");
    if (cnt && typeof cnt.count === "number") count = cnt.count;
    render();
  }

  async function markRead(ids) {
    // Optimistic: the server's marked_read and unread_count follow (to every tab).
    for (const n of items) if (ids.includes(n.id)) n.isRead = true;
    render();
    const ack = await Demo.request(sock, "mark_read", { notificationIds: ids });
    if (ack && typeof ack.unreadCount === "number") count = ack.unreadCount;
    else Demo.toast(`Could not mark read: ${Demo.errorText(ack)}`, "bad");
    render();
  }

  async function markAll() {
    for (const n of items) n.isRead = true;
    render();
    const ack = await Demo.request(sock, "mark_all_read");
    if (ack && typeof ack.unreadCount === "number") count = ack.unreadCount;
    render();
  }

  // Background poll: what arrived since the newest we hold.
  async function poll() {
    if (!sock || !sock.connected) return;
    Demo.stats.polls++;
    const ack = await Demo.request(sock, "get_recent", newestMs ? { since: newestMs, limit: 20 } : { limit: 20 });
    if (ack && Array.isArray(ack.notifications)) {
      for (const n of ack.notifications.slice().reverse()) upsert(n, true);
      items = items.slice(0, LIST_MAX);
      loaded = true;
    }
    const cnt = await Demo.request(sock, "get_unread_count");
    if (cnt && typeof cnt.count === "number") count = cnt.count;
    render();
  }

  function toggle(want) {
    open = want === undefined ? !open : want;
    Demo.$("inbox").hidden = !open;
    Demo.$("bell").setAttribute("aria-expanded", String(open));
    if (open) render();
  }

  function init(notifSocket, opts) {
    sock = notifSocket;
    onOpenCase = opts.openCase;
    sock.on("connect", () => {
      if (!sock.recovered) load();
    });
    sock.on("notification:new", (n) => {
      upsert({ ...n, isRead: false }, true);
      items = items.slice(0, LIST_MAX);
      loaded = true;
      render();
      Demo.toast(`New: ${n.title}`);
    });
    sock.on("notification:unread_count", (d) => {
      if (d && typeof d.count === "number") count = d.count;
      render();
    });
    sock.on("notification:marked_read", (d) => {
      if (d && d.all) for (const n of items) n.isRead = true;
      const ids = new Set((d && d.ids) || []);
      for (const n of items) if (ids.has(n.id)) n.isRead = true;
      render();
    });
    Demo.$("bell").addEventListener("click", (e) => {
      e.stopPropagation();
      toggle();
    });
    Demo.$("mark-all").addEventListener("click", markAll);
    document.addEventListener("click", (e) => {
      if (open && !Demo.$("inbox").contains(e.target)) toggle(false);
    });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && open) {
        toggle(false);
        Demo.$("bell").focus();
      }
    });
    const every = (opts.pollSeconds || 60) * 1000;
    setInterval(() => {
      if (document.visibilityState === "hidden") poll();
    }, every);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && loaded) poll();
    });
    render();
  }

  return { init, toggle, poll, get state() { return { count, items, loaded }; } };
})();
