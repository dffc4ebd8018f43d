// examples/demo/public/cases.js — the case list and the case page.
//
// List: rpc case_list (examples/casework: one call, 50 cases, RLS keeps it
// to the user's tenant), kept current by case:changed (tenant room).
// Case page: rpc case_get, then join {kind:"case", id:number} — the case's
// live room tenant:{t}:case:{n}; who else is there comes from presence:list
// and user-joined / user-left; edits from others (rpc case_update from
// another page, or an UPDATE from psql: the table's trigger emits
// case:updated) are applied live to the fields the user is not editing.
// The editing tab's own change comes back as case:updated with its editId:
// it is recognised and not applied again, so nothing flickers.
"use strict";

Demo.cases = (function () {
  const STATUSES = ["open", "triage", "investigating", "resolved", "closed"];
  const FIELDS = ["title", "status", "priority", "notes"];
  let main = null;
  let me = null; // {email, userId}
  let list = [];
  let page = 1;
  let current = null; // the open case
  let room = null; // its room name, once joined
  let people = new Map(); // userId → {email, connections}
  const dirty = new Set(); // fields with unsaved local changes
  const myEdits = new Set(); // editIds sent by this tab
  let onRoute = () => {};

  // ---- list ----
  function statusPill(status) {
    return Demo.el("span", { class: `pill s-${status}`, text: status });
  }

  function renderRow(c) {
    const btn = Demo.el("button", {
      type: "button", class: "case-row", dataset: { number: String(c.number), id: c.id || "" },
      "aria-current": current && current.number === c.number ? "true" : null,
    },
    Demo.el("span", { class: "case-num", text: `#${c.number}` }),
    Demo.el("span", { class: "case-title", text: c.title }),
    Demo.el("span", { class: "case-meta" },
      statusPill(c.status),
      Demo.el("span", { class: `prio p${c.priority}`, text: `P${c.priority}`, title: `priority ${c.priority}` }),
      c.assignee ? Demo.avatar(c.assignee.email, "sm", `assigned to ${c.assignee.displayName || c.assignee.email}`) : null));
    btn.addEventListener("click", () => openCase(c.number));
    return Demo.el("li", { dataset: { number: String(c.number) } }, btn);
  }

  function renderList() {
    const ul = Demo.$("case-list");
    ul.textContent = "";
    for (const c of list) ul.append(renderRow(c));
    if (list.length === 0) ul.append(Demo.el("li", { class: "empty", text: "No cases match." }));
  }

  async function loadList(more) {
    page = more ? page + 1 : 1;
    const status = Demo.$("status-filter").value;
    const ack = await Demo.request(main, "case_list", { filter: status ? { status } : {}, page });
    if (!ack || !Array.isArray(ack.cases)) {
      Demo.toast(`Could not load cases: ${Demo.errorText(ack)}`, "bad");
      return;
    }
    list = more ? list.concat(ack.cases) : ack.cases;
    Demo.$("more").hidden = !ack.hasMore;
    renderList();
    document.body.dataset.cases = String(list.length);
  }

  function onCaseChanged(d) {
    const c = list.find((x) => x.number === d.number);
    if (!c) return;
    Object.assign(c, { title: d.title, status: d.status, priority: d.priority });
    const li = Demo.$("case-list").querySelector(`li[data-number="${d.number}"]`);
    if (li) {
      const fresh = renderRow(c);
      li.replaceWith(fresh);
      fresh.classList.add("flash");
    }
  }

  // ---- presence ----
  function renderPresence() {
    const ul = Demo.$("presence");
    ul.textContent = "";
    const others = [...people.entries()].filter(([id]) => id !== me.userId);
    const self = Demo.el("li", {}, Demo.avatar(me.email, "ring", `${me.email} (you)`));
    ul.append(self);
    for (const [, p] of others) ul.append(Demo.el("li", { dataset: { email: p.email } }, Demo.avatar(p.email, "", p.email)));
    Demo.$("presence-text").textContent = others.length === 0 ? "Only you are here"
      : `${others.length} other${others.length > 1 ? "s" : ""} here`;
    Demo.$("presence").dataset.others = String(others.length);
  }

  async function refreshPresence() {
    if (!room) return;
    const asked = room;
    const ack = await Demo.request(main, "presence:list", { room });
    if (asked !== room || !Array.isArray(ack)) return;
    people = new Map(ack.map((p) => [p.userId, { email: p.email, connections: p.connections }]));
    renderPresence();
  }

  function onJoined(d) {
    if (!room || d.room !== room) return;
    people.set(d.userId, { email: d.email });
    renderPresence();
    if (d.userId !== me.userId) Demo.toast(`${d.email} joined case #${current.number}`);
  }

  function onLeft(d) {
    if (!room || d.room !== room) return;
    // The user may still be here in another tab: the listing decides.
    people.delete(d.userId);
    renderPresence();
    refreshPresence();
  }

  // ---- case page ----
  function field(name) {
    return Demo.$("f-" + name);
  }

  function fill(c, only) {
    for (const f of only || FIELDS) {
      if (dirty.has(f)) continue;
      field(f).value = String(c[f] ?? "");
    }
    Demo.$("case-number").textContent = `Case #${c.number}`;
    const pill = Demo.$("case-status");
    pill.className = `pill s-${c.status}`;
    pill.textContent = c.status;
    Demo.$("case-assignee").textContent = c.assignee ? `Assigned to ${c.assignee.name || c.assignee.email}` : "Unassigned";
  }

  async function leaveRoom() {
    if (!current) return;
    const n = current.number;
    room = null;
    people = new Map();
    await Demo.request(main, "leave", { kind: "case", id: String(n) });
  }

  async function joinRoom() {
    const n = current.number;
    const ack = await Demo.request(main, "join", { kind: "case", id: String(n) });
    if (!current || current.number !== n) return;
    if (!ack || !ack.success) {
      Demo.toast(`Could not join the case room: ${Demo.errorText(ack)}`, "bad");
      return;
    }
    room = ack.room;
    Demo.$("case").dataset.room = room;
    await refreshPresence();
  }

  async function openCase(number) {
    if (current && current.number === number && room) {
      document.body.dataset.pane = "detail";
      return;
    }
    await leaveRoom();
    const ack = await Demo.request(main, "case_get", { number });
    if (!ack || ack.error || !ack.number) {
      Demo.toast(`Case #${number}: ${Demo.errorText(ack) || "not found"}`, "bad");
      return;
    }
    current = ack;
    dirty.clear();
    fill(current);
    Demo.$("save-state").textContent = "";
    Demo.$("last-change").textContent = `Updated ${Demo.timeAgo(current.updatedAt)}`;
    Demo.$("detail-empty").hidden = true;
    Demo.$("case").hidden = false;
    Demo.$("case").dataset.number = String(number);
    document.body.dataset.pane = "detail";
    for (const b of Demo.$("case-list").querySelectorAll(".case-row"))
      b.setAttribute("aria-current", String(b.dataset.number === String(number)));
    people = new Map();
    renderPresence();
    onRoute(number);
    Demo.assistant && Demo.assistant.reset(number);
    await joinRoom();
  }

  function closeCase() {
    document.body.dataset.pane = "list";
  }

  function onCaseUpdated(d) {
    if (!current || d.number !== current.number) return;
    if (d.editId && myEdits.has(d.editId)) {
      // our own save coming back: the fields already show it
      myEdits.delete(d.editId);
      Demo.stats.ownEchoes++;
      return;
    }
    const changed = (Array.isArray(d.changed) ? d.changed : FIELDS).filter((f) => FIELDS.includes(f));
    const clash = changed.filter((f) => dirty.has(f));
    for (const f of changed) current[f] = d[f];
    fill(current, changed);
    for (const f of changed) {
      if (dirty.has(f)) continue;
      const node = field(f);
      node.classList.remove("flash");
      void node.offsetWidth; // restart the animation
      node.classList.add("flash");
    }
    Demo.stats.remoteApplied++;
    const who = d.byEmail || "someone (SQL)";
    Demo.$("last-change").textContent = `${who} changed ${changed.join(", ")} · ${new Date(d.timestamp || Date.now()).toLocaleTimeString()}`;
    Demo.$("last-change").dataset.by = who;
    if (clash.length) Demo.toast(`${who} also changed ${clash.join(", ")} — saving keeps yours`, "warn");
    else Demo.toast(`${who} changed ${changed.join(", ")} on case #${d.number}`);
  }

  async function save(e) {
    e.preventDefault();
    if (!current) return;
    const args = { number: current.number };
    for (const f of FIELDS) {
      const v = f === "priority" ? Number(field(f).value) : field(f).value;
      if (String(v) !== String(current[f] ?? "")) args[f] = v;
    }
    if (Object.keys(args).length === 1) {
      Demo.$("save-state").textContent = "No changes";
      dirty.clear();
      return;
    }
    const editId = Math.random().toString(36).slice(2, 12) + Date.now().toString(36);
    args.editId = editId;
    myEdits.add(editId);
    Demo.$("save").disabled = true;
    Demo.$("save-state").textContent = "Saving…";
    const ack = await Demo.request(main, "case_update", args);
    Demo.$("save").disabled = false;
    if (!ack || ack.error) {
      myEdits.delete(editId);
      Demo.$("save-state").textContent = `Not saved: ${Demo.errorText(ack)}`;
      return;
    }
    if (current && ack.number === current.number) {
      current = ack;
      dirty.clear();
      fill(current); // the same values the fields hold: nothing visibly changes
      Demo.$("save-state").textContent = "Saved";
      Demo.$("last-change").textContent = `You changed ${Object.keys(args).filter((k) => FIELDS.includes(k)).join(", ")} · ${new Date().toLocaleTimeString()}`;
    }
  }

  function init(mainSocket, who, opts) {
    main = mainSocket;
    me = who;
    onRoute = opts.onRoute || onRoute;
    const st = field("status");
    for (const s of STATUSES) st.append(Demo.el("option", { value: s, text: s }));
    const pr = field("priority");
    for (const p of [1, 2, 3, 4]) pr.append(Demo.el("option", { value: String(p), text: `P${p}${p === 1 ? " (urgent)" : ""}` }));
    for (const f of FIELDS) field(f).addEventListener("input", () => {
      dirty.add(f);
      Demo.$("save-state").textContent = "Unsaved changes";
    });
    Demo.$("case-form").addEventListener("submit", save);
    Demo.$("back").addEventListener("click", closeCase);
    Demo.$("status-filter").addEventListener("change", () => loadList(false));
    Demo.$("more").addEventListener("click", () => loadList(true));
    main.on("case:updated", onCaseUpdated);
    main.on("case:changed", onCaseChanged);
    main.on("user-joined", onJoined);
    main.on("user-left", onLeft);
    main.on("connect", () => {
      if (main.recovered) {
        refreshPresence(); // rooms restored by the server
        return;
      }
      if (list.length === 0) loadList(false);
      if (current) {
        room = null;
        joinRoom();
      }
    });
  }

  return { init, openCase, loadList, get current() { return current; }, get room() { return room; } };
})();
