/* Open Lines — the chat's strings, English and French. {name}-style holes are filled by t(). */
(function () {
  'use strict';
  var STRINGS = {
    en: {
      title: 'Chat with us',
      connecting: 'connecting…', reconnecting: 'reconnecting…', online: 'online', away: 'away',
      greeting_title: 'Hi there 👋',
      greeting: 'Ask us anything: we usually answer within a few minutes, right here.',
      message_label: 'Message', placeholder: 'Write a message…', send: 'Send', attach: 'Attach a file',
      messages: 'Messages', options: 'Chat options',
      sending: 'sending…', not_sent: 'not sent', retry: 'retry', seen: 'Seen', uploading: 'uploading…',
      typing: '{name} is typing', support: 'Support',
      too_long: 'That message is too long (at most {max} characters). Please shorten it or split it.',
      rate_limited: 'You are sending too fast: wait {seconds} s, it will go then.',
      error: 'Something went wrong.',
      file_failed: 'The file could not be sent: {reason}',
      older: 'Loading older messages…',
      ended: 'This conversation has ended.', ended_divider: 'Conversation ended',
      new_divider: 'New conversation', new_conversation: 'Start a new conversation',
      rate_question: 'How was this conversation?', rate_good: '👍 Good', rate_bad: '👎 Bad',
      rated: 'Thank you for your feedback!',
      joined: '{name} joined the conversation', joined_anon: 'An operator joined the conversation',
      transferred: '{name} is taking over the conversation',
      transferred_anon: 'Another operator is taking over the conversation',
      closed: '{name} closed the conversation', closed_anon: 'The conversation was closed',
      prechat_title: 'Before we start', name_label: 'Your name', email_label: 'Your email',
      prechat_start: 'Start chatting', name_needed: 'Please tell us your name.',
      email_invalid: 'That email address does not look right.',
      away_title: 'We are away right now',
      away_text: 'Leave your message: we will answer when we are back.',
      away_email: 'Leave your message and your email: we will answer you by email.',
      email_save: 'Save', email_saved: 'We will email our answer to {email}.',
      forget: 'Forget this chat', forget_confirm: 'Forget this chat on this device? Its messages will not show here again.',
      forget_yes: 'Yes, forget it', cancel: 'Cancel', forgotten: 'This chat was forgotten on this device.'
    },
    fr: {
      title: 'Discutez avec nous',
      connecting: 'connexion…', reconnecting: 'reconnexion…', online: 'en ligne', away: 'absents',
      greeting_title: 'Bonjour 👋',
      greeting: 'Posez-nous vos questions : nous répondons en général en quelques minutes, ici même.',
      message_label: 'Message', placeholder: 'Écrivez un message…', send: 'Envoyer', attach: 'Joindre un fichier',
      messages: 'Messages', options: 'Options de la discussion',
      sending: 'envoi…', not_sent: 'non envoyé', retry: 'réessayer', seen: 'Vu', uploading: 'envoi du fichier…',
      typing: '{name} écrit…', support: 'Assistance',
      too_long: 'Ce message est trop long (au plus {max} caractères). Raccourcissez-le ou coupez-le en deux.',
      rate_limited: 'Vous écrivez trop vite : patientez {seconds} s, il partira ensuite.',
      error: 'Une erreur est survenue.',
      file_failed: 'Le fichier n’a pas pu être envoyé : {reason}',
      older: 'Chargement des messages précédents…',
      ended: 'Cette conversation est terminée.', ended_divider: 'Conversation terminée',
      new_divider: 'Nouvelle conversation', new_conversation: 'Démarrer une nouvelle conversation',
      rate_question: 'Comment s’est passée cette conversation ?', rate_good: '👍 Bien', rate_bad: '👎 Pas bien',
      rated: 'Merci pour votre avis !',
      joined: '{name} a rejoint la conversation', joined_anon: 'Un conseiller a rejoint la conversation',
      transferred: '{name} prend la suite de la conversation',
      transferred_anon: 'Un autre conseiller prend la suite de la conversation',
      closed: '{name} a clos la conversation', closed_anon: 'La conversation a été close',
      prechat_title: 'Avant de commencer', name_label: 'Votre nom', email_label: 'Votre adresse e-mail',
      prechat_start: 'Commencer', name_needed: 'Merci d’indiquer votre nom.',
      email_invalid: 'Cette adresse e-mail semble incorrecte.',
      away_title: 'Nous sommes absents pour le moment',
      away_text: 'Laissez votre message : nous vous répondrons à notre retour.',
      away_email: 'Laissez votre message et votre adresse e-mail : nous vous répondrons par e-mail.',
      email_save: 'Enregistrer', email_saved: 'Nous enverrons notre réponse à {email}.',
      forget: 'Oublier cette discussion',
      forget_confirm: 'Oublier cette discussion sur cet appareil ? Ses messages ne s’afficheront plus ici.',
      forget_yes: 'Oui, l’oublier', cancel: 'Annuler', forgotten: 'Cette discussion a été oubliée sur cet appareil.'
    }
  };

  function pick(wanted) {
    if (wanted && STRINGS[wanted]) return wanted;
    var langs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || 'en'];
    for (var i = 0; i < langs.length; i++) {
      var base = String(langs[i] || '').toLowerCase().split('-')[0];
      if (STRINGS[base]) return base;
    }
    return 'en';
  }

  // The visitor's language for the line's own texts (welcome, closing…), which may exist in more
  // languages than this page: the chat's set language, else the browser's first ("de-CH").
  function visitorLanguage(wanted) {
    if (wanted) return String(wanted);
    var langs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language || ''];
    return String(langs[0] || '').slice(0, 35);
  }

  function make(wanted) {
    var lang = pick(wanted);
    var table = STRINGS[lang];
    return {
      lang: lang,
      visitor: visitorLanguage(wanted),
      t: function (key, holes) {
        var text = table[key] != null ? table[key] : (STRINGS.en[key] != null ? STRINGS.en[key] : key);
        return text.replace(/\{(\w+)\}/g, function (all, name) {
          return holes && holes[name] != null ? String(holes[name]) : all;
        });
      }
    };
  }

  window.OpenLinesI18n = { make: make };
})();
