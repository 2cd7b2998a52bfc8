/*
 * Open Lines chat page — the composer: what the customer writes or attaches waits in `pending`
 * (kept in sessionStorage across a reload, files excepted) until the server acks it; texts go
 * over the socket, files by POST to ./upload; typing notices; the length counter.
 */
(function (chat) {
  'use strict';

  var MAX_LEN = 4096;          // characters (code points), as the server counts them
  var COUNTER_FROM = 3600;
  var TYPING_EVERY = 3000;     // send typing:on at most this often
  var TYPING_IDLE = 5000;      // typing:off this long after the last keystroke
  var state = chat.state, el = chat.el, t = chat.t, keys = chat.keys, session = chat.session;
  var typingOn = false, typingSentAt = 0, typingIdleTimer = null;

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

  // ---------------------------------------------------------------- pending messages
  function forgetPending(p) { var i = state.pending.indexOf(p); if (i >= 0) state.pending.splice(i, 1); savePending(); }

  function findPending(cid) {
    if (!cid) return null;
    for (var i = 0; i < state.pending.length; i++) if (state.pending[i].client_id === cid) return state.pending[i];
    return null;
  }

  function savePending() {
    var data = [], pending = state.pending;
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].file) continue;  // a file cannot be kept across a reload: it is shown failed there
      data.push({ client_id: pending[i].client_id, text: pending[i].text, ts: pending[i].ts, failed: !!pending[i].failed });
    }
    if (data.length) session.set(keys.pending, JSON.stringify(data)); else session.del(keys.pending);
  }

  function addPendingRow(p) {
    p.row = chat.buildRow('customer', '', p.text, p.ts, null);
    if (p.file) {
      p.row.setAttribute('data-upload', '1');
      var note = document.createElement('div');
      note.className = 'ol-files';
      var f = document.createElement('span');
      f.className = 'ol-file';
      f.textContent = '📎 ' + p.file.name + ' · ' + chat.formatSize(p.file.size);
      note.appendChild(f);
      p.row.insertBefore(note, p.row.querySelector('.ol-meta'));
    }
    el.list.appendChild(p.row);
    if (p.failed) markFailed(p); else chat.setRowState(p.row, 'pending');
    chat.regroup();
  }

  function restorePending() {
    var data;
    try { data = JSON.parse(session.get(keys.pending) || 'null'); } catch (e) { data = null; }
    if (!Array.isArray(data)) { session.del(keys.pending); return; }
    for (var i = 0; i < data.length; i++) {
      var d = data[i];
      if (!d || typeof d.client_id !== 'string' || typeof d.text !== 'string') continue;
      var p = { client_id: d.client_id, text: d.text, ts: typeof d.ts === 'number' ? d.ts : Date.now() / 1000, failed: !!d.failed };
      state.pending.push(p);
      addPendingRow(p);
    }
    savePending();
  }

  function sendPending(p) { return chat.sendFrame({ type: 'message', client_id: p.client_id, text: p.text }); }

  function flushPending() {
    // After every (re)connect: resend, in order, with the same client_id; the server dedupes.
    var pending = state.pending;
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].file || pending[i].failed) continue;
      if (!sendPending(pending[i])) break;
    }
  }

  function markFailed(p) {
    p.failed = true;
    savePending();
    chat.setRowState(p.row, 'failed', function () {
      p.failed = false;
      p.client_id = chat.uuid();
      savePending();
      chat.setRowState(p.row, 'pending');
      if (p.file) upload(p); else if (state.ready) sendPending(p);
    });
  }

  // ---------------------------------------------------------------- sending
  function queue(p) {
    if (state.ended) chat.startNew();
    state.pending.push(p);
    savePending();
    addPendingRow(p);
    state.customerSpoke = true;
    chat.clearError();
    chat.scrollToBottom();
  }

  function submit() {
    var text = el.text.value.replace(/^\s+|\s+$/g, '');
    if (!text) return;
    if (charCount(text) > MAX_LEN) { chat.showError(t('too_long', { max: MAX_LEN })); return; }
    stopTyping();
    var p = { client_id: chat.uuid(), text: text, ts: Date.now() / 1000, failed: false };
    queue(p);
    el.text.value = '';
    onTextChanged();
    if (state.ready) sendPending(p);
    el.text.focus();
  }

  function sendFiles(files) {
    for (var i = 0; i < files.length; i++) {
      var p = { client_id: chat.uuid(), text: '', ts: Date.now() / 1000, failed: false, file: files[i] };
      queue(p);
      upload(p);
    }
  }

  function upload(p) {
    if (!state.token) { markFailed(p); return; }
    var form = new FormData();
    form.append('visitor_token', state.token);
    form.append('client_id', p.client_id);
    var name = chat.local.get(keys.name), email = chat.local.get(keys.email);
    if (name) form.append('name', name);
    if (email) form.append('email', email);
    if (chat.i18n.visitor) form.append('language', chat.i18n.visitor);
    form.append('file', p.file, p.file.name);
    fetch(chat.here('upload').href, { method: 'POST', body: form, credentials: 'omit' }).then(function (response) {
      return response.json().catch(function () { return { type: 'error', code: 'http_' + response.status }; });
    }).then(function (data) {
      if (data && data.type === 'ack') { chat.onAck(data); return; }
      var reason = data && typeof data.message === 'string' ? data.message : t('error');
      chat.showError(t('file_failed', { reason: reason }));
      markFailed(p);
    }, function () {
      chat.showError(t('file_failed', { reason: t('error') }));
      markFailed(p);
    });
  }

  // ---------------------------------------------------------------- typing
  function noteTyping() {
    if (!state.ready) return;
    var now = Date.now();
    if (!typingOn || now - typingSentAt >= TYPING_EVERY) {
      if (chat.sendFrame({ type: 'typing', on: true })) { typingOn = true; typingSentAt = now; }
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE);
  }

  function stopTyping() {
    clearTimeout(typingIdleTimer);
    typingIdleTimer = null;
    if (typingOn) { typingOn = false; chat.sendFrame({ type: 'typing', on: false }); }
  }

  // The socket went: the server forgets the typing notice with it, nothing to send.
  function dropTyping() {
    typingOn = false;
    clearTimeout(typingIdleTimer);
  }

  // ---------------------------------------------------------------- the text box
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

  chat.findPending = findPending;
  chat.forgetPending = forgetPending;
  chat.restorePending = restorePending;
  chat.sendPending = sendPending;
  chat.flushPending = flushPending;
  chat.markFailed = markFailed;
  chat.dropTyping = dropTyping;
  chat.onTextChanged = onTextChanged;
})(window.OpenLinesChat);
