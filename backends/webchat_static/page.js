/*
 * Open Lines — the website chat page (standalone, or in the widget's frame with ?embed=1).
 * Speaks the JSON protocol over /webchat/WIDGET/ws (README, "Website live chat").
 * Everything anyone wrote is put on the page as text nodes (Markdown via markdown.js).
 */
(function () {
  'use strict';

  var MAX_LEN = 4096;          // characters (code points), as the server counts them
  var COUNTER_FROM = 3600;
  var TYPING_EVERY = 3000;     // send typing:on at most this often
  var TYPING_IDLE = 5000;      // typing:off this long after the last keystroke
  var BACKOFF_MIN = 1000, BACKOFF_MAX = 30000, STABLE_AFTER = 10000;
  var ERROR_VISIBLE = 9000;
  var WELCOME_TIMEOUT = 15000; // an open socket that never says welcome is treated as dead
  var AGENT_TYPING_SHOWN = 8000;
  var OLDER_AT = 80;           // px from the top: ask for older messages
  var EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

  // ---------------------------------------------------------------- setup
  var config = {};
  try { config = JSON.parse(document.getElementById('ol-config').textContent) || {}; } catch (e) { config = {}; }
  var params = new URLSearchParams(location.search);
  var embedded = params.get('embed') === '1';
  var root = document.documentElement;
  if (embedded) root.classList.add('ol-embed');
  var i18n = window.OpenLinesI18n.make(params.get('lang') || (config.language !== 'auto' ? config.language : null));
  var t = i18n.t;
  var md = window.OpenLinesMarkdown;
  root.lang = i18n.lang;

  var pathMatch = /\/webchat\/([^\/]+)/.exec(location.pathname);
  var widget = pathMatch ? safeDecode(pathMatch[1]) : 'default';
  function key(name) { return 'openlines:' + widget + ':' + name; }
  var KEY_TOKEN = key('token'), KEY_NAME = key('name'), KEY_EMAIL = key('email'), KEY_PENDING = key('pending');
  var KEY_SEEN = key('seen');
  var local = makeStore('localStorage');
  var session = makeStore('sessionStorage');

  var $ = function (id) { return document.getElementById(id); };
  var el = {
    title: $('ol-title'), logo: $('ol-logo'), avatar: $('ol-avatar'),
    status: $('ol-status'), statusText: $('ol-status-text'),
    menuButton: $('ol-menu-button'), menu: $('ol-menu'), forget: $('ol-forget'),
    forgetConfirm: $('ol-forget-confirm'), forgetYes: $('ol-forget-yes'), forgetNo: $('ol-forget-no'),
    messages: $('ol-messages'), list: $('ol-list'), empty: $('ol-empty'), older: $('ol-older'),
    greetingTitle: $('ol-greeting-title'), greeting: $('ol-greeting'),
    away: $('ol-away'), awayText: $('ol-away-text'), awayForm: $('ol-away-form'), awayEmail: $('ol-away-email'),
    prechat: $('ol-prechat'), preName: $('ol-pre-name'), preEmail: $('ol-pre-email'),
    preEmailLabel: $('ol-pre-email-label'),
    end: $('ol-end'), endText: $('ol-end-text'), rating: $('ol-rating'), rateGood: $('ol-rate-good'),
    rateBad: $('ol-rate-bad'), newConversation: $('ol-new'),
    typing: $('ol-typing'), typingText: $('ol-typing-text'),
    form: $('ol-form'), text: $('ol-text'), send: $('ol-send'), attach: $('ol-attach'), file: $('ol-file'),
    error: $('ol-error'), counter: $('ol-counter')
  };

  // ---------------------------------------------------------------- state
  var token = local.get(KEY_TOKEN) || null;
  var conversationId = null;         // the open conversation, if any
  var line = { name: '', open: true, prechat: 'off', email_replies: false };
  var shown = Object.create(null);   // seq -> row element
  var lastSeq = 0, oldestSeq = 0, moreOlder = false, loadingOlder = false;
  var readUpTo = 0;                  // the operators saw the customer's messages up to here
  var pending = [];                  // [{client_id, text, ts, row, failed, file}]
  var customerSpoke = false, historyLoaded = false, ended = false, ratingFor = null;
  var lastConversation = null;       // the conversation of the newest message shown
  var ws = null, ready = false, attempt = 0, everTried = false, retryTimer = null, onlineSince = 0;
  var welcomeTimer = null, waitUntil = 0;
  var typingOn = false, typingSentAt = 0, typingIdleTimer = null, agentTypingTimer = null, errorTimer = null;
  var panelOpen = !embedded;         // in the widget's frame: whether its panel is open
  var unread = [];                   // agent messages the customer has not seen: [{seq, text}]
  var baseTitle = document.title;

  // ---------------------------------------------------------------- helpers
  function safeDecode(s) { try { return decodeURIComponent(s); } catch (e) { return s; } }

  function makeStore(kind) {
    var mem = Object.create(null), s = null;
    try { s = window[kind]; s.setItem('openlines:probe', '1'); s.removeItem('openlines:probe'); } catch (e) { s = null; }
    return {
      get: function (k) {
        if (s) { try { return s.getItem(k); } catch (e) { /* fall through */ } }
        return k in mem ? mem[k] : null;
      },
      set: function (k, v) { mem[k] = v; if (s) { try { s.setItem(k, v); } catch (e) { /* quota */ } } },
      del: function (k) { delete mem[k]; if (s) { try { s.removeItem(k); } catch (e) { /* ignore */ } } }
    };
  }

  function shade(hex, amount) {
    var n = parseInt(hex.slice(1), 16);
    return '#' + [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(function (c) {
      c = Math.round(amount < 0 ? c * (1 + amount) : c + (255 - c) * amount);
      return ('0' + Math.max(0, Math.min(255, c)).toString(16)).slice(-2);
    }).join('');
  }

  function readableOn(hex) {  // white or near-black text, whichever reads better on the accent
    var n = parseInt(hex.slice(1), 16);
    var lum = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(function (c) {
      c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.05) ? '#ffffff' : '#111827';
  }

  function uuid() {
    var c = window.crypto;
    try { if (c && typeof c.randomUUID === 'function') return c.randomUUID(); } catch (e) { /* insecure context */ }
    var b = new Uint8Array(16), h = [], i;
    try { c.getRandomValues(b); } catch (e) { for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256); }
    for (i = 0; i < 16; i++) h.push((b[i] + 0x100).toString(16).slice(1));
    return h.join('');
  }

  function charCount(s) {  // code points, like Python's len()
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        var d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }

  function toSeq(v) {
    var n = typeof v === 'number' ? v : parseInt(v, 10);
    return isFinite(n) && n > 0 ? Math.floor(n) : null;
  }

  function here(path) {
    var u = new URL(location.href);
    if (u.pathname.slice(-1) !== '/') u.pathname += '/';
    u = new URL(path, u.href);
    u.search = ''; u.hash = '';
    return u;
  }

  function wsUrl() {
    var u = here('ws');
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  function formatTime(ts) {
    var d = new Date(ts * 1000);
    if (isNaN(d.getTime())) return '';
    var time = d.toLocaleTimeString(i18n.lang, { hour: '2-digit', minute: '2-digit' });
    var now = new Date();
    if (d.toDateString() === now.toDateString()) return time;
    var opts = { month: 'short', day: 'numeric' };
    if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
    return d.toLocaleDateString(i18n.lang, opts) + ', ' + time;
  }

  function formatSize(n) {
    if (typeof n !== 'number' || !isFinite(n)) return '';
    return n < 1024 ? n + ' B' : (n < 1048576 ? Math.round(n / 1024) + ' KB' : (n / 1048576).toFixed(1) + ' MB');
  }

  // ---------------------------------------------------------------- branding and strings
  function applyBranding() {
    var color = /^#[0-9a-fA-F]{6}$/.test(config.color || '') ? config.color : null;
    var fromUrl = params.get('color');
    if (!color && fromUrl && /^[0-9a-fA-F]{6}$/.test(fromUrl)) color = '#' + fromUrl;
    if (color) {
      root.style.setProperty('--ol-accent', color);
      root.style.setProperty('--ol-accent-dark', shade(color, -0.22));
      root.style.setProperty('--ol-on-accent', readableOn(color));
    }
    var title = config.title || t('title');
    el.title.textContent = title;
    document.title = baseTitle = title;
    if (config.greeting) { el.greeting.textContent = config.greeting; }
    if (config.logo_url && md.safeHref(config.logo_url)) {
      el.logo.src = config.logo_url;
      el.logo.hidden = false;
      el.avatar.hidden = true;
    }
    var nodes = document.querySelectorAll('[data-i18n]');
    for (var i = 0; i < nodes.length; i++) {
      var k = nodes[i].getAttribute('data-i18n');
      if (k === 'greeting' && config.greeting) continue;
      nodes[i].textContent = t(k);
    }
    el.text.placeholder = t('placeholder');
    el.attach.setAttribute('aria-label', t('attach'));
    el.menuButton.setAttribute('aria-label', t('options'));
    el.list.setAttribute('aria-label', t('messages'));
  }

  // ---------------------------------------------------------------- rendering
  function nearBottom() { var m = el.messages; return m.scrollHeight - m.scrollTop - m.clientHeight < 120; }
  function scrollToBottom() { el.messages.scrollTop = el.messages.scrollHeight; }

  function fillFiles(row, files) {
    if (!Array.isArray(files) || !files.length) return;
    var box = document.createElement('div');
    box.className = 'ol-files';
    for (var i = 0; i < files.length; i++) {
      var f = files[i] || {};
      var href = null;
      try { href = md.safeHref(new URL(String(f.url || ''), location.href).href); } catch (e) { href = null; }
      if (!href) continue;
      var name = typeof f.name === 'string' && f.name ? f.name : t('attach');
      var a = document.createElement('a');
      a.href = href; a.target = '_blank'; a.rel = 'noopener noreferrer';
      if (/^image\/(png|jpeg|gif|webp)$/.test(String(f.content_type || ''))) {
        var img = document.createElement('img');
        img.src = href; img.alt = name; img.loading = 'lazy';
        a.appendChild(img);
      } else {
        a.className = 'ol-file';
        a.textContent = '📎 ' + name + (f.size != null ? ' · ' + formatSize(f.size) : '');
      }
      box.appendChild(a);
    }
    row.setAttribute('data-files', String(files.length));
    row.insertBefore(box, row.querySelector('.ol-meta'));
  }

  function buildRow(from, author, text, ts, files) {
    var row = document.createElement('div');
    var side = from === 'customer' ? 'ol-me' : (from === 'agent' ? 'ol-agent' : 'ol-system');
    row.className = 'ol-row ' + side;
    row.setAttribute('data-from', from);
    row.setAttribute('data-author', author || '');
    row.setAttribute('data-ts', String(ts || 0));
    if (side === 'ol-agent') {
      var who = document.createElement('div');
      who.className = 'ol-author';
      who.textContent = author || line.name || t('support');
      row.appendChild(who);
    }
    if (text) {
      var bubble = document.createElement('div');
      bubble.className = 'ol-bubble';
      if (from === 'agent') md.render(bubble, text); else md.linkify(bubble, text);
      row.appendChild(bubble);
    }
    var meta = document.createElement('div');
    meta.className = 'ol-meta';
    var time = document.createElement('time');
    var d = new Date((ts || 0) * 1000);
    if (ts && !isNaN(d.getTime())) {
      time.dateTime = d.toISOString();
      time.title = d.toLocaleString(i18n.lang);
      time.textContent = formatTime(ts);
    }
    meta.appendChild(time);
    var state = document.createElement('span');
    state.className = 'ol-state';
    meta.appendChild(state);
    row.appendChild(meta);
    fillFiles(row, files);
    return row;
  }

  function systemRow(text, className) {
    var row = document.createElement('div');
    row.className = 'ol-row ol-system ' + (className || '');
    row.setAttribute('data-from', 'system');
    var bubble = document.createElement('div');
    bubble.className = 'ol-bubble';
    bubble.textContent = text;
    row.appendChild(bubble);
    return row;
  }

  function divider(text) {
    var d = document.createElement('div');
    d.className = 'ol-divider';
    d.setAttribute('role', 'separator');
    d.setAttribute('data-from', 'divider');
    d.textContent = text;
    return d;
  }

  function setRowState(row, kind, onRetry) {
    row.classList.toggle('ol-pending', kind === 'pending');
    row.classList.toggle('ol-failed', kind === 'failed');
    var state = row.querySelector('.ol-state');
    while (state.firstChild) state.removeChild(state.firstChild);
    state.className = 'ol-state';
    if (kind === 'pending') {
      state.textContent = row.hasAttribute('data-upload') ? t('uploading') : t('sending');
    } else if (kind === 'failed') {
      state.appendChild(document.createTextNode(t('not_sent') + ' · '));
      var b = document.createElement('button');
      b.type = 'button'; b.className = 'ol-retry'; b.textContent = t('retry');
      b.addEventListener('click', onRetry);
      state.appendChild(b);
    }
  }

  function isUnsent(row) { return row.classList.contains('ol-pending') || row.classList.contains('ol-failed'); }

  function insertBySeq(row, seq) {
    // Sent messages sorted by seq; unsent ones always stay below them.
    row.setAttribute('data-seq', String(seq));
    var kids = el.list.children;
    for (var i = kids.length - 1; i >= 0; i--) {
      var k = kids[i];
      if (k === row || isUnsent(k) || !k.hasAttribute('data-seq')) continue;
      if (Number(k.getAttribute('data-seq')) < seq) {
        var next = k.nextSibling;
        while (next && next !== row && !next.hasAttribute('data-seq') && !isUnsent(next)) next = next.nextSibling;
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
      if (Number(rows[i].getAttribute('data-seq')) <= readUpTo) best = rows[i];
    }
    if (best) {
      var state = best.querySelector('.ol-state');
      state.textContent = '✓ ' + t('seen');
      state.classList.add('ol-seen');
    }
  }

  // ---------------------------------------------------------------- conversations: dividers, the end
  function conversationOf(m) { return typeof m.conversation_id === 'string' ? m.conversation_id : null; }

  function noteConversation(cid, row, live) {
    // A message of another conversation than the one before it: a divider between them.
    if (!cid) return;
    if (lastConversation && cid !== lastConversation && row.parentNode) {
      row.parentNode.insertBefore(divider(t('new_divider')), row);
    }
    if (!lastConversation || Number(cid) >= Number(lastConversation)) lastConversation = cid;
    if (live && ended && cid === conversationId) showEnd(false);
  }

  function showEnd(on, rateFor) {
    ended = on;
    el.end.hidden = !on;
    if (!on) { ratingFor = null; el.rating.hidden = true; return; }
    if (rateFor) {
      ratingFor = rateFor;
      el.rating.hidden = false;
      el.rateGood.disabled = el.rateBad.disabled = false;
      el.endText.textContent = t('ended');
    }
    if (nearBottom() || rateFor) scrollToBottom();
  }

  function conversationClosed(author) {
    var stick = nearBottom();
    el.list.appendChild(systemRow(author ? t('closed', { name: author }) : t('closed_anon'), 'ol-event'));
    el.list.appendChild(divider(t('ended_divider')));
    conversationId = null;
    showEnd(true);
    regroup();
    if (stick) scrollToBottom();
  }

  function startNew() {
    showEnd(false);
    el.list.appendChild(divider(t('new_divider')));
    el.text.focus();
    scrollToBottom();
  }

  // ---------------------------------------------------------------- server frames
  function forgetPending(p) { var i = pending.indexOf(p); if (i >= 0) pending.splice(i, 1); savePending(); }

  function findPending(cid) {
    if (!cid) return null;
    for (var i = 0; i < pending.length; i++) if (pending[i].client_id === cid) return pending[i];
    return null;
  }

  function addServerMessage(m, live) {
    var seq = toSeq(m.seq);
    if (seq === null) return;
    var from = m.from === 'customer' || m.from === 'agent' ? m.from : 'system';
    var stick = nearBottom();
    var p = findPending(m.client_id);
    if (p) { forgetPending(p); if (p.row.parentNode) p.row.parentNode.removeChild(p.row); }
    if (from === 'customer') customerSpoke = true;
    if (seq > lastSeq) lastSeq = seq;
    if (!oldestSeq || seq < oldestSeq) oldestSeq = seq;
    var files = Array.isArray(m.attachments) ? m.attachments : null;
    var old = shown[seq];
    if (old && !(files && !old.hasAttribute('data-files'))) { if (p) regroup(); return; }
    var text = typeof m.text === 'string' ? m.text : '';
    var ts = typeof m.ts === 'number' ? m.ts : 0;
    var row = buildRow(from, typeof m.author === 'string' ? m.author : '', text, ts, files);
    if (old && old.parentNode) old.parentNode.removeChild(old);
    shown[seq] = row;
    insertBySeq(row, seq);
    if (!old) noteConversation(conversationOf(m), row, live);
    if (from === 'agent') {
      if (live) setAgentTyping(false);
      noteAgentMessage(seq, text || (files && files.length ? '📎 ' + (files[0].name || '') : ''), live);
    }
    regroup();
    refreshForms();
    if (stick || (live && from === 'customer')) scrollToBottom();
  }

  function onHistory(data) {
    var msgs = Array.isArray(data.messages) ? data.messages.slice() : [];
    msgs.sort(function (a, b) { return (toSeq(a && a.seq) || 0) - (toSeq(b && b.seq) || 0); });
    var older = typeof data.before_seq === 'number';
    if (older) {
      var before = el.messages.scrollHeight, top = el.messages.scrollTop;
      for (var i = 0; i < msgs.length; i++) if (msgs[i] && typeof msgs[i] === 'object') addServerMessage(msgs[i], false);
      el.messages.scrollTop = top + (el.messages.scrollHeight - before);  // the reader stays where they were
      moreOlder = !!data.more;
      loadingOlder = false;
      el.older.hidden = true;
      return;
    }
    var first = !historyLoaded || el.list.children.length === 0;
    if (first) moreOlder = !!data.more;
    else if (data.more) { resetConversationView(); moreOlder = true; }  // a gap since we left: start over
    for (var j = 0; j < msgs.length; j++) if (msgs[j] && typeof msgs[j] === 'object') addServerMessage(msgs[j], false);
    if (first) scrollToBottom();
    historyLoaded = true;
    if (!conversationId && lastConversation && !ended) showEnd(true);  // it closed while we were away
    refreshForms();
    reportUnread();
  }

  function onAck(data) {
    var p = findPending(data.client_id);
    if (typeof data.conversation_id === 'string' && data.conversation_id) {
      conversationId = data.conversation_id;
      if (ended) showEnd(false);
    }
    if (!p) return;
    forgetPending(p);
    var seq = toSeq(data.seq), row = p.row;
    setRowState(row, 'sent');
    if (seq === null) { regroup(); return; }
    if (seq > lastSeq) lastSeq = seq;
    if (shown[seq]) {
      if (row.parentNode) row.parentNode.removeChild(row);  // already shown from another tab's echo
    } else {
      shown[seq] = row;
      insertBySeq(row, seq);
      noteConversation(data.conversation_id, row, true);
    }
    regroup();
  }

  function onError(data) {
    var p = findPending(data.client_id);
    if (data.code === 'rate_limited') {
      var seconds = Math.max(1, Number(data.retry_after) || 1);
      showError(t('rate_limited', { seconds: seconds }));
      waitUntil = Date.now() + seconds * 1000;
      if (p && !p.file) { setTimeout(function () { if (ready && pending.indexOf(p) >= 0) sendPending(p); }, seconds * 1000); }
      return;  // nothing was stored: it goes again by itself
    }
    if (data.code === 'idle') return;  // the server closes; we connect again
    showError(typeof data.message === 'string' && data.message ? data.message : t('error'));
    if (p) markFailed(p);
  }

  function markFailed(p) {
    p.failed = true;
    savePending();
    setRowState(p.row, 'failed', function () {
      p.failed = false;
      p.client_id = uuid();
      savePending();
      setRowState(p.row, 'pending');
      if (p.file) upload(p); else if (ready) sendPending(p);
    });
  }

  function setAgentTyping(on, author) {
    clearTimeout(agentTypingTimer);
    if (on) {
      el.typingText.textContent = t('typing', { name: author || line.name || t('support') });
      var stick = nearBottom();
      el.typing.hidden = false;
      if (stick) scrollToBottom();
      agentTypingTimer = setTimeout(function () { el.typing.hidden = true; }, AGENT_TYPING_SHOWN);
    } else {
      el.typing.hidden = true;
    }
  }

  function onEvent(data) {
    var author = typeof data.author === 'string' ? data.author : '';
    if (data.event === 'closed') { conversationClosed(author); return; }
    var kind = data.event === 'transferred' ? 'transferred' : (data.event === 'joined' ? 'joined' : null);
    if (!kind) return;
    var stick = nearBottom();
    el.list.appendChild(systemRow(author ? t(kind, { name: author }) : t(kind + '_anon'), 'ol-event'));
    regroup();
    if (stick) scrollToBottom();
  }

  function resetConversationView() {
    // The server gave us a different identity, or a gap: what is on screen goes.
    while (el.list.firstChild) el.list.removeChild(el.list.firstChild);
    shown = Object.create(null);
    lastSeq = oldestSeq = 0;
    moreOlder = false;
    customerSpoke = false;
    conversationId = lastConversation = null;
    unread = [];
    showEnd(false);
    for (var i = 0; i < pending.length; i++) el.list.appendChild(pending[i].row);
    regroup();
  }

  function handle(data) {
    switch (data.type) {
      case 'welcome':
        if (typeof data.visitor_token === 'string' && data.visitor_token) {
          if (token && data.visitor_token !== token && data.visitor_token.split('.')[0] !== token.split('.')[0]) {
            resetConversationView();
          }
          token = data.visitor_token;
          local.set(KEY_TOKEN, token);
          tellParent({ type: 'openlines:known' });
        }
        conversationId = typeof data.conversation_id === 'string' ? data.conversation_id : null;
        if (data.line && typeof data.line === 'object') {
          line = { name: String(data.line.name || ''), open: data.line.open !== false,
                   prechat: String(data.line.prechat || 'off'), email_replies: !!data.line.email_replies };
        }
        ready = true;
        clearTimeout(welcomeTimer);
        onlineSince = Date.now();
        setStatus('online');
        refreshForms();
        flushPending();
        break;
      case 'history': onHistory(data); break;
      case 'message': addServerMessage(data, true); break;
      case 'ack': onAck(data); break;
      case 'error': onError(data); break;
      case 'typing': if (data.from !== 'customer') setAgentTyping(!!data.on, typeof data.author === 'string' ? data.author : ''); break;
      case 'read':
        if (toSeq(data.seq) && data.seq > readUpTo) { readUpTo = data.seq; markSeen(); }
        break;
      case 'event': onEvent(data); break;
      case 'rating_request':
        if (typeof data.conversation_id === 'string') showEnd(true, data.conversation_id);
        break;
      case 'rated':
        el.rating.hidden = true;
        el.endText.textContent = t('rated');
        break;
      case 'forgotten': forgotten(); break;
      default: break;  // unknown frames are ignored
    }
  }

  // ---------------------------------------------------------------- pre-chat, away, unread
  function refreshForms() {
    var asked = line.prechat === 'name' || line.prechat === 'name_email';
    var missing = !local.get(KEY_NAME) || (line.prechat === 'name_email' && !local.get(KEY_EMAIL));
    var ask = ready && asked && missing && !customerSpoke && pending.length === 0 && historyLoaded;
    if (ask !== !el.prechat.hidden) {
      el.prechat.hidden = !ask;
      el.preEmail.hidden = el.preEmailLabel.hidden = line.prechat !== 'name_email';
      if (ask) el.preName.value = local.get(KEY_NAME) || '';
    }
    var away = ready && !line.open;
    el.away.hidden = !away;
    var email = local.get(KEY_EMAIL);
    el.awayForm.hidden = !(away && line.email_replies && !email);
    el.awayText.textContent = away && line.email_replies
      ? (email ? t('email_saved', { email: email }) : t('away_email')) : t('away_text');
    setStatus(ready ? 'online' : el.status.getAttribute('data-state'));
    el.text.disabled = ask;
    el.attach.disabled = ask;
    el.empty.hidden = el.list.children.length > 0 || ask;
  }

  function submitPrechat(e) {
    e.preventDefault();
    var name = el.preName.value.replace(/\s+/g, ' ').trim().slice(0, 80);
    var email = el.preEmail.value.trim();
    if (!name) { showError(t('name_needed')); el.preName.focus(); return; }
    if (line.prechat === 'name_email' && !EMAIL_RE.test(email)) { showError(t('email_invalid')); el.preEmail.focus(); return; }
    local.set(KEY_NAME, name);
    if (email) local.set(KEY_EMAIL, email);
    clearError();
    el.prechat.hidden = true;
    refreshForms();
    reconnectNow();  // name and email travel in hello
    el.text.focus();
  }

  function submitAwayEmail(e) {
    e.preventDefault();
    var email = el.awayEmail.value.trim();
    if (!EMAIL_RE.test(email)) { showError(t('email_invalid')); el.awayEmail.focus(); return; }
    local.set(KEY_EMAIL, email);
    clearError();
    refreshForms();
    reconnectNow();
    el.text.focus();
  }

  function customerLooking() { return panelOpen && document.visibilityState === 'visible'; }

  function noteAgentMessage(seq, text, live) {
    var seen = Number(local.get(KEY_SEEN)) || 0;
    if (seq <= seen) return;
    if (customerLooking()) { markAllSeen(); return; }
    unread.push({ seq: seq, text: text });
    if (live) notifyIncoming();
    reportUnread();
  }

  function markAllSeen() {
    var seen = Number(local.get(KEY_SEEN)) || 0;
    if (lastSeq > seen) local.set(KEY_SEEN, String(lastSeq));
    unread = [];
    if (lastSeq && ready) sendFrame({ type: 'read', seq: lastSeq });
    document.title = baseTitle;
    reportUnread();
  }

  function reportUnread() {
    var last = unread.length ? unread[unread.length - 1].text : '';
    tellParent({ type: 'openlines:unread', count: unread.length, preview: String(last).slice(0, 140) });
  }

  function notifyIncoming() {
    tellParent({ type: 'openlines:message' });
    if (document.visibilityState !== 'visible') document.title = '(' + unread.length + ') ' + baseTitle;
  }

  function tellParent(message) {
    if (!embedded) return;
    try { window.parent.postMessage(message, '*'); } catch (e) { /* ignore */ }
  }

  // ---------------------------------------------------------------- connection
  function setStatus(state) {
    el.status.setAttribute('data-state', state);
    el.statusText.textContent = state === 'online' ? (line.open ? t('online') : t('away'))
      : (state === 'reconnecting' ? t('reconnecting') : t('connecting'));
  }

  function sendFrame(obj) {
    if (!ws || ws.readyState !== 1) return false;
    try { ws.send(JSON.stringify(obj)); return true; } catch (e) { return false; }
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (ws) return;
    setStatus(everTried ? 'reconnecting' : 'connecting');
    everTried = true;
    var sock;
    try { sock = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
    ws = sock;
    ready = false;
    sock.onopen = function () {
      if (sock !== ws) return;
      var hello = { type: 'hello', visitor_token: token || null, last_seq: lastSeq };
      var name = local.get(KEY_NAME), email = local.get(KEY_EMAIL);
      if (name) hello.name = name;
      if (email) hello.email = email;
      sendFrame(hello);
      clearTimeout(welcomeTimer);
      welcomeTimer = setTimeout(function () {
        if (sock !== ws || ready) return;
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
    ready = false;
    clearTimeout(welcomeTimer);
    typingOn = false;
    clearTimeout(typingIdleTimer);
    setAgentTyping(false);
    if (sock) {
      sock.onopen = sock.onmessage = sock.onclose = sock.onerror = null;
      try { sock.close(1000); } catch (e) { /* ignore */ }
    }
  }

  function scheduleReconnect() {
    if (retryTimer || ws) return;
    setStatus('reconnecting');
    var delay = Math.max(Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, attempt)), waitUntil - Date.now());
    attempt = Math.min(attempt + 1, 10);
    retryTimer = setTimeout(connect, delay);
  }

  function reconnectNow() {
    dropSocket();
    clearTimeout(retryTimer);
    retryTimer = null;
    connect();
  }

  function forgotten() {
    [KEY_TOKEN, KEY_NAME, KEY_EMAIL, KEY_SEEN].forEach(function (k) { local.del(k); });
    session.del(KEY_PENDING);
    token = null;
    pending = [];
    resetConversationView();
    el.list.appendChild(systemRow(t('forgotten'), 'ol-event'));
    regroup();
    tellParent({ type: 'openlines:unread', count: 0, preview: '' });
    reconnectNow();
  }

  // ---------------------------------------------------------------- sending
  function savePending() {
    var data = [];
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].file) continue;  // a file cannot be kept across a reload: it is shown failed there
      data.push({ client_id: pending[i].client_id, text: pending[i].text, ts: pending[i].ts, failed: !!pending[i].failed });
    }
    if (data.length) session.set(KEY_PENDING, JSON.stringify(data)); else session.del(KEY_PENDING);
  }

  function addPendingRow(p) {
    p.row = buildRow('customer', '', p.text, p.ts, null);
    if (p.file) {
      p.row.setAttribute('data-upload', '1');
      var note = document.createElement('div');
      note.className = 'ol-files';
      var f = document.createElement('span');
      f.className = 'ol-file';
      f.textContent = '📎 ' + p.file.name + ' · ' + formatSize(p.file.size);
      note.appendChild(f);
      p.row.insertBefore(note, p.row.querySelector('.ol-meta'));
    }
    el.list.appendChild(p.row);
    if (p.failed) markFailed(p); else setRowState(p.row, 'pending');
    regroup();
  }

  function restorePending() {
    var data;
    try { data = JSON.parse(session.get(KEY_PENDING) || 'null'); } catch (e) { data = null; }
    if (!Array.isArray(data)) { session.del(KEY_PENDING); return; }
    for (var i = 0; i < data.length; i++) {
      var d = data[i];
      if (!d || typeof d.client_id !== 'string' || typeof d.text !== 'string') continue;
      var p = { client_id: d.client_id, text: d.text, ts: typeof d.ts === 'number' ? d.ts : Date.now() / 1000, failed: !!d.failed };
      pending.push(p);
      addPendingRow(p);
    }
    savePending();
  }

  function sendPending(p) { return sendFrame({ type: 'message', client_id: p.client_id, text: p.text }); }

  function flushPending() {
    // After every (re)connect: resend, in order, with the same client_id; the server dedupes.
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].file || pending[i].failed) continue;
      if (!sendPending(pending[i])) break;
    }
  }

  function queue(p) {
    if (ended) startNew();
    pending.push(p);
    savePending();
    addPendingRow(p);
    customerSpoke = true;
    clearError();
    scrollToBottom();
  }

  function submit() {
    var text = el.text.value.replace(/^\s+|\s+$/g, '');
    if (!text) return;
    if (charCount(text) > MAX_LEN) { showError(t('too_long', { max: MAX_LEN })); return; }
    stopTyping();
    var p = { client_id: uuid(), text: text, ts: Date.now() / 1000, failed: false };
    queue(p);
    el.text.value = '';
    onTextChanged();
    if (ready) sendPending(p);
    el.text.focus();
  }

  function sendFiles(files) {
    for (var i = 0; i < files.length; i++) {
      var p = { client_id: uuid(), text: '', ts: Date.now() / 1000, failed: false, file: files[i] };
      queue(p);
      upload(p);
    }
  }

  function upload(p) {
    if (!token) { markFailed(p); return; }
    var form = new FormData();
    form.append('visitor_token', token);
    form.append('client_id', p.client_id);
    var name = local.get(KEY_NAME), email = local.get(KEY_EMAIL);
    if (name) form.append('name', name);
    if (email) form.append('email', email);
    form.append('file', p.file, p.file.name);
    fetch(here('upload').href, { method: 'POST', body: form, credentials: 'omit' }).then(function (response) {
      return response.json().catch(function () { return { type: 'error', code: 'http_' + response.status }; });
    }).then(function (data) {
      if (data && data.type === 'ack') { onAck(data); return; }
      var reason = data && typeof data.message === 'string' ? data.message : t('error');
      showError(t('file_failed', { reason: reason }));
      markFailed(p);
    }, function () {
      showError(t('file_failed', { reason: t('error') }));
      markFailed(p);
    });
  }

  // ---------------------------------------------------------------- typing
  function noteTyping() {
    if (!ready) return;
    var now = Date.now();
    if (!typingOn || now - typingSentAt >= TYPING_EVERY) {
      if (sendFrame({ type: 'typing', on: true })) { typingOn = true; typingSentAt = now; }
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE);
  }

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    typingIdleTimer = null;
    if (typingOn) { typingOn = false; sendFrame({ type: 'typing', on: false }); }
  }

  // ---------------------------------------------------------------- input UI
  function showError(text) {
    clearTimeout(errorTimer);
    el.error.textContent = text;
    errorTimer = setTimeout(clearError, ERROR_VISIBLE);
  }

  function clearError() { clearTimeout(errorTimer); el.error.textContent = ''; }

  function autosize() {
    el.text.style.height = 'auto';
    el.text.style.height = Math.min(el.text.scrollHeight + 2, 140) + 'px';
  }

  function onTextChanged() {
    var value = el.text.value, n = charCount(value), over = n > MAX_LEN;
    el.counter.textContent = n >= COUNTER_FROM ? (n + ' / ' + MAX_LEN) : '';
    el.counter.classList.toggle('ol-over', over);
    el.send.disabled = over || !/\S/.test(value);
    autosize();
  }

  function askOlder() {
    if (!moreOlder || loadingOlder || !ready || !oldestSeq || el.messages.scrollTop > OLDER_AT) return;
    if (sendFrame({ type: 'history', before_seq: oldestSeq })) { loadingOlder = true; el.older.hidden = false; }
  }

  function toggleMenu(open) {
    el.menu.hidden = !open;
    el.menuButton.setAttribute('aria-expanded', open ? 'true' : 'false');
    el.forgetConfirm.hidden = true;
    el.forget.hidden = false;
    if (open) el.forget.focus();
  }

  el.text.addEventListener('input', function () {
    onTextChanged();
    if (/\S/.test(el.text.value)) noteTyping(); else stopTyping();
  });
  el.text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  el.form.addEventListener('submit', function (e) { e.preventDefault(); submit(); });
  el.attach.addEventListener('click', function () { el.file.click(); });
  el.file.addEventListener('change', function () {
    if (el.file.files && el.file.files.length) sendFiles(Array.prototype.slice.call(el.file.files));
    el.file.value = '';
  });
  el.prechat.addEventListener('submit', submitPrechat);
  el.awayForm.addEventListener('submit', submitAwayEmail);
  el.rateGood.addEventListener('click', function () { rate('good'); });
  el.rateBad.addEventListener('click', function () { rate('bad'); });
  el.newConversation.addEventListener('click', startNew);
  el.messages.addEventListener('scroll', askOlder, { passive: true });
  el.menuButton.addEventListener('click', function () { toggleMenu(el.menu.hidden); });
  el.forget.addEventListener('click', function () {
    el.forget.hidden = true;
    el.forgetConfirm.hidden = false;
    el.forgetYes.focus();
  });
  el.forgetNo.addEventListener('click', function () { toggleMenu(false); el.menuButton.focus(); });
  el.forgetYes.addEventListener('click', function () {
    toggleMenu(false);
    if (!sendFrame({ type: 'forget' })) forgotten();
    el.text.focus();
  });

  function rate(value) {
    if (!ratingFor) return;
    el.rateGood.disabled = el.rateBad.disabled = true;
    sendFrame({ type: 'rate', conversation_id: ratingFor, value: value });
  }

  // ---------------------------------------------------------------- page life
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState !== 'visible') return;
    if (customerLooking()) markAllSeen();
    if (retryTimer) reconnectNow();  // back from the background: don't wait for the backoff
  });
  window.addEventListener('online', function () { if (retryTimer) reconnectNow(); });
  window.addEventListener('message', function (e) {
    // Only the embedding page (widget.js) talks to us: focus, and whether its panel is open.
    if (!embedded || e.source !== window.parent || !e.data || typeof e.data !== 'object') return;
    if (e.data.type === 'openlines:focus') {
      if (window.matchMedia && window.matchMedia('(pointer: fine)').matches) el.text.focus();
    } else if (e.data.type === 'openlines:state') {
      panelOpen = !!e.data.open;
      if (customerLooking()) markAllSeen();
    }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    if (!el.menu.hidden) { toggleMenu(false); el.menuButton.focus(); return; }
    tellParent({ type: 'openlines:close' });
  });

  applyBranding();
  restorePending();
  regroup();
  onTextChanged();
  connect();
  if (!embedded && window.matchMedia && window.matchMedia('(pointer: fine)').matches) el.text.focus();
})();
