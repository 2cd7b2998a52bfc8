/*
 * Open Lines — the website chat page (standalone, or in the widget's frame with ?embed=1).
 * Speaks the JSON protocol over /webchat/WIDGET/ws (README, "Website live chat").
 * Everything anyone wrote is put on the page as text nodes (Markdown via markdown.js).
 *
 * The page is plain scripts that page.html loads in this order, sharing one object,
 * window.OpenLinesChat (no build step, and the CSP allows only these files):
 *   page-base.js      setup: settings, strings, storage, elements, shared state, helpers, branding
 *   page-rows.js      one row of the message list: bubbles, files, times, sending state
 *   page-list.js      the message list: server messages and history in order, acks, events
 *   page-forms.js     the end screen and rating, the pre-chat and away forms, the menu
 *   page-unread.js    what the customer has not seen: the widget's badge, the tab's title
 *   page-composer.js  the composer: messages waiting to go, uploads, typing, the counter
 *   page.js           the connection: socket, hello, frames, reconnects; then it starts the page
 */
(function () {
  'use strict';

  var ERROR_VISIBLE = 9000;

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
  var keys = { token: key('token'), name: key('name'), email: key('email'), pending: key('pending'), seen: key('seen') };
  var local = makeStore('localStorage');

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

  // ---------------------------------------------------------------- state (read and written by every script)
  var state = {
    token: local.get(keys.token) || null,
    conversationId: null,            // the open conversation, if any
    line: { name: '', open: true, prechat: 'off', email_replies: false },
    shown: Object.create(null),      // seq -> row element
    lastSeq: 0, oldestSeq: 0, moreOlder: false, loadingOlder: false,
    readUpTo: 0,                     // the operators saw the customer's messages up to here
    pending: [],                     // [{client_id, text, ts, row, failed, file}]
    customerSpoke: false, historyLoaded: false, ended: false, ratingFor: null,
    lastConversation: null,          // the conversation of the newest message shown
    ready: false,                    // the server said welcome on the open socket
    waitUntil: 0,                    // rate limited: no reconnect before this (ms)
    panelOpen: !embedded,            // in the widget's frame: whether its panel is open
    unread: [],                      // agent messages the customer has not seen: [{seq, text}]
    baseTitle: document.title
  };

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

  function uuid() {
    var c = window.crypto;
    try { if (c && typeof c.randomUUID === 'function') return c.randomUUID(); } catch (e) { /* insecure context */ }
    var b = new Uint8Array(16), h = [], i;
    try { c.getRandomValues(b); } catch (e) { for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256); }
    for (i = 0; i < 16; i++) h.push((b[i] + 0x100).toString(16).slice(1));
    return h.join('');
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

  var errorTimer = null;

  function showError(text) {
    clearTimeout(errorTimer);
    el.error.textContent = text;
    errorTimer = setTimeout(clearError, ERROR_VISIBLE);
  }

  function clearError() { clearTimeout(errorTimer); el.error.textContent = ''; }

  function tellParent(message) {
    if (!embedded) return;
    try { window.parent.postMessage(message, '*'); } catch (e) { /* ignore */ }
  }

  // ---------------------------------------------------------------- branding and strings
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
    document.title = state.baseTitle = title;
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

  // The scripts after this one add their functions to this object; they call each other
  // through it, so only what another script uses is put here.
  window.OpenLinesChat = {
    embedded: embedded, i18n: i18n, t: t, md: md, keys: keys, el: el, state: state,
    local: local, session: makeStore('sessionStorage'),
    uuid: uuid, toSeq: toSeq, here: here,
    showError: showError, clearError: clearError, tellParent: tellParent, applyBranding: applyBranding
  };
})();
