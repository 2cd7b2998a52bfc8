/*
 * Open Lines — a small, safe Markdown renderer for operators' messages.
 * Bold, italics, inline code, links, bare URLs, bullet and numbered lists.
 * It builds DOM nodes one by one: text never goes through innerHTML, and only
 * http(s) links become links.
 */
(function () {
  'use strict';

  // One alternation, each branch bounded by characters it cannot contain: linear per start.
  var INLINE = /`([^`\n]{1,500})`|\*\*([^*\n]{1,500})\*\*|__([^_\n]{1,500})__|\*([^*\s][^*\n]{0,500})\*|_([^_\s][^_\n]{0,500})_|\[([^\]\n]{1,300})\]\((https?:\/\/[^\s()<>]{1,1000})\)|(https?:\/\/[^\s<>"'`]+)/g;
  var LIST_ITEM = /^\s{0,3}([-*+]|\d{1,3}[.)])\s+(.*)$/;

  function safeHref(raw) {
    try {
      var url = new URL(raw);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (e) { return null; }
  }

  function link(node, href, label) {
    var a = document.createElement('a');
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer nofollow';
    a.textContent = label;
    node.appendChild(a);
  }

  function trimUrl(url) {
    var trimmed = url.replace(/[.,;:!?'"\]}>]+$/, '');
    while (trimmed.slice(-1) === ')' && trimmed.split('(').length < trimmed.split(')').length) {
      trimmed = trimmed.slice(0, -1);
    }
    return trimmed;
  }

  // Plain text with bare http(s) URLs as links: what customers' own messages get.
  function linkify(node, text) {
    var re = /\bhttps?:\/\/[^\s<>"'`]+/gi, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      var url = trimUrl(m[0]);
      var href = safeHref(url);
      re.lastIndex = m.index + url.length;
      if (!href) continue;
      if (m.index > last) node.appendChild(document.createTextNode(text.slice(last, m.index)));
      link(node, href, url);
      last = m.index + url.length;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  function inline(node, text, depth) {
    var last = 0, m;
    var re = new RegExp(INLINE.source, 'g');
    while ((m = re.exec(text)) !== null) {
      var start = m.index, end = re.lastIndex, el = null;
      if (m[8]) { // a bare URL: trailing punctuation is not part of it
        var url = trimUrl(m[8]);
        end = start + url.length;
        re.lastIndex = end;
        var href = safeHref(url);
        if (!href) continue;
        if (start > last) node.appendChild(document.createTextNode(text.slice(last, start)));
        link(node, href, url);
        last = end;
        continue;
      }
      if (start > last) node.appendChild(document.createTextNode(text.slice(last, start)));
      if (m[1] != null) {
        el = document.createElement('code');
        el.textContent = m[1];
      } else if (m[6] != null) {
        var target = safeHref(m[7]);
        if (target) { link(node, target, m[6]); } else { node.appendChild(document.createTextNode(m[0])); }
      } else {
        el = document.createElement(m[2] != null || m[3] != null ? 'strong' : 'em');
        var inner = m[2] != null ? m[2] : (m[3] != null ? m[3] : (m[4] != null ? m[4] : m[5]));
        if (depth < 2) inline(el, inner, depth + 1); else el.textContent = inner;
      }
      if (el) node.appendChild(el);
      last = end;
    }
    if (last < text.length) node.appendChild(document.createTextNode(text.slice(last)));
  }

  // Paragraphs (line breaks kept) and lists, each line's inline parts rendered.
  function render(node, text) {
    var lines = String(text).split('\n');
    var block = null, list = null;
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i];
      var item = LIST_ITEM.exec(line);
      if (item) {
        var kind = /^\d/.test(item[1]) ? 'ol' : 'ul';
        if (!list || list.tagName.toLowerCase() !== kind) {
          list = document.createElement(kind);
          node.appendChild(list);
        }
        var li = document.createElement('li');
        inline(li, item[2], 0);
        list.appendChild(li);
        block = null;
        continue;
      }
      list = null;
      if (!line.trim()) { block = null; continue; }
      if (!block) {
        block = document.createElement('p');
        node.appendChild(block);
      } else {
        block.appendChild(document.createElement('br'));
      }
      inline(block, line, 0);
    }
  }

  window.OpenLinesMarkdown = { render: render, linkify: linkify, safeHref: safeHref };
})();
