// Open Lines team console — one message as a list item. Everything anyone wrote is put in the page as
// text (textContent), never as HTML.
"use strict";
window.ConsoleRender = (() => {
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text; return e; };
  const TAGS = { customer: "Customer", edit: "Customer · edited", operator: "To the customer",
                 auto: "Auto-reply to the customer", whisper: "Internal", notice: "Internal", announce: "New" };
  function render(m, roomKind) {
    const li = el("li"); li.dataset.id = m.id;
    li.append(el("span", "time", new Date(m.ts * 1000).toLocaleTimeString()));
    if (m.format === "post") {
      const p = m.post;
      li.className = p.kind === "customer" || p.kind === "edit" ? "customer"
        : p.internal ? "internal" : "to-customer";
      li.dataset.kind = p.kind;
      if (p.repeated) li.append(el("span", "tag", "↻ repeated after a restart"));
      li.append(el("span", "tag", TAGS[p.kind] || p.kind));
      if (p.kind === "customer" || p.kind === "edit") li.append(el("span", "who", p.author + " · " + p.label));
      else if (p.author) li.append(el("span", "who", p.author));
      li.append(document.createTextNode(p.text));
      files(li, p.files);
      return li;
    }
    li.append(el("span", "who", m.from.bot ? m.from.name : "@" + m.from.login));
    const text = m.text || "";
    if (m.from.bot) { li.className = "bot"; formatted(li, text); }
    else if (/^\s*!/.test(text)) { li.className = "command"; li.append(document.createTextNode(text)); }
    // The server says where a conversation room's message went (whisper mode too); older ones: the ~.
    else if (roomKind === "conversation" && (m.internal !== undefined ? m.internal : /^\s*~/.test(text))) {
      li.className = "internal"; li.dataset.kind = "whisper";
      li.append(el("span", "tag", "Internal"), document.createTextNode(text.replace(/^\s*~\s*/, "")));
    } else {
      if (roomKind === "conversation") { li.className = "to-customer"; li.append(el("span", "tag", "To the customer")); }
      li.append(document.createTextNode(text));
    }
    files(li, m.files);
    return li;
  }
  // The bot's Markdown, reduced to what reads well: `code` and **bold**, as text nodes (linear, no HTML).
  function formatted(parent, text) {
    text.split(/(`[^`\n]*`|\*\*[^*\n]+\*\*)/).forEach((part) => {
      if (/^`[^`]*`$/.test(part) && part.length > 1) parent.append(el("code", "", part.slice(1, -1)));
      else if (/^\*\*[^*]+\*\*$/.test(part)) parent.append(el("strong", "", part.slice(2, -2)));
      else if (part) parent.append(document.createTextNode(part.replace(/\\([\\`*_{}\[\]()#+\-.!|>])/g, "$1")));
    });
  }
  function files(li, list) {
    (list || []).forEach((f) => {
      let url = null;
      try { url = new URL(f.url || "", location.href); } catch (e) { url = null; }
      const ours = url && url.origin === location.origin;
      if (ours && /^image\/(png|jpeg|gif|webp)$/.test(f.content_type || "")) {
        const img = el("img"); img.src = url.href; img.alt = f.name; li.append(img);
      } else if (url && /^https?:$/.test(url.protocol)) {  // a customer's link: never javascript: or data:
        const a = el("a", "", "📎 " + (f.name || "file")); a.href = url.href; a.target = "_blank";
        a.rel = "noopener noreferrer"; li.append(document.createElement("br"), a);
      } else {
        li.append(document.createElement("br"), el("span", "", "📎 " + (f.name || "file")));
      }
    });
  }
  return { el, render };
})();
