/*
 * Open Lines — website chat launcher.
 *
 *   <script src="https://HOST/webchat/WIDGET/widget.js" async></script>
 *
 * The widget's colour, position, title and language come from its settings on the
 * server; data-color="#4f46e5" and data-position="left" on the tag override them.
 * Defines exactly one global, window.OpenLinesWidget = { open(), close(), toggle() }.
 * The unread badge and the last agent message's preview survive navigation: they are
 * kept in this site's localStorage, and a visitor who chatted before gets the chat's
 * frame loaded (hidden) on every page, so new answers still arrive.
 */
(function () {
  'use strict';

  var CONFIG = /*OPENLINES_CONFIG*/{};
  var STRINGS = {
    en: { open: 'Open chat', close: 'Close chat', loading: 'Loading…', title: 'Chat with us',
          unread: '{count} unread', preview: 'New message' },
    fr: { open: 'Ouvrir la discussion', close: 'Fermer la discussion', loading: 'Chargement…',
          title: 'Discutez avec nous', unread: '{count} non lu(s)', preview: 'Nouveau message' }
  };

  var current = window.OpenLinesWidget;
  if (current && current.__openlines) return; // included twice: the first copy wins

  var SCRIPT_RE = /\/webchat\/[^\/?#]+\/widget\.js(?:[?#]|$)/;

  function findScript() {
    var cs = document.currentScript;
    if (cs && cs.src) return cs;
    var scripts = document.getElementsByTagName('script');
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (scripts[i].src && SCRIPT_RE.test(scripts[i].src)) return scripts[i];
    }
    return null;
  }

  var script = findScript();
  if (!script) {
    if (window.console) console.warn('[openlines] cannot find the widget.js script tag');
    return;
  }

  var scriptUrl = new URL(script.src, location.href);
  var pageUrl = new URL(scriptUrl.href);
  pageUrl.pathname = pageUrl.pathname.replace(/widget\.js$/, '');
  pageUrl.search = '';
  pageUrl.hash = '';
  var pageOrigin = pageUrl.origin;
  var widgetMatch = /\/webchat\/([^\/]+)\/?$/.exec(pageUrl.pathname);
  var widgetName = widgetMatch ? widgetMatch[1] : 'default';

  var color = (script.getAttribute('data-color') || CONFIG.color || '').replace(/^#/, '');
  if (/^[0-9a-fA-F]{3}$/.test(color)) color = color.replace(/(.)/g, '$1$1');  // #0a7 is #00aa77
  if (!/^[0-9a-fA-F]{6}$/.test(color)) color = '';
  var onLeft = (script.getAttribute('data-position') || CONFIG.position || '').toLowerCase() === 'left';
  var lang = CONFIG.language && CONFIG.language !== 'auto' ? CONFIG.language
    : String((navigator.languages && navigator.languages[0]) || navigator.language || 'en').toLowerCase().split('-')[0];
  var S = STRINGS[lang] || STRINGS.en;
  var title = CONFIG.title || S.title;

  var frameUrl = new URL(pageUrl.href);
  frameUrl.searchParams.set('embed', '1');
  if (color) frameUrl.searchParams.set('color', color);

  var OPEN_KEY = 'openlines:' + widgetName + ':open';
  var UNREAD_KEY = 'openlines:' + widgetName + ':unread';
  var KNOWN_KEY = 'openlines:' + widgetName + ':known';
  var accent = color ? '#' + color : '#4f46e5';
  var side = onLeft ? 'left' : 'right';

  var CSS =
    ':host{all:initial}' +
    '.openlines-root{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1f2433}' +
    '.openlines-root *,.openlines-root *::before,.openlines-root *::after{box-sizing:border-box}' +
    '.openlines-launcher{position:fixed;' + side + ':20px;bottom:20px;z-index:2147483000;width:58px;height:58px;' +
      'margin:0;padding:0;border:0;border-radius:50%;background:' + accent + ';color:#fff;cursor:pointer;' +
      'display:flex;align-items:center;justify-content:center;' +
      'box-shadow:0 6px 20px rgba(20,24,60,.28);transition:transform .18s ease,box-shadow .18s ease;' +
      '-webkit-tap-highlight-color:transparent}' +
    '.openlines-launcher:hover{transform:scale(1.06);box-shadow:0 8px 26px rgba(20,24,60,.32)}' +
    '.openlines-launcher:focus-visible{outline:3px solid ' + accent + ';outline-offset:3px}' +
    '.openlines-launcher svg{width:28px;height:28px;fill:currentColor;display:block}' +
    '.openlines-launcher .openlines-icon-close{display:none}' +
    '.openlines-open .openlines-launcher .openlines-icon-chat{display:none}' +
    '.openlines-open .openlines-launcher .openlines-icon-close{display:block}' +
    '.openlines-badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 5px;' +
      'border-radius:11px;background:#b91c1c;border:2px solid #fff;color:#fff;font:700 12px/18px system-ui,sans-serif;' +
      'text-align:center;display:none}' +
    '.openlines-unread .openlines-badge{display:block}' +
    '.openlines-preview{position:fixed;' + side + ':20px;bottom:90px;z-index:2147483000;max-width:260px;' +
      'margin:0;padding:10px 14px;border:0;border-radius:14px;background:#fff;color:#1f2433;text-align:left;' +
      'font:14px/1.35 system-ui,sans-serif;box-shadow:0 8px 26px rgba(20,24,60,.22);cursor:pointer;' +
      'overflow:hidden;text-overflow:ellipsis;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical}' +
    '.openlines-root:not(.openlines-has-preview) .openlines-preview,.openlines-open .openlines-preview{display:none}' +
    '.openlines-panel{position:fixed;' + side + ':20px;bottom:90px;z-index:2147483000;' +
      'width:360px;height:520px;max-width:calc(100vw - 40px);max-height:calc(100vh - 110px);' +
      'border-radius:16px;overflow:hidden;background:#fff;' +
      'box-shadow:0 18px 50px rgba(20,24,60,.25),0 2px 8px rgba(20,24,60,.08);' +
      'opacity:0;visibility:hidden;pointer-events:none;transform:translateY(12px) scale(.98);' +
      'transform-origin:bottom ' + side + ';' +
      'transition:opacity .18s ease,transform .18s ease,visibility 0s linear .18s}' +
    '.openlines-open .openlines-panel{opacity:1;visibility:visible;pointer-events:auto;transform:none;' +
      'transition:opacity .18s ease,transform .18s ease}' +
    '.openlines-loading{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;' +
      'color:#6b7280;font-size:13px}' +
    '.openlines-iframe{position:relative;display:block;width:100%;height:100%;border:0;margin:0;padding:0;' +
      'background:transparent}' +
    '.openlines-close{position:absolute;top:16px;right:14px;z-index:1;width:32px;height:32px;margin:0;padding:0;' +
      'border:0;border-radius:50%;background:rgba(0,0,0,.22);color:#fff;cursor:pointer;' +
      'display:flex;align-items:center;justify-content:center}' +
    '.openlines-close:hover{background:rgba(0,0,0,.35)}' +
    '.openlines-close:focus-visible{outline:2px solid #fff;outline-offset:2px}' +
    '.openlines-close svg{width:16px;height:16px;fill:currentColor;display:block}' +
    '@media (max-width:480px),(max-height:560px){' +
      '.openlines-panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;max-width:none;max-height:none;' +
        'border-radius:0;transform:translateY(16px);' +
        'padding:env(safe-area-inset-top,0px) 0 env(safe-area-inset-bottom,0px)}' +
      '.openlines-close{top:calc(16px + env(safe-area-inset-top,0px))}' +
      '.openlines-open .openlines-launcher{display:none}' +
    '}' +
    '@media (prefers-reduced-motion:reduce){.openlines-launcher,.openlines-panel{transition:none!important}}';

  var ICON_CHAT =
    '<svg class="openlines-icon-chat" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9.2l-4.7 3.8A.9.9 0 0 1 3 21.1V5a2 2 0 0 1 1-2zm3 6.7a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6zm5 0a1.3 1.3 0 1 0 0 2.6 1.3 1.3 0 0 0 0-2.6z"/></svg>';
  var ICON_CLOSE_PATH = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z';
  var ICON_CLOSE = '<svg class="openlines-icon-close" viewBox="0 0 24 24" aria-hidden="true"><path d="' + ICON_CLOSE_PATH + '"/></svg>';

  var host = null, rootEl = null, launcher = null, panel = null, iframe = null, loading = null;
  var badge = null, preview = null;
  var isOpen = false;
  var wantOpen = false;
  var frameLoaded = false;

  function localGet(k) { try { return window.localStorage.getItem(k); } catch (e) { return null; } }
  function localSet(k, v) {
    try { if (v) window.localStorage.setItem(k, v); else window.localStorage.removeItem(k); } catch (e) { /* ignore */ }
  }

  function showUnread(count, text) {
    // The badge says how many; the bubble previews the newest agent message (as text).
    if (!rootEl) return;
    count = Math.max(0, Math.min(99, Number(count) || 0));
    var show = count > 0 && !isOpen;
    rootEl.classList.toggle('openlines-unread', show);
    badge.textContent = String(count);
    rootEl.classList.toggle('openlines-has-preview', show && !!text);
    preview.textContent = text || '';
    launcher.setAttribute('aria-label', (isOpen ? S.close : S.open) +
      (show ? ' (' + S.unread.replace('{count}', count) + ')' : ''));
  }

  function storeUnread(count, text) {
    localSet(UNREAD_KEY, count > 0 ? JSON.stringify({ count: count, preview: text || '' }) : '');
  }

  function storedUnread() {
    try { return JSON.parse(localGet(UNREAD_KEY) || 'null') || { count: 0, preview: '' }; } catch (e) { return { count: 0, preview: '' }; }
  }

  function sessionGet(k) { try { return window.sessionStorage.getItem(k); } catch (e) { return null; } }
  function sessionSet(k, v) {
    try { if (v) window.sessionStorage.setItem(k, v); else window.sessionStorage.removeItem(k); } catch (e) { /* ignore */ }
  }

  function element(tag, className, attributes) {
    var el = document.createElement(tag);
    el.className = className;
    for (var name in attributes) { el.setAttribute(name, attributes[name]); }
    return el;
  }

  function mount() {
    if (host) return true;
    if (!document.body) return false;
    if (document.querySelector('.openlines-host')) return false; // another copy already mounted

    host = document.createElement('div');
    host.className = 'openlines-host'; // a class, not an id: ids become window properties
    var container = host;
    if (host.attachShadow) {
      try { container = host.attachShadow({ mode: 'open' }); } catch (e) { container = host; }
    }
    var style = document.createElement('style');
    // Without shadow DOM the rules still only target openlines-* classes.
    style.textContent = container === host ? CSS.replace(':host{all:initial}', '') : CSS;
    container.appendChild(style);

    rootEl = document.createElement('div');
    rootEl.className = 'openlines-root';
    container.appendChild(rootEl);

    panel = element('div', 'openlines-panel',
      { id: 'openlines-panel', role: 'dialog', 'aria-label': title, 'aria-hidden': 'true' });

    var closeBtn = element('button', 'openlines-close', { type: 'button', 'aria-label': S.close });
    closeBtn.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="' + ICON_CLOSE_PATH + '"/></svg>';
    closeBtn.addEventListener('click', function () { api.close(); });

    loading = element('div', 'openlines-loading', {});
    loading.textContent = S.loading;

    panel.appendChild(loading);
    panel.appendChild(closeBtn);

    launcher = element('button', 'openlines-launcher', {
      type: 'button', 'aria-label': S.open, 'aria-expanded': 'false', 'aria-controls': 'openlines-panel'
    });
    launcher.innerHTML = ICON_CHAT + ICON_CLOSE;
    badge = element('span', 'openlines-badge', { 'aria-hidden': 'true' });
    launcher.appendChild(badge);
    launcher.addEventListener('click', function () { api.toggle(); });
    preview = element('button', 'openlines-preview', { type: 'button', 'aria-label': S.preview });
    preview.addEventListener('click', function () { api.open(); });

    rootEl.appendChild(panel);
    rootEl.appendChild(preview);
    rootEl.appendChild(launcher);
    rootEl.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && isOpen) { api.close(); }
    });

    document.body.appendChild(host);

    var kept = storedUnread();
    showUnread(kept.count, kept.preview);
    if (wantOpen || sessionGet(OPEN_KEY) === '1') api.open();
    else if (localGet(KNOWN_KEY) === '1') ensureFrame();  // a returning visitor: answers keep arriving
    return true;
  }

  function ensureFrame() {
    if (iframe) return;
    iframe = document.createElement('iframe');
    iframe.className = 'openlines-iframe';
    iframe.title = title;
    iframe.src = frameUrl.href;
    iframe.setAttribute('allow', 'clipboard-write');
    iframe.addEventListener('load', function () {
      frameLoaded = true;
      if (loading && loading.parentNode) loading.parentNode.removeChild(loading);
      tellState();
      if (isOpen) askFocus();
    });
    panel.insertBefore(iframe, panel.firstChild);
  }

  function tellState() {
    if (!iframe || !frameLoaded || !iframe.contentWindow) return;
    try { iframe.contentWindow.postMessage({ type: 'openlines:state', open: isOpen }, pageOrigin); } catch (e) { /* ignore */ }
  }

  function askFocus() {
    if (!iframe || !frameLoaded || !iframe.contentWindow) return;
    try { iframe.contentWindow.postMessage({ type: 'openlines:focus' }, pageOrigin); } catch (e) { /* ignore */ }
  }

  function onMessage(e) {
    if (!iframe || e.source !== iframe.contentWindow || e.origin !== pageOrigin) return;
    var data = e.data;
    if (!data || typeof data !== 'object') return;
    if (data.type === 'openlines:close') {
      api.close();
      if (launcher) launcher.focus();
    } else if (data.type === 'openlines:unread') {
      var count = Math.max(0, Number(data.count) || 0);
      var text = typeof data.preview === 'string' ? data.preview.slice(0, 140) : '';
      storeUnread(count, text);
      showUnread(count, text);
    } else if (data.type === 'openlines:known') {
      localSet(KNOWN_KEY, '1');
    }
  }

  var api = {
    open: function () {
      wantOpen = true;
      if (!mount() && !host) return;
      ensureFrame();
      isOpen = true;
      rootEl.classList.add('openlines-open');
      panel.setAttribute('aria-hidden', 'false');
      launcher.setAttribute('aria-expanded', 'true');
      showUnread(0, '');
      sessionSet(OPEN_KEY, '1');
      tellState();
      askFocus();
    },
    close: function () {
      wantOpen = false;
      if (!host) return;
      isOpen = false;
      rootEl.classList.remove('openlines-open');
      panel.setAttribute('aria-hidden', 'true');
      launcher.setAttribute('aria-expanded', 'false');
      var kept = storedUnread();
      showUnread(kept.count, kept.preview);
      sessionSet(OPEN_KEY, '');
      tellState();
    },
    toggle: function () {
      if (isOpen) api.close(); else api.open();
    }
  };
  try {
    Object.defineProperty(api, '__openlines', { value: true });
  } catch (e) {
    api.__openlines = true;
  }
  window.OpenLinesWidget = api;

  window.addEventListener('message', onMessage);

  if (!mount()) {
    if (!document.querySelector('.openlines-host')) {
      document.addEventListener('DOMContentLoaded', mount);
    }
  }
})();
