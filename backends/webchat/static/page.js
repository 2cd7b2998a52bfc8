/*
 * Open Lines chat page — the connection: one socket to ./ws, hello and welcome, the server's frames
 * handed to the list, forms and composer, older history on scroll, a resend after a rate limit,
 * reconnects with backoff. Loaded last (page-base.js says in what order): it starts the page.
 */
(function (chat) {
  'use strict';

  var BACKOFF_MIN = 1000, BACKOFF_MAX = 30000, STABLE_AFTER = 10000;
  var WELCOME_TIMEOUT = 15000; // an open socket that never says welcome is treated as dead
  var OLDER_AT = 80;           // px from the top: ask for older messages
  var state = chat.state, el = chat.el, t = chat.t, keys = chat.keys, local = chat.local;
  var ws = null, attempt = 0, everTried = false, retryTimer = null, onlineSince = 0, welcomeTimer = null;

  function setStatus(status) {
    el.status.setAttribute('data-state', status);
    el.statusText.textContent = status === 'online' ? (state.line.open ? t('online') : t('away'))
      : (status === 'reconnecting' ? t('reconnecting') : t('connecting'));
  }

  function sendFrame(obj) {
    if (!ws || ws.readyState !== 1) return false;
    try { ws.send(JSON.stringify(obj)); return true; } catch (e) { return false; }
  }

  function wsUrl() {
    var u = chat.here('ws');
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  // ---------------------------------------------------------------- the socket
  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (ws) return;
    setStatus(everTried ? 'reconnecting' : 'connecting');
    everTried = true;
    var sock;
    try { sock = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
    ws = sock;
    state.ready = false;
    sock.onopen = function () {
      if (sock !== ws) return;
      var hello = { type: 'hello', visitor_token: state.token || null, last_seq: state.lastSeq };
      var name = local.get(keys.name), email = local.get(keys.email);
      if (name) hello.name = name;
      if (email) hello.email = email;
      if (chat.i18n.visitor) hello.language = chat.i18n.visitor;
      sendFrame(hello);
      clearTimeout(welcomeTimer);
      welcomeTimer = setTimeout(function () {
        if (sock !== ws || state.ready) return;
        dropSocket();
        scheduleReconnect();
      }, WELCOME_TIMEOUT);
    };
    sock.onmessage = function (ev) {
      if (sock !== ws || typeof ev.data !== 'string') return;
      var data;
      try { data = JSON.parse(ev.data); } catch (e) { return; }
      if (data && typeof data === 'object' && typeof data.type === 'string') handle(data);
    };
    sock.onclose = function () {
      if (sock !== ws) return;
      dropSocket();
      if (onlineSince && Date.now() - onlineSince >= STABLE_AFTER) attempt = 0;
      onlineSince = 0;
      scheduleReconnect();
    };
    sock.onerror = function () { /* a close event follows */ };
  }

  function dropSocket() {
    var sock = ws;
    ws = null;
    state.ready = false;
    clearTimeout(welcomeTimer);
    chat.dropTyping();
    chat.setAgentTyping(false);
    if (sock) {
      sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
      try { sock.close(1000); } catch (e) { /* ignore */ }
    }
  }

  function scheduleReconnect() {
    if (retryTimer || ws) return;
    setStatus('reconnecting');
    var delay = Math.max(Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, attempt)), state.waitUntil - Date.now());
    attempt = Math.min(attempt + 1, 10);
    retryTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    dropSocket();
    clearTimeout(retryTimer);
    retryTimer = null;
    connect();
  }

  // ---------------------------------------------------------------- the server's frames
  function welcome(data) {
    var token = state.token;
    if (typeof data.visitor_token === 'string' && data.visitor_token) {
      if (token && data.visitor_token !== token && data.visitor_token.split('.')[0] !== token.split('.')[0]) {
        chat.resetConversationView();
      }
      state.token = data.visitor_token;
      local.set(keys.token, state.token);
      chat.tellParent({ type: 'openlines:known' });
    }
    state.conversationId = typeof data.conversation_id === 'string' ? data.conversation_id : null;
    if (data.line && typeof data.line === 'object') {
      state.line = { name: String(data.line.name || ''), open: data.line.open !== false,
                     prechat: String(data.line.prechat || 'off'), email_replies: !!data.line.email_replies };
    }
    state.ready = true;
    clearTimeout(welcomeTimer);
    onlineSince = Date.now();
    setStatus('online');
    chat.refreshForms();
    chat.flushPending();
  }

  function onError(data) {
    var p = chat.findPending(data.client_id);
    if (data.code === 'rate_limited') {
      var seconds = Math.max(1, Number(data.retry_after) || 1);
      chat.showError(t('rate_limited', { seconds: seconds }));
      state.waitUntil = Date.now() + seconds * 1000;
      if (p && !p.file) {
        setTimeout(function () { if (state.ready && state.pending.indexOf(p) >= 0) chat.sendPending(p); }, seconds * 1000);
      }
      return;  // nothing was stored: it goes again by itself
    }
    if (data.code === 'idle') return;  // the server closes; we connect again
    chat.showError(typeof data.message === 'string' && data.message ? data.message : t('error'));
    if (p) chat.markFailed(p);
  }

  function handle(data) {
    switch (data.type) {
      case 'welcome': welcome(data); break;
      case 'history': chat.onHistory(data); break;
      case 'message': chat.addServerMessage(data, true); break;
      case 'ack': chat.onAck(data); break;
      case 'error': onError(data); break;
      case 'typing':
        if (data.from !== 'customer') chat.setAgentTyping(!!data.on, typeof data.author === 'string' ? data.author : '');
        break;
      case 'read':
        if (chat.toSeq(data.seq) && data.seq > state.readUpTo) { state.readUpTo = data.seq; chat.markSeen(); }
        break;
      case 'event': chat.onEvent(data); break;
      case 'rating_request':
        if (typeof data.conversation_id === 'string') chat.showEnd(true, data.conversation_id);
        break;
      case 'rated': chat.rated(); break;
      case 'forgotten': chat.forgotten(); break;
      default: break;  // unknown frames are ignored
    }
  }

  function askOlder() {
    if (!state.moreOlder || state.loadingOlder || !state.ready || !state.oldestSeq || el.messages.scrollTop > OLDER_AT) return;
    if (sendFrame({ type: 'history', before_seq: state.oldestSeq })) { state.loadingOlder = true; el.older.hidden = false; }
  }

  chat.setStatus = setStatus;
  chat.sendFrame = sendFrame;
  chat.reconnectNow = reconnectNow;

  // ---------------------------------------------------------------- page life
  el.messages.addEventListener('scroll', askOlder, { passive: true });
  document.addEventListener('visibilitychange', function () {
    // Back from the background: don't wait for the backoff.
    if (document.visibilityState === 'visible' && retryTimer) reconnectNow();
  });
  window.addEventListener('online', function () { if (retryTimer) reconnectNow(); });

  chat.applyBranding();
  chat.restorePending();
  chat.regroup();
  chat.onTextChanged();
  connect();
  if (!chat.embedded && window.matchMedia && window.matchMedia('(pointer: fine)').matches) el.text.focus();
})(window.OpenLinesChat);
