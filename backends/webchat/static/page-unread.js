/*
 * Open Lines chat page — what the customer has not seen yet: agent messages that came while the
 * widget's panel was closed or the tab hidden. The widget (its badge and preview) hears of them by
 * postMessage, the tab by its title, the operators by a read frame once the customer looks;
 * the newest seq seen is kept in localStorage, so a reload or another page does not count it again.
 */
(function (chat) {
  'use strict';

  var state = chat.state, el = chat.el, keys = chat.keys, local = chat.local;

  function customerLooking() { return state.panelOpen && document.visibilityState === 'visible'; }

  function noteAgentMessage(seq, text, live) {
    var seen = Number(local.get(keys.seen)) || 0;
    if (seq <= seen) return;
    if (customerLooking()) { markAllSeen(); return; }
    state.unread.push({ seq: seq, text: text });
    if (live) notifyIncoming();
    reportUnread();
  }

  function markAllSeen() {
    var seen = Number(local.get(keys.seen)) || 0;
    if (state.lastSeq > seen) local.set(keys.seen, String(state.lastSeq));
    state.unread = [];
    if (state.lastSeq && state.ready) chat.sendFrame({ type: 'read', seq: state.lastSeq });
    document.title = state.baseTitle;
    reportUnread();
  }

  function reportUnread() {
    var unread = state.unread;
    var last = unread.length ? unread[unread.length - 1].text : '';
    chat.tellParent({ type: 'openlines:unread', count: unread.length, preview: String(last).slice(0, 140) });
  }

  function notifyIncoming() {
    chat.tellParent({ type: 'openlines:message' });
    if (document.visibilityState !== 'visible') document.title = '(' + state.unread.length + ') ' + state.baseTitle;
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && customerLooking()) markAllSeen();
  });
  window.addEventListener('message', function (e) {
    // Only the embedding page (widget.js) talks to us: focus, and whether its panel is open.
    if (!chat.embedded || e.source !== window.parent || !e.data || typeof e.data !== 'object') return;
    if (e.data.type === 'openlines:focus') {
      if (window.matchMedia && window.matchMedia('(pointer: fine)').matches) el.text.focus();
    } else if (e.data.type === 'openlines:state') {
      state.panelOpen = !!e.data.open;
      if (customerLooking()) markAllSeen();
    }
  });

  chat.noteAgentMessage = noteAgentMessage;
  chat.reportUnread = reportUnread;
})(window.OpenLinesChat);
