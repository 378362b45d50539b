/*
 * Can I share? — the web chat widget.
 *
 * Loads rasa-webchat from the assistant's own server (never from a CDN) and connects it to the
 * Rasa socket.io channel with persistent sessions, then makes it usable with a keyboard and a
 * screen reader: a label on the message box, names on the buttons, answer buttons that take
 * Tab/Enter/Space, and a live region for the assistant's replies.
 *
 * Links in the assistant's messages keep only http, https and mailto addresses. The server sends
 * no others (bot/links.py); here, too, because rasa-webchat renders Markdown with react-markdown's
 * own link filter turned off (its message component passes transformLinkUri: null, and no prop
 * sets it) and draws buttons' "url" as links as they come: any other link loses its address the
 * moment it is drawn, before anyone can click it, wherever the widget is embedded.
 *
 * Our page uses it embedded (data-target="webchat"). An intranet page embeds it with:
 *   <script src="https://ASSISTANT/chat/widget.js" defer></script>
 * (a launcher button at the bottom right), or with data-target="some-element-id" to fill an
 * element. data-server="https://ASSISTANT" overrides the server (default: where the script is).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var server = (script && script.getAttribute("data-server")) ||
    (script ? new URL(script.src, window.location.href).origin : window.location.origin);
  var target = script && script.getAttribute("data-target");
  // On the helpdesk page a staff member runs a check for a caller: the page's signed token goes
  // with every message, and the record says who made it (bot/helpdesk/onbehalf.py).
  var staffToken = script && script.getAttribute("data-staff-token");
  var MESSAGE_ID = "infoshare-message";

  function loadBundle(done) {
    if (window.WebChat && window.WebChat.default) { done(); return; }
    var bundle = document.createElement("script");
    bundle.src = server + "/chat/static/rasa-webchat.js";
    bundle.async = true;
    bundle.onload = done;
    bundle.onerror = function () {
      var box = target && document.getElementById(target);
      if (box) {
        box.textContent = "The chat could not be loaded. Please try again later.";
      }
    };
    document.head.appendChild(bundle);
  }

  function label(root) {
    var box = root.querySelector("textarea.rw-new-message");
    if (box && !box.id) {
      box.id = MESSAGE_ID;
      box.setAttribute("aria-label", "Your message to the assistant");
      var text = document.createElement("label");
      text.className = "visually-hidden";
      text.htmlFor = MESSAGE_ID;
      text.textContent = "Your message to the assistant";
      box.parentNode.insertBefore(text, box);
    }
    var send = root.querySelector("button.rw-send");
    if (send && !send.getAttribute("aria-label")) send.setAttribute("aria-label", "Send");
    var launcher = root.querySelector("button.rw-launcher");
    if (launcher && !launcher.getAttribute("aria-label")) {
      launcher.setAttribute("aria-label", "Open the Can I share? chat");
    }
    var close = root.querySelector("button.rw-close-button");
    if (close && !close.getAttribute("aria-label")) close.setAttribute("aria-label", "Close the chat");
    var log = root.querySelector(".rw-messages-container");
    if (log && !log.getAttribute("role")) {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      log.setAttribute("aria-label", "Conversation");
      log.setAttribute("tabindex", "0");
    }
    // rasa-webchat draws answer buttons as <div>s: make them real buttons for the keyboard.
    var replies = root.querySelectorAll("div.rw-reply:not([data-infoshare])");
    for (var i = 0; i < replies.length; i++) {
      var reply = replies[i];
      reply.setAttribute("data-infoshare", "1");
      reply.setAttribute("role", "button");
      reply.setAttribute("tabindex", "0");
      reply.addEventListener("keydown", onReplyKey);
    }
  }

  // A link's address as the browser resolves it: only these may stay.
  var SAFE_PROTOCOLS = { "http:": true, "https:": true, "mailto:": true };

  function safeLink(href) {
    try {
      return SAFE_PROTOCOLS[new URL(href, document.baseURI).protocol] === true;
    } catch (e) {
      return false;
    }
  }

  // The attributes that make an element follow or run an address. (An image's src is not one:
  // rasa-webchat's own icons are data: images, and an image runs nothing.)
  var FOLLOWED = ["href", "xlink:href", "action", "formaction"];
  var LOADED = { IFRAME: "src", FRAME: "src", EMBED: "src", OBJECT: "data" };

  function defuse(element, name) {
    var value = element.getAttribute(name);
    if (value !== null && !safeLink(value)) {
      element.removeAttribute(name);
      element.setAttribute("data-infoshare-unsafe-link", "");
    }
  }

  function defuseLinks(root) {
    var elements = root.querySelectorAll(
      "[href], [*|href], [action], [formaction], iframe, frame, embed, object"
    );
    for (var i = 0; i < elements.length; i++) {
      for (var j = 0; j < FOLLOWED.length; j++) defuse(elements[i], FOLLOWED[j]);
      if (LOADED[elements[i].tagName]) defuse(elements[i], LOADED[elements[i].tagName]);
    }
  }

  function onReplyKey(event) {
    if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
      event.preventDefault();
      event.currentTarget.click();
      var box = document.getElementById(MESSAGE_ID);
      if (box) box.focus();
    }
  }

  // A link from the assistant such as /chat/?continue=ISD-000123&key=ABCDE-FGHIJ continues that
  // check (after the helpdesk's advice) in a new conversation; anything else opens as usual.
  function openingPayload() {
    var params = new URLSearchParams(window.location.search);
    var reference = params.get("continue") || "";
    var key = params.get("key") || "";
    if (/^ISD-\d{1,12}$/i.test(reference) && /^[A-Z2-7]{5}-?[A-Z2-7]{5}$/i.test(key)) {
      return "/continue_check" + JSON.stringify({ reference: reference, key: key });
    }
    return "/greet";
  }

  function start() {
    var root = target && document.getElementById(target);
    if (!root) {
      root = document.createElement("div");
      root.id = "infoshare-webchat";
      document.body.appendChild(root);
    }
    // Called before the page handles any input after a change: an unsafe link is never live.
    new MutationObserver(function () { defuseLinks(root); label(root); })
      .observe(root, {
        childList: true,
        subtree: true,
        attributes: true,
        attributeFilter: ["href", "xlink:href", "action", "formaction", "src", "data"]
      });
    window.WebChat.default({
      initPayload: openingPayload(),
      socketUrl: server,
      socketPath: "/socket.io/",
      title: "Can I share?",
      subtitle: "Information-sharing decisions",
      inputTextFieldHint: "Type your answer, or choose a button",
      connectingText: "Connecting to the assistant…",
      hideWhenNotConnected: false,
      embedded: Boolean(target),
      showFullScreenButton: false,
      displayUnreadCount: false,
      // rasa-webchat holds each reply back for up to 3 s to look like typing: keep it short.
      customMessageDelay: function () { return 250; },
      // Session storage: the conversation survives a reload of the tab, but is not left behind
      // on a shared computer once the browser is closed.
      params: { storage: "session" },
      customData: staffToken ? { language: "en", staff_token: staffToken } : { language: "en" }
    }, root);
  }

  loadBundle(start);
})();
