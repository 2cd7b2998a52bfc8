/*
 * Open Lines chat page — what is asked of the customer around the conversation: the end screen
 * and its rating, the pre-chat form (name, email), the away notice and its email form, and the
 * menu that forgets this chat on this device.
 */
(function (chat) {
  'use strict';

  var EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
  var state = chat.state, el = chat.el, t = chat.t, keys = chat.keys, local = chat.local;

  // ---------------------------------------------------------------- the end of a conversation
  function showEnd(on, rateFor) {
    state.ended = on;
    el.end.hidden = !on;
    if (!on) { state.ratingFor = null; el.rating.hidden = true; return; }
    if (rateFor) {
      state.ratingFor = rateFor;
      el.rating.hidden = false;
      el.rateGood.disabled = el.rateBad.disabled = false;
      el.endText.textContent = t('ended');
    }
    if (chat.nearBottom() || rateFor) chat.scrollToBottom();
  }

  function conversationClosed(author) {
    var stick = chat.nearBottom();
    el.list.appendChild(chat.systemRow(author ? t('closed', { name: author }) : t('closed_anon'), 'ol-event'));
    el.list.appendChild(chat.divider(t('ended_divider')));
    state.conversationId = null;
    showEnd(true);
    chat.regroup();
    if (stick) chat.scrollToBottom();
  }

  function startNew() {
    showEnd(false);
    // Waiting for the new conversation's first message, which moves it in place (page-list.js).
    if (!el.list.querySelector('.ol-divider[data-awaiting]')) {
      var divider = chat.divider(t('new_divider'));
      divider.setAttribute('data-awaiting', '1');
      el.list.appendChild(divider);
    }
    el.text.focus();
    chat.scrollToBottom();
  }

  function rate(value) {
    if (!state.ratingFor) return;
    el.rateGood.disabled = el.rateBad.disabled = true;
    chat.sendFrame({ type: 'rate', conversation_id: state.ratingFor, value: value });
  }

  function rated() {
    el.rating.hidden = true;
    el.endText.textContent = t('rated');
  }

  // ---------------------------------------------------------------- pre-chat and away
  function refreshForms() {
    var line = state.line;
    var asked = line.prechat === 'name' || line.prechat === 'name_email';
    var missing = !local.get(keys.name) || (line.prechat === 'name_email' && !local.get(keys.email));
    var ask = state.ready && asked && missing && !state.customerSpoke && state.pending.length === 0 && state.historyLoaded;
    if (ask !== !el.prechat.hidden) {
      el.prechat.hidden = !ask;
      el.preEmail.hidden = el.preEmailLabel.hidden = line.prechat !== 'name_email';
      if (ask) el.preName.value = local.get(keys.name) || '';
    }
    var away = state.ready && !line.open;
    el.away.hidden = !away;
    var email = local.get(keys.email);
    el.awayForm.hidden = !(away && line.email_replies && !email);
    el.awayText.textContent = away && line.email_replies
      ? (email ? t('email_saved', { email: email }) : t('away_email')) : t('away_text');
    chat.setStatus(state.ready ? 'online' : el.status.getAttribute('data-state'));
    el.text.disabled = ask;
    el.attach.disabled = ask;
    el.empty.hidden = el.list.children.length > 0 || ask;
  }

  function submitPrechat(e) {
    e.preventDefault();
    var name = el.preName.value.replace(/\s+/g, ' ').trim().slice(0, 80);
    var email = el.preEmail.value.trim();
    if (!name) { chat.showError(t('name_needed')); el.preName.focus(); return; }
    if (state.line.prechat === 'name_email' && !EMAIL_RE.test(email)) {
      chat.showError(t('email_invalid')); el.preEmail.focus(); return;
    }
    local.set(keys.name, name);
    if (email) local.set(keys.email, email);
    chat.clearError();
    el.prechat.hidden = true;
    refreshForms();
    chat.reconnectNow();  // name and email travel in hello
    el.text.focus();
  }

  function submitAwayEmail(e) {
    e.preventDefault();
    var email = el.awayEmail.value.trim();
    if (!EMAIL_RE.test(email)) { chat.showError(t('email_invalid')); el.awayEmail.focus(); return; }
    local.set(keys.email, email);
    chat.clearError();
    refreshForms();
    chat.reconnectNow();
    el.text.focus();
  }

  // ---------------------------------------------------------------- the menu: forget this chat
  function toggleMenu(open) {
    el.menu.hidden = !open;
    el.menuButton.setAttribute('aria-expanded', open ? 'true' : 'false');
    el.forgetConfirm.hidden = true;
    el.forget.hidden = false;
    if (open) el.forget.focus();
  }

  function forgotten() {
    [keys.token, keys.name, keys.email, keys.seen].forEach(function (k) { local.del(k); });
    chat.session.del(keys.pending);
    state.token = null;
    state.pending = [];
    chat.resetConversationView();
    el.list.appendChild(chat.systemRow(t('forgotten'), 'ol-event'));
    chat.regroup();
    chat.tellParent({ type: 'openlines:unread', count: 0, preview: '' });
    chat.reconnectNow();
  }

  el.prechat.addEventListener('submit', submitPrechat);
  el.awayForm.addEventListener('submit', submitAwayEmail);
  el.rateGood.addEventListener('click', function () { rate('good'); });
  el.rateBad.addEventListener('click', function () { rate('bad'); });
  el.newConversation.addEventListener('click', startNew);
  el.menuButton.addEventListener('click', function () { toggleMenu(el.menu.hidden); });
  el.forget.addEventListener('click', function () {
    el.forget.hidden = true;
    el.forgetConfirm.hidden = false;
    el.forgetYes.focus();
  });
  el.forgetNo.addEventListener('click', function () { toggleMenu(false); el.menuButton.focus(); });
  el.forgetYes.addEventListener('click', function () {
    toggleMenu(false);
    if (!chat.sendFrame({ type: 'forget' })) forgotten();
    el.text.focus();
  });
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape') return;
    if (!el.menu.hidden) { toggleMenu(false); el.menuButton.focus(); return; }
    chat.tellParent({ type: 'openlines:close' });
  });

  chat.showEnd = showEnd;
  chat.conversationClosed = conversationClosed;
  chat.startNew = startNew;
  chat.rated = rated;
  chat.refreshForms = refreshForms;
  chat.forgotten = forgotten;
})(window.OpenLinesChat);
