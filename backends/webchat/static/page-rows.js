/* Open Lines chat page — one row of the message list: its bubble, files, time and sending state. */
(function (chat) {
  'use strict';

  var t = chat.t, md = chat.md, i18n = chat.i18n, state = chat.state;

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
      who.textContent = author || state.line.name || t('support');
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
    var status = document.createElement('span');
    status.className = 'ol-state';
    meta.appendChild(status);
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
    var status = row.querySelector('.ol-state');
    while (status.firstChild) status.removeChild(status.firstChild);
    status.className = 'ol-state';
    if (kind === 'pending') {
      status.textContent = row.hasAttribute('data-upload') ? t('uploading') : t('sending');
    } else if (kind === 'failed') {
      status.appendChild(document.createTextNode(t('not_sent') + ' · '));
      var b = document.createElement('button');
      b.type = 'button'; b.className = 'ol-retry'; b.textContent = t('retry');
      b.addEventListener('click', onRetry);
      status.appendChild(b);
    }
  }

  // An unsent row: waiting to go, or failed (with its retry button).
  function isUnsent(row) { return row.classList.contains('ol-pending') || row.classList.contains('ol-failed'); }

  chat.formatSize = formatSize;
  chat.buildRow = buildRow;
  chat.systemRow = systemRow;
  chat.divider = divider;
  chat.setRowState = setRowState;
  chat.isUnsent = isUnsent;
})(window.OpenLinesChat);
