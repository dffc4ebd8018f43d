// examples/demo/public/util.js — shared helpers of the demo page: the
// window.Demo namespace, DOM building (textContent only, never innerHTML, so
// event data cannot inject markup; no style attributes, the page CSP forbids
// them), avatars, toasts and an ack-with-timeout request helper.
"use strict";

window.Demo = (function () {
  const $ = (id) => document.getElementById(id);

  // el("li", {class: "x", "aria-label": "y", dataset: {id}}, child, "text", …)
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "text") node.textContent = v;
      else if (k === "hidden") node.hidden = true;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  // "ann@demo.example" → "AN"; "mary.jones@x" → "MJ"; "user12@x" → "U12"
  function initials(nameOrEmail) {
    const local = String(nameOrEmail || "?").split("@")[0];
    const numbered = /^([A-Za-z])[A-Za-z]*(\d{1,2})$/.exec(local);
    if (numbered) return (numbered[1] + numbered[2]).toUpperCase();
    const parts = local.split(/[._\s-]+/).filter(Boolean);
    if (parts.length >= 2) return (parts[0][0] + parts[1][0]).toUpperCase();
    return local.slice(0, 2).toUpperCase() || "?";
  }

  // A stable colour class per person (c0…c7 in style.css).
  function colourClass(key) {
    let h = 0;
    for (const ch of String(key)) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return "c" + (h % 8);
  }

  function avatar(email, extraClass, label) {
    return el("span", {
      class: `avatar ${colourClass(email)} ${extraClass || ""}`.trim(),
      title: label || email,
      "aria-label": label || email,
      role: "img",
      dataset: { email: email || "" },
    }, initials(email));
  }

  function timeAgo(ts) {
    const t = typeof ts === "number" ? ts : Date.parse(ts);
    if (!Number.isFinite(t)) return "";
    const s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 45) return "just now";
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    return new Date(t).toLocaleDateString();
  }

  function toast(text, kind) {
    const box = $("toasts");
    const t = el("div", { class: `toast ${kind || ""}`.trim(), role: "status" }, text);
    box.append(t);
    while (box.childElementCount > 4) box.firstChild.remove();
    setTimeout(() => t.classList.add("fade"), 3500);
    setTimeout(() => t.remove(), 4200);
  }

  // emit with an ack; resolves to the ack, or {error:{code:"TIMEOUT"}}.
  async function request(sock, event, payload) {
    try {
      const s = sock.timeout(8000);
      return payload === undefined ? await s.emitWithAck(event) : await s.emitWithAck(event, payload);
    } catch (e) {
      return { error: { code: "TIMEOUT", message: `no answer to ${event} within 8 s` } };
    }
  }

  function errorText(ack) {
    const e = ack && ack.error;
    return e ? `${e.message || e.code}` : "";
  }

  // For tests and the console: counters of what the page did.
  const stats = { remoteApplied: 0, ownEchoes: 0, refreshNeeded: 0, refreshes: 0, refreshError: "", polls: 0, consoleErrors: 0 };

  return { $, el, initials, colourClass, avatar, timeAgo, toast, request, errorText, stats };
})();
