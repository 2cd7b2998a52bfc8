/*
 * Open Lines chat page — the message list: the server's messages and history kept in seq order
 * (unsent ones below), acks, events, grouping, "Seen", dividers between conversations.
 */
(function (chat) {
  'use strict';

  var AGENT_TYPING_SHOWN = 8000;
  var state = chat.state, el = chat.el, t = chat.t, toSeq = chat.toSeq;
  var agentTypingTimer = null;

  function nearBottom() { var m = el.messages; return m.scrollHeight - m.scrollTop - m.clientHeight < 120; }
  function scrollToBottom() { el.messages.scrollTop = el.messages.scrollHeight; }

  function insertBySeq(row, seq) {
    // Sent messages sorted by seq; unsent ones always stay below them.
    row.setAttribute('data-seq', String(seq));
    var kids = el.list.children;
    for (var i = kids.length - 1; i >= 0; i--) {
      var k = kids[i];
      if (k === row || chat.isUnsent(k) || !k.hasAttribute('data-seq')) continue;
      if (Number(k.getAttribute('data-seq')) < seq) {
        var next = k.nextSibling;
        while (next && next !== row && !next.hasAttribute('data-seq') && !chat.isUnsent(next)) next = next.nextSibling;
        el.list.insertBefore(row, next);
        return;
      }
    }
    el.list.insertBefore(row, el.list.firstChild);
  }

  function regroup() {
    var kids = el.list.children, prev = null;
    for (var i = 0; i < kids.length; i++) {
      var k = kids[i], from = k.getAttribute('data-from');
      var cont = !!prev && prev.getAttribute('data-from') === from && (from === 'customer' || from === 'agent') &&
        (from === 'customer' || prev.getAttribute('data-author') === k.getAttribute('data-author')) &&
        Math.abs(Number(k.getAttribute('data-ts')) - Number(prev.getAttribute('data-ts'))) < 600;
      k.classList.toggle('ol-cont', cont);
      var who = k.querySelector('.ol-author');
      if (who) who.hidden = cont;
      prev = k;
    }
    el.empty.hidden = kids.length > 0 || !el.prechat.hidden;
    markSeen();
  }

  function markSeen() {
    // "Seen" under the customer's newest message the operators have seen.
    var rows = el.list.querySelectorAll('.ol-me[data-seq]'), best = null;
    for (var i = 0; i < rows.length; i++) {
      var s = rows[i].querySelector('.ol-state');
      if (s && s.classList.contains('ol-seen')) { s.textContent = ''; s.classList.remove('ol-seen'); }
      if (Number(rows[i].getAttribute('data-seq')) <= state.readUpTo) best = rows[i];
    }
    if (best) {
      var status = best.querySelector('.ol-state');
      status.textContent = '✓ ' + t('seen');
      status.classList.add('ol-seen');
    }
  }

  function setAgentTyping(on, author) {
    clearTimeout(agentTypingTimer);
    if (on) {
      el.typingText.textContent = t('typing', { name: author || state.line.name || t('support') });
      var stick = nearBottom();
      el.typing.hidden = false;
      if (stick) scrollToBottom();
      agentTypingTimer = setTimeout(function () { el.typing.hidden = true; }, AGENT_TYPING_SHOWN);
    } else {
      el.typing.hidden = true;
    }
  }

  function conversationOf(m) { return typeof m.conversation_id === 'string' ? m.conversation_id : null; }

  function noteConversation(cid, row, live) {
    // A message of another conversation than the one before it: a divider between them.
    if (!cid) return;
    if (state.lastConversation && cid !== state.lastConversation && row.parentNode) {
      // "Start a new conversation" drew one already: that one, not a second.
      var divider = el.list.querySelector('.ol-divider[data-awaiting]') || chat.divider(t('new_divider'));
      divider.removeAttribute('data-awaiting');
      row.parentNode.insertBefore(divider, row);
    }
    if (!state.lastConversation || Number(cid) >= Number(state.lastConversation)) state.lastConversation = cid;
    if (live && state.ended && cid === state.conversationId) chat.showEnd(false);
  }

  // ``batch``: one of a history page; the caller regroups, refreshes and scrolls once after the page.
  function addServerMessage(m, live, batch) {
    var seq = toSeq(m.seq);
    if (seq === null) return;
    var from = m.from === 'customer' || m.from === 'agent' ? m.from : 'system';
    var stick = nearBottom();
    var p = chat.findPending(m.client_id);
    if (p) { chat.forgetPending(p); if (p.row.parentNode) p.row.parentNode.removeChild(p.row); }
    if (from === 'customer') state.customerSpoke = true;
    if (seq > state.lastSeq) state.lastSeq = seq;
    if (!state.oldestSeq || seq < state.oldestSeq) state.oldestSeq = seq;
    var files = Array.isArray(m.attachments) ? m.attachments : null;
    var old = state.shown[seq];
    if (old && !(files && !old.hasAttribute('data-files'))) { if (p && !batch) regroup(); return; }
    var text = typeof m.text === 'string' ? m.text : '';
    var ts = typeof m.ts === 'number' ? m.ts : 0;
    var row = chat.buildRow(from, typeof m.author === 'string' ? m.author : '', text, ts, files);
    if (old && old.parentNode) old.parentNode.removeChild(old);
    state.shown[seq] = row;
    insertBySeq(row, seq);
    if (!old) noteConversation(conversationOf(m), row, live);
    if (from === 'agent') {
      if (live) setAgentTyping(false);
      chat.noteAgentMessage(seq, text || (files && files.length ? '📎 ' + (files[0].name || '') : ''), live);
    }
    if (batch) return;
    regroup();
    chat.refreshForms();
    if (stick || (live && from === 'customer')) scrollToBottom();
  }

  function onHistory(data) {
    var msgs = Array.isArray(data.messages) ? data.messages.slice() : [];
    msgs.sort(function (a, b) { return (toSeq(a && a.seq) || 0) - (toSeq(b && b.seq) || 0); });
    var older = typeof data.before_seq === 'number';
    if (older) {
      var before = el.messages.scrollHeight, top = el.messages.scrollTop;
      for (var i = 0; i < msgs.length; i++) if (msgs[i] && typeof msgs[i] === 'object') addServerMessage(msgs[i], false, true);
      regroup();
      chat.refreshForms();
      el.messages.scrollTop = top + (el.messages.scrollHeight - before);  // the reader stays where they were
      state.moreOlder = !!data.more;
      state.loadingOlder = false;
      el.older.hidden = true;
      return;
    }
    var first = !state.historyLoaded || el.list.children.length === 0;
    if (first) state.moreOlder = !!data.more;
    else if (data.more) { resetConversationView(); state.moreOlder = true; }  // a gap since we left: start over
    var stick = nearBottom();
    for (var j = 0; j < msgs.length; j++) if (msgs[j] && typeof msgs[j] === 'object') addServerMessage(msgs[j], false, true);
    regroup();
    if (first || stick) scrollToBottom();
    state.historyLoaded = true;
    if (!state.conversationId && state.lastConversation && !state.ended) chat.showEnd(true);  // it closed while we were away
    chat.refreshForms();
    chat.reportUnread();
  }

  function onAck(data) {
    var p = chat.findPending(data.client_id);
    if (typeof data.conversation_id === 'string' && data.conversation_id) {
      state.conversationId = data.conversation_id;
      if (state.ended) chat.showEnd(false);
    }
    if (!p) return;
    chat.forgetPending(p);
    var seq = toSeq(data.seq), row = p.row;
    chat.setRowState(row, 'sent');
    if (seq === null) { regroup(); return; }
    if (seq > state.lastSeq) state.lastSeq = seq;
    if (state.shown[seq]) {
      if (row.parentNode) row.parentNode.removeChild(row);  // already shown from another tab's echo
    } else {
      state.shown[seq] = row;
      insertBySeq(row, seq);
      noteConversation(data.conversation_id, row, true);
    }
    regroup();
  }

  function onEvent(data) {
    var author = typeof data.author === 'string' ? data.author : '';
    if (data.event === 'closed') { chat.conversationClosed(author); return; }
    var kind = data.event === 'transferred' ? 'transferred' : (data.event === 'joined' ? 'joined' : null);
    if (!kind) return;
    var stick = nearBottom();
    el.list.appendChild(chat.systemRow(author ? t(kind, { name: author }) : t(kind + '_anon'), 'ol-event'));
    regroup();
    if (stick) scrollToBottom();
  }

  function resetConversationView() {
    // The server gave us a different identity, or a gap: what is on screen goes.
    while (el.list.firstChild) el.list.removeChild(el.list.firstChild);
    state.shown = Object.create(null);
    state.lastSeq = state.oldestSeq = 0;
    state.moreOlder = false;
    state.customerSpoke = false;
    state.conversationId = state.lastConversation = null;
    state.unread = [];
    chat.showEnd(false);
    for (var i = 0; i < state.pending.length; i++) el.list.appendChild(state.pending[i].row);
    regroup();
  }

  chat.nearBottom = nearBottom;
  chat.scrollToBottom = scrollToBottom;
  chat.regroup = regroup;
  chat.markSeen = markSeen;
  chat.setAgentTyping = setAgentTyping;
  chat.addServerMessage = addServerMessage;
  chat.onHistory = onHistory;
  chat.onAck = onAck;
  chat.onEvent = onEvent;
  chat.resetConversationView = resetConversationView;
})(window.OpenLinesChat);
