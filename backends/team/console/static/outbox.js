// Open Lines team console — the page's outbox: what an operator sent and the server has not acknowledged.
// Each entry has a client id; it is kept in sessionStorage (a reload keeps it) until the server's `ack`,
// and resent with the same id after every reconnect: the server keeps a client id once per login.
"use strict";
window.ConsoleOutbox = (() => {
  const KEY = "openlines-console-outbox";
  let entries = [];
  try { entries = JSON.parse(sessionStorage.getItem(KEY) || "[]"); } catch (e) { entries = []; }
  if (!Array.isArray(entries)) entries = [];
  entries = entries.filter((e) => e && typeof e.client_id === "string" && typeof e.text === "string");

  const save = () => {
    try {
      if (entries.length) sessionStorage.setItem(KEY, JSON.stringify(entries)); else sessionStorage.removeItem(KEY);
    } catch (e) { /* storage full or off: the entries still live in the page */ }
  };
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12));

  return {
    // A new message, queued: {client_id, login, room, text, files: [{token, name}], ts, failed?}
    add(login, room, text, files) {
      const entry = { client_id: uuid(), login, room, text, files, ts: Date.now() / 1000 };
      entries.push(entry); save();
      return entry;
    },
    find: (clientId) => entries.find((e) => e.client_id === clientId),
    remove(clientId) { entries = entries.filter((e) => e.client_id !== clientId); save(); },
    fail(clientId, reason) {
      const entry = entries.find((e) => e.client_id === clientId);
      if (entry) { entry.failed = reason; save(); }
      return entry;
    },
    // Signed in as `login`: what another login queued in this tab is never sent as them.
    of(login) { entries = entries.filter((e) => e.login === login); save(); return entries.slice(); },
    inRoom: (room) => entries.filter((e) => e.room === room),
    clear() { entries = []; save(); },
    frame: (e) => ({ type: "say", room: e.room, text: e.text, files: e.files.map((f) => f.token),
                     client_id: e.client_id }),
  };
})();
