// Open Lines team console: signing in, the socket (reconnecting forever), rooms, the glance and the composer.
// Everything anyone wrote is put in the page as text (textContent), never as HTML (render.js).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { me: null, rooms: new Map(), current: null, messages: new Map(), commands: [], glance: [],
                  ws: null, pending: [], typingSent: 0, typingTimer: null, choice: 0, glanceAt: 0,
                  limits: { text: 4096, files: 10 } };
  const outbox = window.ConsoleOutbox;
  const RETRY_FIRST = 500, RETRY_MAX = 10000;  // ms: reconnecting doubles from the first to the cap, jittered
  const net = { attempt: 0, timer: null };
  const post = (url, body) => fetch(url, { method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });
  const show = (id) => {
    ["signin", "choose", "app"].forEach((x) => { $(x).hidden = x !== id; });
    if (id !== "app") { clearApp(); offline(false); }
  };
  const el = window.ConsoleRender.el, render = window.ConsoleRender.render;

  // -- signing in -----------------------------------------------------------------------------
  async function start() {
    const link = new URLSearchParams(location.hash.slice(1)).get("welcome");
    if (link) {
      history.replaceState(null, "", location.pathname);
      const r = await post("/team/redeem", { token: link });
      if (!r.ok) { show("signin"); $("signin-error").textContent = (await r.text()).trim(); return; }
    }
    let me;
    try { me = await fetch("/team/me", { credentials: "same-origin" }); } catch (e) { return retryLater(); }
    if (me.status >= 500) return retryLater();  // a proxy in front of a server that is starting
    if (me.status !== 200) return show("signin");
    const who = await me.json();
    if (who.must_change) return show("choose");
    connect();
  }
  $("signin-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await post("/team/signin", { login: $("login").value, password: $("password").value });
    $("password").value = "";
    if (!r.ok) { $("signin-error").textContent = (await r.text()).trim(); return; }
    $("signin-error").textContent = "";
    start();
  });
  $("choose-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await post("/team/password", { password: $("new-password").value });
    if (!r.ok) { $("choose-error").textContent = (await r.text()).trim(); return; }
    start();
  });
  $("signout").addEventListener("click", async () => { outbox.clear(); await post("/team/signout"); location.reload(); });

  // Signed out or revoked: nothing of what was on screen stays under the sign-in card.
  function clearApp() {
    Object.assign(state, { me: null, current: null, glance: [], pending: [] });
    state.rooms.clear(); state.messages.clear();
    ["rooms", "glance", "messages", "pending", "me", "room-topic", "notice"].forEach((id) => { $(id).textContent = ""; });
    $("room-title").textContent = "Select a room"; $("text").value = ""; $("typing").hidden = true;
  }

  // -- the socket -------------------------------------------------------------------------------
  function connect() {
    let ws;
    try {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/team/ws");
    } catch (e) { return retryLater(); }
    state.ws = ws;
    ws.onmessage = (e) => { if (state.ws === ws) handle(JSON.parse(e.data)); };
    ws.onclose = () => { if (state.ws !== ws) return; state.ws = null; retryLater(); };
  }
  // Forever, never in step with every other page: the server may be down for a while.
  function retryLater() {
    if (net.timer) return;
    if (state.me || !$("app").hidden || $("signin").hidden) offline(true);
    const delay = Math.min(RETRY_MAX, RETRY_FIRST * 2 ** net.attempt) * (0.5 + Math.random() / 2);
    net.attempt = Math.min(net.attempt + 1, 10);
    net.timer = setTimeout(() => { net.timer = null; start(); }, delay);
  }
  function retryNow() {
    if (!net.timer) return;
    clearTimeout(net.timer); net.timer = null; start();
  }
  window.addEventListener("online", retryNow);
  function offline(on) { $("offline").hidden = !on; $("offline").textContent = on ? "Disconnected — reconnecting…" : ""; }
  const send = (frame) => {
    if (!state.ws || state.ws.readyState !== 1) return false;
    state.ws.send(JSON.stringify(frame)); return true;
  };

  function handle(f) {
    if (f.type === "hello") {
      show("app"); offline(false); net.attempt = 0;
      state.me = f.me; state.commands = f.commands; state.rooms.clear();
      state.messages.clear();  // after a reconnect: what was missed comes with each room's history
      if (f.limits) state.limits = f.limits;
      $("me").textContent = "@" + f.me.login + (f.me.admin ? " (admin)" : "");
      f.rooms.forEach((r) => state.rooms.set(r.room, r));
      setGlance(f.glance); drawRooms();
      const linked = new URLSearchParams(location.hash.slice(1)).get("room");  // /team/#room=%23support-1
      if (linked) history.replaceState(null, "", location.pathname);  // once: not again at a reconnect
      const first = linked || (state.rooms.has(state.current) ? state.current
        : (f.rooms.find((r) => r.kind === "line") || f.rooms[0] || {}).room);
      if (first) openRoom(first);
      flushOutbox();
    } else if (f.type === "ack") {
      outbox.remove(f.client_id); dropPendingRow(f.client_id);
    } else if (f.type === "room") {
      f.closed = f.closed || (state.rooms.get(f.room) || {}).closed;
      state.rooms.set(f.room, f); drawRooms(); if (f.room === state.current) drawHead();
    } else if (f.type === "room_gone") {  // closed: still readable, unlisted once left; else no longer theirs
      if (f.closed && state.rooms.has(f.room)) state.rooms.get(f.room).closed = true;
      else {
        state.rooms.delete(f.room); state.messages.delete(f.room);
        if (f.room === state.current) { state.current = null; drawHead(); drawMessages(); }
      }
      drawRooms();
    } else if (f.type === "message") {
      addMessage(f.room, f);
      if (f.room === state.current && document.visibilityState === "visible") markRead();
      else if (f.from.login !== state.me.login) { const r = state.rooms.get(f.room); if (r) { r.unread++; drawRooms(); } }
    } else if (f.type === "history") {
      state.messages.set(f.room, f.messages.slice(-500));
      if (f.room === state.current) { drawMessages(); markRead(); }
    } else if (f.type === "glance") {
      setGlance(f.conversations);
    } else if (f.type === "typing") {
      if (f.room === state.current) showTyping(f.on);
    } else if (f.type === "error" && f.client_id && outbox.find(f.client_id)) {
      refused(outbox.fail(f.client_id, f.message));
    } else if (f.type === "error") {
      addLocal("⚠️ " + f.message);
    }
  }

  // -- rooms and the glance ---------------------------------------------------------------------
  const KINDS = { line: "line", conversation: "conversation", direct: "direct", room: "room" };
  function drawRooms() {
    const list = $("rooms"); list.textContent = "";
    const order = { direct: 0, line: 1, conversation: 2, room: 3 };
    [...state.rooms.values()].filter((r) => !r.closed || r.room === state.current).sort((a, b) => order[a.kind] - order[b.kind] || a.room.localeCompare(b.room))
      .forEach((r) => {
        const li = el("li", r.room === state.current ? "current" : "");
        li.dataset.room = r.room;
        li.append(el("span", "", r.kind === "direct" ? "Open Lines (bot)" : r.room), el("span", "kind", KINDS[r.kind]));
        if (r.unread > 0) li.append(el("span", "badge", r.unread > 99 ? "99+" : String(r.unread)));
        li.onclick = () => openRoom(r.room);
        list.append(li);
      });
  }
  function setGlance(rows) { state.glance = rows; state.glanceAt = Date.now(); drawGlance(); }
  function age(seconds) {
    const s = Math.round(seconds + (Date.now() - state.glanceAt) / 1000);
    return s < 60 ? s + " s" : s < 3600 ? Math.round(s / 60) + " min" : Math.round(s / 3600) + " h";
  }
  function drawGlance() {
    const list = $("glance"); list.textContent = "";
    if (!state.glance.length) list.append(el("li", "meta", "No open conversations."));
    state.glance.forEach((c) => {
      const li = el("li", c.waiting ? "waiting" : "");
      li.dataset.conversation = c.id;
      li.append(el("div", "", "#" + c.id + " " + c.name),
        el("div", "meta", c.line + " · " + c.channel + " · " + age(c.age) + " · " + (c.owner ? "with " + c.owner : "waiting")),
        el("div", "preview", "“" + c.preview + "”"));
      li.onclick = () => { if (c.room) openRoom(c.room); };
      list.append(li);
    });
  }
  setInterval(drawGlance, 30000);

  function openRoom(room) {
    state.current = room; showTyping(false);
    send({ type: "open", room: room });
    drawRooms(); drawHead(); drawMessages();
  }
  function drawHead() {
    const r = state.rooms.get(state.current) || {};
    $("room-title").textContent = r.kind === "direct" ? "Open Lines (bot) — direct messages" : state.current;
    $("room-topic").textContent = r.topic || "";
    $("hint").hidden = r.kind !== "conversation";
  }
  function markRead() {
    const list = state.messages.get(state.current) || [];
    if (!list.length) return;
    const last = list[list.length - 1];
    const seqs = list.map((m) => (m.post && m.post.seq) || 0);
    send({ type: "read", room: state.current, id: last.id, seq: Math.max(...seqs) || undefined });
    const r = state.rooms.get(state.current); if (r && r.unread) { r.unread = 0; drawRooms(); }
  }
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") { markRead(); retryNow(); } });

  // -- messages ------------------------------------------------------------------------------------
  // A live message: appended once (a history frame replaces the room's list instead).
  function addMessage(room, frame) {
    const list = state.messages.get(room) || [];
    if (list.some((m) => m.id === frame.id)) return;
    const newest = list.length ? list[list.length - 1].id : -Infinity;
    list.push(frame); list.sort((a, b) => a.id - b.id);
    state.messages.set(room, list.slice(-500));
    if (room !== state.current) return;
    if (frame.id < newest) return drawMessages();
    const box = $("messages");
    box.insertBefore(render(frame, (state.rooms.get(room) || {}).kind), box.querySelector("li.pending"));
    box.scrollTop = box.scrollHeight;
  }
  function addLocal(text) {
    const li = el("li", "internal", text); $("messages").append(li); li.scrollIntoView();
  }
  function drawMessages() {
    const box = $("messages"); box.textContent = "";
    const kind = (state.rooms.get(state.current) || {}).kind;
    (state.messages.get(state.current) || []).forEach((m) => box.append(render(m, kind)));
    outbox.inRoom(state.current).forEach((e) => box.append(pendingRow(e)));
    box.scrollTop = box.scrollHeight;
  }
  function showTyping(on) {
    clearTimeout(state.typingHide);
    $("typing").hidden = !on; $("typing").textContent = on ? "The customer is typing…" : "";
    if (on) state.typingHide = setTimeout(() => showTyping(false), 8000);
  }

  // -- writing ---------------------------------------------------------------------------------------
  const box = $("text");
  $("composer").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  box.addEventListener("keydown", (e) => {
    const open = !$("completion").hidden;
    if (open && (e.key === "Tab" || (e.key === "Enter" && !e.shiftKey))) { e.preventDefault(); complete(); return; }
    if (open && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault(); state.choice += e.key === "ArrowDown" ? 1 : -1; suggest(); return;
    }
    if (open && e.key === "Escape") { $("completion").hidden = true; return; }
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); }
  });
  box.addEventListener("input", () => { state.choice = 0; suggest(); typing(true); });

  function matches() {
    const v = box.value;
    if (!v.startsWith("!") || v.includes("\n")) return [];
    return state.commands.filter((c) => c.command.startsWith(v) && c.command !== v.trimEnd()).slice(0, 12);
  }
  function suggest() {
    const list = $("completion"), found = matches();
    list.textContent = ""; list.hidden = !found.length;
    state.choice = Math.max(0, Math.min(state.choice, found.length - 1));
    found.forEach((c, i) => {
      const li = el("li", i === state.choice ? "active" : "");
      li.setAttribute("role", "option");
      li.append(el("span", "", c.command), el("span", "help", c.help));
      li.onmousedown = (e) => { e.preventDefault(); state.choice = i; complete(); };
      list.append(li);
    });
  }
  function complete() {
    const found = matches();
    if (found.length) box.value = found[state.choice].command + " ";
    $("completion").hidden = true; box.focus();
  }
  function typing(on) {
    const r = state.rooms.get(state.current);
    if (!r || r.kind !== "conversation" || box.value.startsWith("!")) return;
    clearTimeout(state.typingTimer);
    if (on) {
      if (Date.now() - state.typingSent > 2000) { send({ type: "typing", room: state.current, on: true }); state.typingSent = Date.now(); }
      state.typingTimer = setTimeout(() => typing(false), 3000);
    } else if (state.typingSent) {
      send({ type: "typing", room: state.current, on: false }); state.typingSent = 0;
    }
  }
  // What is sent waits in the outbox (shown "Sending…") until the server has it; too long stays in the box.
  function submit() {
    const text = box.value;
    if (!state.current || (!text.trim() && !state.pending.length)) return;
    const length = [...text].length;  // code points, as the server counts
    if (length > state.limits.text || state.pending.length > state.limits.files) {
      $("notice").textContent = "Not sent: at most " + state.limits.text + " characters (this is " + length +
        ") and " + state.limits.files + " files. Shorten it or split it.";
      return;
    }
    typing(false);
    const entry = outbox.add(state.me.login, state.current, text,
                             state.pending.map((f) => ({ token: f.token, name: f.name })));
    send(outbox.frame(entry));
    $("messages").append(pendingRow(entry)); $("messages").scrollTop = $("messages").scrollHeight;
    box.value = ""; state.pending = []; drawPending(); $("completion").hidden = true; $("notice").textContent = "";
  }
  function flushOutbox() {
    outbox.of(state.me.login).forEach((e) => {
      if (e.failed) return;
      if (state.rooms.has(e.room)) send(outbox.frame(e));
      else refused(outbox.fail(e.client_id, "you are no longer in " + e.room));
    });
    drawMessages();
  }
  function pendingRow(e) {
    const li = el("li", "pending" + (e.failed ? " failed" : "")); li.dataset.clientId = e.client_id;
    li.append(el("span", "tag", e.failed ? "Not sent: " + e.failed : "Sending…"), document.createTextNode(e.text));
    e.files.forEach((f) => li.append(document.createElement("br"), el("span", "", "📎 " + f.name)));
    if (e.failed) {
      const edit = el("button", "link", "edit and send again"); edit.type = "button";
      edit.onclick = () => { if (!box.value && e.room === state.current) takeBack(e); };
      li.append(" ", edit);
    }
    return li;
  }
  function dropPendingRow(clientId) {
    const row = document.querySelector(`#messages li.pending[data-client-id="${CSS.escape(clientId)}"]`);
    if (row) row.remove();
  }
  // The server refused a message: its words go back in the box when they can (same room, empty box),
  // else its row says why and keeps them.
  function refused(entry) {
    if (!entry) return;
    $("notice").textContent = "Not sent: " + entry.failed;
    if (entry.room === state.current && !box.value) takeBack(entry); else if (entry.room === state.current) drawMessages();
  }
  function takeBack(entry) {
    outbox.remove(entry.client_id); dropPendingRow(entry.client_id);
    box.value = entry.text; state.pending = entry.files.slice(); drawPending(); box.focus();
  }
  $("file").addEventListener("change", async () => {
    const file = $("file").files[0];
    if (!file) return;
    $("file").value = "";
    let r;
    try {
      r = await fetch("/team/upload?name=" + encodeURIComponent(file.name), { method: "POST",
        credentials: "same-origin", headers: { "Content-Type": file.type || "application/octet-stream" }, body: file });
    } catch (e) { $("notice").textContent = "Upload failed: the server cannot be reached; attach it again."; return; }
    if (!r.ok) { $("notice").textContent = "Upload failed: " + (await r.text()).trim(); return; }
    state.pending.push(await r.json()); drawPending();
  });
  function drawPending() {
    const list = $("pending"); list.textContent = "";
    state.pending.forEach((f) => list.append(el("li", "", "📎 " + f.name)));
  }

  start();
})();
