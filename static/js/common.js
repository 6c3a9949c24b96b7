/* Aandacht — shared helpers for every page (console, big screen, phone).
 * Loaded before the page script; exposes `window.Aandacht`:
 *   el / svg          element builders (user text ALWAYS goes in via textContent)
 *   emit              emit-with-acknowledgement wrapper returning a Promise
 *   Countdown         local countdown corrected for the server's clock, ticks every 250 ms
 *   alerts            the dismissable role="alert" message area (#alerts)
 *   randomId          random id from crypto.getRandomValues (works on plain http)
 *   Section           re-render a part of the page only when its data changed, without
 *                     destroying a field the user is typing in
 *   store             localStorage that never throws
 *   watchConnection   the small "connecting…/offline" indicator
 *   buildChart / buildLeaderboard / buildPodium   shared result widgets
 *   limitCounter      a live "n/max" count under a text field with a length limit
 *   buildProfile / buildProfileTable / profileExtremes / formatScore   the debrief's
 *                     profile over the rubric dimensions (inline SVG, no library)
 *   keepWordsWhole    a word wider than its box is hyphenated, never cut
 */
(function (global) {
  "use strict";

  var A = global.Aandacht = global.Aandacht || {};
  var SVG_NS = "http://www.w3.org/2000/svg";

  /* ---- element builder ------------------------------------------------------- */

  function append(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(parent, c); });
      return;
    }
    if (typeof child === "string" || typeof child === "number") {
      parent.appendChild(document.createTextNode(String(child)));
      return;
    }
    parent.appendChild(child);
  }

  function applyProps(node, props, isSvg) {
    if (!props) return;
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null || value === false) return;
      if (key === "text") {
        node.textContent = String(value);
      } else if (key === "class") {
        node.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
      } else if (key === "dataset") {
        Object.keys(value).forEach(function (d) {
          if (value[d] !== undefined && value[d] !== null) node.dataset[d] = String(value[d]);
        });
      } else if (key === "on") {
        Object.keys(value).forEach(function (evt) { node.addEventListener(evt, value[evt]); });
      } else if (key === "attrs") {
        Object.keys(value).forEach(function (a) {
          if (value[a] !== undefined && value[a] !== null && value[a] !== false) {
            node.setAttribute(a, value[a] === true ? "" : String(value[a]));
          }
        });
      } else if (!isSvg && (key === "value" || key === "checked" || key === "disabled" ||
                 key === "hidden" || key === "selected" || key === "id" || key === "type" ||
                 key === "name" || key === "htmlFor" || key === "maxLength" || key === "required" ||
                 key === "placeholder" || key === "title" || key === "href" || key === "target" ||
                 key === "rel" || key === "src" || key === "alt" || key === "autocomplete" ||
                 key === "inputMode" || key === "tabIndex" || key === "min" || key === "max")) {
        node[key] = value;
      } else {
        node.setAttribute(key, value === true ? "" : String(value));
      }
    });
  }

  /** Build an element: el("p", {class: "x", text: untrustedName}, [children...]). */
  A.el = function (tag, props, children) {
    var node = document.createElement(tag);
    applyProps(node, props, false);
    append(node, children);
    return node;
  };

  /** Build an SVG element with attributes (never styles: the page runs under a strict CSP). */
  A.svg = function (tag, props, children) {
    var node = document.createElementNS(SVG_NS, tag);
    applyProps(node, props, true);
    append(node, children);
    return node;
  };

  /** Replace every child of `node`. */
  A.fill = function (node, children) {
    while (node.firstChild) node.removeChild(node.firstChild);
    append(node, children);
    return node;
  };

  A.$ = function (selector, root) { return (root || document).querySelector(selector); };

  /** Read the page configuration from <body data-*>. */
  A.config = function () { return document.body.dataset; };

  /* ---- random ids ---------------------------------------------------------------- */

  /** A random hex id; crypto.getRandomValues also exists on plain-http pages. */
  A.randomId = function (bytes) {
    var n = bytes || 16;
    var out = "";
    var c = global.crypto || global.msCrypto;
    if (c && c.getRandomValues) {
      var buf = new Uint8Array(n);
      c.getRandomValues(buf);
      for (var i = 0; i < buf.length; i++) out += (buf[i] < 16 ? "0" : "") + buf[i].toString(16);
      return out;
    }
    for (var j = 0; j < n; j++) out += Math.floor(Math.random() * 256).toString(16).padStart(2, "0");
    return out;
  };

  /* ---- storage ------------------------------------------------------------------- */

  A.store = {
    get: function (key) {
      try { return global.localStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { global.localStorage.setItem(key, value); } catch (e) { /* private mode: keep going */ }
    },
    remove: function (key) {
      try { global.localStorage.removeItem(key); } catch (e) { /* ignore */ }
    }
  };

  /* ---- emit with acknowledgement ------------------------------------------------ */

  A.ACK_TIMEOUT_MS = 15000;

  /**
   * Emit `event` with `payload` and wait for the acknowledgement.
   * Resolves with the ack on {ok: true}; rejects with {code, message} otherwise
   * (also when no acknowledgement comes in time: code "timeout").
   */
  A.emit = function (socket, event, payload, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var ms = timeoutMs || A.ACK_TIMEOUT_MS;
      socket.timeout(ms).emit(event, payload || {}, function (err, ack) {
        if (err) {
          reject({ code: "timeout", message: "No answer from the server. Check the connection and try again." });
          return;
        }
        if (ack && ack.ok) {
          resolve(ack);
          return;
        }
        var error = (ack && ack.error) || {};
        reject({ code: error.code || "server_error", message: error.message || "Something went wrong." });
      });
    });
  };

  /* ---- the alert area ------------------------------------------------------------- */

  A.alerts = {
    max: 3,
    dismissLabel: "Dismiss",
    container: function () {
      var box = document.getElementById("alerts");
      if (!box) {
        box = A.el("div", { id: "alerts", class: "alerts", attrs: { role: "alert", "aria-live": "assertive" } });
        document.body.insertBefore(box, document.body.firstChild);
      }
      return box;
    },
    /** Show a message (untrusted text is fine: it goes in as text). */
    show: function (message, kind) {
      var box = this.container();
      var item = A.el("div", { class: ["alert", "alert-" + (kind || "error")], dataset: { testid: "alert" } }, [
        A.el("p", { class: "alert-text", text: message }),
        A.el("button", {
          type: "button",
          class: "alert-close",
          text: "×",
          attrs: { "aria-label": this.dismissLabel, title: this.dismissLabel },
          on: { click: function () { item.remove(); } }
        })
      ]);
      box.appendChild(item);
      while (box.children.length > this.max) box.removeChild(box.firstChild);
      this.fadeLater(item);
      return item;
    },
    /** After fadeAfter ms the message fades out and goes (not while the pointer or the focus is on it). */
    fadeAfter: 15000,
    fadeLater: function (item) {
      var self = this;
      var timer = null;
      function start() {
        global.clearTimeout(timer);
        timer = global.setTimeout(function () {
          if (item.matches(":hover") || item.contains(document.activeElement)) { start(); return; }
          item.classList.add("is-fading");
          global.setTimeout(function () { item.remove(); }, 700);
        }, self.fadeAfter);
      }
      start();
    },
    clear: function () {
      var box = document.getElementById("alerts");
      if (box) A.fill(box, []);
    }
  };

  /* ---- countdown ------------------------------------------------------------------ */

  /** "m:ss" for a number of seconds. */
  A.formatSeconds = function (seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  };

  /**
   * A countdown shown in every element matching `selector`.
   * update(timer) takes the view's timer {deadline, server_now, remaining}; the local
   * deadline corrects for the difference between the phone's and the server's clock.
   */
  A.Countdown = function (selector, options) {
    this.selector = selector;
    this.deadline = null;
    this.lastLeft = null;
    this.options = options || {};
    var self = this;
    this.handle = global.setInterval(function () { self.tick(); }, 250);
  };

  A.Countdown.prototype.update = function (timer) {
    if (timer && timer.deadline !== null && timer.deadline !== undefined &&
        timer.server_now !== null && timer.server_now !== undefined) {
      this.deadline = Date.now() / 1000 + (timer.deadline - timer.server_now);
    } else {
      this.deadline = null;
    }
    this.tick();
  };

  A.Countdown.prototype.remaining = function () {
    if (this.deadline === null) return null;
    return Math.max(0, this.deadline - Date.now() / 1000);
  };

  A.Countdown.prototype.tick = function () {
    var left = this.remaining();
    var nodes = document.querySelectorAll(this.selector);
    var text = left === null ? (this.options.idleText || "") : A.formatSeconds(left);
    var state = left === null ? "off" : left <= 0 ? "zero" : left <= 10 ? "low" : "running";
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].textContent !== text) nodes[i].textContent = text;
      if (nodes[i].dataset.state !== state) nodes[i].dataset.state = state;
    }
    if (this.options.onTick) this.options.onTick(left, state);
    if (this.options.announce) this.announce(left);
  };

  /** The seconds left at which a screen reader hears the time (a role="timer" is never read by itself). */
  A.Countdown.ANNOUNCE_AT = [60, 30, 10, 0];

  /**
   * Say the time left now and then, not every second: when the countdown passes one of ANNOUNCE_AT the
   * polite live region(s) in options.announce.selector get options.announce.text(seconds). A countdown
   * that starts, or jumps (+30 s, a new deadline), says nothing.
   */
  A.Countdown.prototype.announce = function (left) {
    var before = this.lastLeft;
    this.lastLeft = left;
    if (left === null || before === null || left >= before || before - left > 2) return; // a new deadline, not a tick
    var mark = null;
    A.Countdown.ANNOUNCE_AT.forEach(function (s) { if (before > s && left <= s) mark = s; });
    if (mark === null) return;
    var text = this.options.announce.text(mark);
    var nodes = document.querySelectorAll(this.options.announce.selector);
    for (var i = 0; i < nodes.length; i++) nodes[i].textContent = "";
    global.setTimeout(function () { // emptied first, so the same words are read again in the next round
      for (var j = 0; j < nodes.length; j++) nodes[j].textContent = text;
    }, 100);
  };

  /* ---- sections: re-render only on change, never under the user's fingers ------- */

  function isEditing(container) {
    var active = document.activeElement;
    if (!active || !container.contains(active)) return false;
    var tag = active.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    if (tag === "INPUT") {
      var type = (active.type || "text").toLowerCase();
      return ["checkbox", "radio", "button", "submit"].indexOf(type) === -1;
    }
    return false;
  }

  /**
   * A part of the page rebuilt from data. render(data, build) rebuilds only when the data
   * changed; while a text field or select inside it has focus, the rebuild waits until
   * the focus leaves. The element with the same data-focus-key gets the focus back.
   */
  A.Section = function (container) {
    this.container = container;
    this.sig = null;
    this.pending = null;
    var self = this;
    container.addEventListener("focusout", function () {
      global.setTimeout(function () {
        if (self.pending && !isEditing(self.container)) {
          var p = self.pending;
          self.pending = null;
          self.render(p.data, p.build, true);
        }
      }, 0);
    });
  };

  A.Section.prototype.render = function (data, build, force) {
    var sig = JSON.stringify(data);
    if (!force && sig === this.sig) return false;
    if (isEditing(this.container)) {
      this.pending = { data: data, build: build };
      return false;
    }
    this.pending = null;
    this.sig = sig;
    var active = document.activeElement;
    var focusKey = active && this.container.contains(active) ? active.getAttribute("data-focus-key") || active.id || null : null;
    A.fill(this.container, build(data));
    if (focusKey) {
      var again = this.container.querySelector('[data-focus-key="' + cssEscape(focusKey) + '"]') ||
        this.container.querySelector("#" + cssEscape(focusKey));
      if (again && !again.matches("a[href], button, input, select, textarea, [tabindex]")) again.setAttribute("tabindex", "-1");
      if (again) again.focus({ preventScroll: true });
    }
    return true;
  };

  /** Forget the last data, so the next render rebuilds. */
  A.Section.prototype.invalidate = function () { this.sig = null; };

  function cssEscape(value) {
    if (global.CSS && global.CSS.escape) return global.CSS.escape(value);
    return String(value).replace(/["\\]/g, "\\$&");
  }
  A.cssEscape = cssEscape;

  /* ---- long words: never cut, hyphenated only when wider than their box --------------------- */

  // Text wraps only at its spaces (app.css sets no overflow-wrap: anywhere, which let a squeezed flex item cut
  // "Housekeeping" into "Housekeepi/ng"). A single word wider than the whole box it sits in (a 30-letter Dutch
  // compound in a podium step on a phone, a pasted link in an answer) would run out of it instead: that word, and
  // only that word, gets soft hyphens, so the browser breaks it with a printed hyphen where it must. Break points
  // are before a consonant that starts a syllable ("Klan-ten-ser-vi-ce-me-de-wer-kers"), between any two letters
  // for a word without any. CSS `hyphens: auto` cannot do this: it needs the browser's dictionary for the language
  // (a projector's Chromium on Linux often has none) and it hyphenates ordinary words at every line end as well.
  // The text in the page's data is never changed; the words are measured again after every change and resize.
  var SOFT_HYPHEN = "\u00ad";
  var VOWEL = /[aeiouyàáâäèéêëìíîïòóôöùúûü]/i;
  var CONSONANT = /[bcdfghjklmnpqrstvwxzç]/i;
  var LONG_WORD = /\S{8,}/g; // a shorter word fits any box on these pages
  var ADDRESS = /[\/@]|\w\.\w/; // a link or an address: a hyphen in it would be typed (app.css lets it break)
  var hyphenated = []; // [text node, its own text, with the hyphens] for every node given soft hyphens, undone first

  function syllableBreaks(word) {
    var out = "";
    var vowelSeen = false;
    for (var i = 0; i < word.length; i++) {
      var c = word.charAt(i);
      var next = word.charAt(i + 1);
      if (vowelSeen && i >= 2 && i <= word.length - 2 && CONSONANT.test(c) && VOWEL.test(next) &&
          !(c.toLowerCase() === "h" && word.charAt(i - 1).toLowerCase() === "c")) out += SOFT_HYPHEN;
      out += c;
      if (VOWEL.test(c)) vowelSeen = true;
    }
    return out;
  }

  function letterBreaks(word) { // two letters at least on either side of a break
    if (word.length < 4) return word;
    return word.slice(0, 2) + word.slice(2, -2).split("").map(function (c) { return SOFT_HYPHEN + c; }).join("") +
      SOFT_HYPHEN + word.slice(-2);
  }

  /** Whether `rect` runs out of the content box of one of the ancestors from `element` up to `root` (only the
   * first box: `nearest`), stopping at one that scrolls or clips on purpose (a table that scrolls sideways, a name
   * with an ellipsis). */
  function runsOut(rect, element, root, nearest) {
    if (!rect.width) return false; // not shown
    for (var e = element; e && e !== root.parentElement; e = e.parentElement) {
      var style = getComputedStyle(e);
      if (style.overflowX !== "visible") return false;
      if (style.display === "inline" || style.display === "contents") continue;
      var box = e.getBoundingClientRect();
      var left = box.left + e.clientLeft + parseFloat(style.paddingLeft);
      var right = box.left + e.clientLeft + e.clientWidth - parseFloat(style.paddingRight);
      if (rect.left < left - 1 || rect.right > right + 1) return true;
      if (nearest) return false;
    }
    return false;
  }

  /** Give soft hyphens to the words of `textNode` listed in `words` (matches), breaking them with `breaks`; returns
   * where each of them is in the new text. */
  function insertBreaks(textNode, words, breaks) {
    var text = textNode.data;
    var out = "";
    var at = 0;
    var spans = words.map(function (m) {
      out += text.slice(at, m.index);
      var broken = breaks(m[0].split(SOFT_HYPHEN).join(""));
      var span = { index: out.length, length: broken.length };
      out += broken;
      at = m.index + m[0].length;
      return span;
    });
    textNode.data = out + text.slice(at);
    return spans;
  }

  function hyphenateWhereNeeded(root) {
    hyphenated = hyphenated.filter(function (entry) {
      if (!root.contains(entry[0])) return entry[0].isConnected;
      if (entry[0].data === entry[2]) entry[0].data = entry[1]; // unless the page wrote a new text into it since
      return false;
    });
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var range = document.createRange();
    var nodes = [];
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var parent = node.parentElement;
      if (parent && node.data.length >= 8 && !parent.closest("script, style, textarea, select, svg")) nodes.push(node);
    }
    nodes.forEach(function (textNode) {
      var text = textNode.data;
      var element = textNode.parentElement;
      if (/^(nowrap|pre)$/.test(getComputedStyle(element).whiteSpace)) return;
      var wide = [];
      var match;
      LONG_WORD.lastIndex = 0;
      while ((match = LONG_WORD.exec(text))) {
        range.setStart(textNode, match.index);
        range.setEnd(textNode, match.index + match[0].length);
        if (!ADDRESS.test(match[0]) && runsOut(range.getBoundingClientRect(), element, root, false)) wide.push(match);
      }
      if (!wide.length) return;
      var entry = [textNode, text, null];
      hyphenated.push(entry);
      var spans = insertBreaks(textNode, wide, syllableBreaks);
      // a word with a syllable still wider than its own box (or without syllables) may break between any letters;
      // only its own box counts now: a table too wide for its frame because of its other columns would else
      // squeeze the name to a letter per line without fitting any better
      var again = wide.filter(function (m, i) {
        range.setStart(textNode, spans[i].index);
        range.setEnd(textNode, spans[i].index + spans[i].length);
        return Array.prototype.some.call(range.getClientRects(), function (rect) {
          return runsOut(rect, element, root, true);
        });
      }).map(function (m) {
        var i = wide.indexOf(m);
        return { index: spans[i].index, 0: textNode.data.substr(spans[i].index, spans[i].length) };
      });
      if (again.length) insertBreaks(textNode, again, letterBreaks);
      entry[2] = textNode.data;
    });
  }

  /** Keep every word of the page whole: hyphenate a word wider than its box after each change of the page (a new
   * state, a panel shown) and each resize; the countdown's ticks are no change. Every page calls it once. */
  A.keepWordsWhole = function (root) {
    root = root || document.body;
    var pending = false;
    var observer = new MutationObserver(function (records) {
      var real = records.some(function (r) {
        var target = r.target.nodeType === 1 ? r.target : r.target.parentElement;
        return !(target && target.closest("[role=timer]"));
      });
      if (real) schedule();
    });
    var options = { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["hidden", "class", "data-fit"] };
    function run() {
      pending = false;
      observer.disconnect();
      try {
        hyphenateWhereNeeded(root);
      } finally {
        observer.observe(root, options);
      }
    }
    function schedule() {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(run);
    }
    window.addEventListener("resize", schedule);
    observer.observe(root, options);
    schedule();
  };

  /* ---- connection indicator --------------------------------------------------------- */

  /**
   * Keep `el` (e.g. #conn-status) saying "connecting…" or "offline" while the socket is
   * down, hidden while it is up. texts: {connecting, offline}.
   */
  A.watchConnection = function (socket, el, texts) {
    if (!el) return;
    function set(state) {
      if (socket.closedForGood) state = "online"; // nothing to connect to any more: no "Connecting…" for ever
      el.dataset.state = state;
      document.body.dataset.connection = state;
      if (state === "online") {
        el.hidden = true;
        el.textContent = "";
      } else {
        el.hidden = false;
        el.textContent = state === "offline" ? texts.offline : texts.connecting;
      }
    }
    set("connecting");
    socket.on("connect", function () { set("online"); });
    socket.on("disconnect", function () { set(global.navigator.onLine === false ? "offline" : "connecting"); });
    socket.on("connect_error", function () { set(global.navigator.onLine === false ? "offline" : "connecting"); });
    socket.io.on("reconnect_attempt", function () { if (!socket.connected) set("connecting"); });
    global.addEventListener("offline", function () { set("offline"); });
    global.addEventListener("online", function () { if (!socket.connected) set("connecting"); });
  };

  /** On return to a sleeping tab: reconnect if the socket dropped, else ask for a fresh state. */
  A.resyncOnVisible = function (socket) {
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible" || socket.closedForGood) return;
      if (!socket.connected) {
        socket.connect();
      } else {
        socket.timeout(A.ACK_TIMEOUT_MS).emit("sync", {}, function () { /* state follows as game_state */ });
      }
    });
    global.addEventListener("online", function () { if (!socket.connected && !socket.closedForGood) socket.connect(); });
  };

  /** A handler of a paced message (`game_state`, `presence` on a page that connects with `acks: true`): it draws the
   * message, then acknowledges it, even when drawing failed, so that the server sends the next (docs/protocol.md). */
  A.taken = function (handle) {
    return function (message, ack) {
      try {
        handle(message);
      } finally {
        if (typeof ack === "function") ack();
      }
    };
  };

  /** Stop a page's connection for good (its workshop was deleted, its link refused): no more reconnecting, and the
   * connection indicator hides instead of showing "Connecting…" for ever. */
  A.closeForGood = function (socket, el) {
    socket.closedForGood = true;
    socket.disconnect();
    if (el) {
      el.hidden = true;
      el.textContent = "";
    }
  };

  /* ---- shared result widgets ------------------------------------------------------ */

  /**
   * Bar chart of a reveal: how many teams chose each response, the best one marked.
   * labels: {best, teams(n), noAnswer(n), chartLabel}
   */
  A.buildChart = function (reveal, labels, options) {
    var opts = options || {};
    var max = 1;
    reveal.responses.forEach(function (r) { if (r.count > max) max = r.count; });
    var rows = reveal.responses.map(function (r, i) {
      var pct = Math.round((r.count / max) * 100);
      var bar = A.svg("svg", {
        class: "bar-svg",
        viewBox: "0 0 100 10",
        preserveAspectRatio: "none",
        "aria-hidden": "true",
        focusable: "false"
      }, [
        A.svg("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 10, rx: 1.5 }),
        A.svg("rect", { class: "bar-fill", x: 0, y: 0, width: r.count ? Math.max(pct, 2) : 0, height: 10, rx: 1.5 })
      ]);
      return A.el("li", {
        class: ["chart-row", r.best ? "is-best" : "", opts.highlightId === r.id ? "is-mine" : ""],
        dataset: { responseId: r.id, count: r.count }
      }, [
        A.el("div", { class: "chart-label" }, [
          opts.letters ? A.el("span", { class: "chart-letter", text: String.fromCharCode(65 + i) }) : null,
          A.el("span", { class: "chart-text", text: r.text }),
          r.best ? A.el("span", { class: "best-mark", text: "★ " + labels.best }) : null
        ]),
        A.el("div", { class: "chart-bar" }, [
          bar,
          A.el("span", { class: "chart-count", text: labels.teams(r.count) })
        ])
      ]);
    });
    var children = [A.el("ol", { class: "chart-rows", attrs: { "aria-label": labels.chartLabel } }, rows)];
    if (reveal.no_answer) children.push(A.el("p", { class: "chart-note", text: labels.noAnswer(reveal.no_answer) }));
    return A.el("div", { class: "chart", id: opts.id || null }, children);
  };

  /**
   * The leaderboard as an ordered list. labels: {title, points(n), you}
   */
  A.buildLeaderboard = function (rows, labels, options) {
    var opts = options || {};
    var items = (rows || []).map(function (row) {
      var mine = opts.highlightTeamId && row.team_id === opts.highlightTeamId;
      return A.el("li", {
        class: ["lb-row", mine ? "is-mine" : "", row.rank <= 3 ? "rank-" + row.rank : "", row.apart ? "is-apart" : ""],
        dataset: { teamId: row.team_id, rank: row.rank }
      }, [
        A.el("span", { class: "lb-rank", text: String(row.rank) }),
        A.el("span", { class: "lb-name" }, [
          A.el("span", { text: row.name }),
          mine && labels.you ? A.el("span", { class: "lb-you", text: " (" + labels.you + ")" }) : null
        ]),
        A.el("span", { class: "lb-points", text: labels.points(row.points) })
      ]);
    });
    return A.el("ol", { class: "leaderboard-list", attrs: { "aria-label": labels.title } }, items);
  };

  /**
   * A podium: one step per rank 1-3; tied teams share a step.
   * labels: {place(rank), points(n)}
   */
  A.buildPodium = function (podium, labels, options) {
    var opts = options || {};
    var byRank = {};
    (podium || []).forEach(function (row) { (byRank[row.rank] = byRank[row.rank] || []).push(row); });
    var ranks = Object.keys(byRank).map(Number).sort(function (a, b) { return a - b; });
    // classic order: 2nd, 1st, 3rd (only the steps that exist)
    var order = [];
    if (ranks[1] !== undefined) order.push(ranks[1]);
    if (ranks[0] !== undefined) order.push(ranks[0]);
    if (ranks[2] !== undefined) order.push(ranks[2]);
    var steps = order.map(function (rank) {
      return A.el("li", { class: ["podium-step", "place-" + rank], dataset: { rank: rank } }, [
        A.el("ul", { class: "podium-teams" }, byRank[rank].map(function (row) {
          return A.el("li", {
            class: ["podium-team", opts.highlightTeamId === row.team_id ? "is-mine" : ""],
            dataset: { teamId: row.team_id }
          }, [
            A.el("span", { class: "podium-name", text: row.name }),
            A.el("span", { class: "podium-points", text: labels.points(row.points) })
          ]);
        })),
        A.el("div", { class: "podium-block" }, [A.el("span", { class: "podium-place", text: labels.place(rank) })])
      ]);
    });
    return A.el("ol", { class: "podium", attrs: { "aria-label": labels.title || "Podium" } }, steps);
  };

  /* ---- the debrief: profiles over the rubric dimensions ---------------------------------- */

  A.DIMENSIONS = ["attention", "ease", "resolution", "ownership", "proportion"];
  A.MAX_POINTS = 3;

  function isNum(v) { return typeof v === "number" && isFinite(v); }

  var measureCtx = null;
  /** How wide `text` is in the page's font at `px` pixels (canvas measure; an estimate without canvas). */
  function textWidth(text, px, weight) {
    try {
      if (!measureCtx) measureCtx = document.createElement("canvas").getContext("2d");
      var family = global.getComputedStyle(document.body).fontFamily || "sans-serif";
      measureCtx.font = (weight || 700) + " " + px + "px " + family;
      var w = measureCtx.measureText(String(text)).width;
      if (w > 0) return w;
    } catch (e) { /* no canvas: estimate */ }
    return String(text).length * px * 0.66;
  }

  /** An average as shown: one decimal, or a dash without scores. The server sends every average already rounded to
   * one decimal, half up (game/engine/views.py, average): this only prints it, so the report shows the same digits. */
  A.formatScore = function (value) {
    return isNum(value) ? (Math.round(value * 10) / 10).toFixed(1) : "–";
  };

  /**
   * The weakest and strongest dimension of a profile, as the server picks them for the room
   * (lowest first, ties in the rubric's order), with every dimension that shows the same value
   * (one decimal) in `low` and `high`, so what is named matches what is read.
   * even: every known dimension shows the same value.
   */
  A.profileExtremes = function (profile, dims) {
    var list = dims || A.DIMENSIONS;
    var known = list.filter(function (d) { return profile && isNum(profile[d]); });
    if (!known.length) return { weakest: null, strongest: null, low: [], high: [], even: false };
    var ranked = known.slice().sort(function (a, b) { return profile[a] - profile[b]; });
    var weakest = ranked[0];
    var strongest = ranked[ranked.length - 1];
    var lowText = A.formatScore(profile[weakest]);
    var highText = A.formatScore(profile[strongest]);
    return {
      weakest: weakest,
      strongest: strongest,
      low: known.filter(function (d) { return A.formatScore(profile[d]) === lowText; }),
      high: known.filter(function (d) { return A.formatScore(profile[d]) === highText; }),
      even: lowText === highText
    };
  };

  /**
   * "Strongest: X 2.5 · Most to gain: Y 0.5" under a profile (a <dl>), or one line when the
   * profile is even or empty. labels: {strongest, weakest, even, none, dim(d)}
   */
  A.buildExtremes = function (profile, ex, labels, id) {
    if (!ex.weakest) return A.el("p", { class: "profile-caption", id: id || null, text: labels.none });
    if (ex.even) return A.el("p", { class: "profile-caption", id: id || null, text: labels.even });
    function names(list) { return list.map(labels.dim).join(", "); }
    return A.el("dl", { class: "profile-caption extremes", id: id || null }, [
      A.el("div", { class: "extreme is-strongest", dataset: { dim: ex.high.join(" ") } }, [
        A.el("dt", { text: labels.strongest }),
        A.el("dd", { text: names(ex.high) + " " + A.formatScore(profile[ex.strongest]) })
      ]),
      A.el("div", { class: "extreme is-weakest", dataset: { dim: ex.low.join(" ") } }, [
        A.el("dt", { text: labels.weakest }),
        A.el("dd", { text: names(ex.low) + " " + A.formatScore(profile[ex.weakest]) })
      ])
    ]);
  };

  /**
   * A profile as a horizontal bar chart, 0-3 per dimension, drawn as inline SVG. Every row is a
   * <g data-dim data-value> (data-value: the average as the server sent it, empty without scores).
   * options: {dims, label(dim), id, testid, extremes (from profileExtremes: its low and high rows are
   *   marked is-weakest / is-strongest unless the profile is even), compare: {dim: value} (a thin marker,
   *   e.g. the room's average), width (viewBox width, default 640), fontSize (default 24), axis (bool),
   *   ariaLabel, valueLabel(value) (for the screen reader text)}
   */
  A.buildProfile = function (profile, options) {
    var opts = options || {};
    var dims = opts.dims || A.DIMENSIONS;
    var label = opts.label || function (d) { return d; };
    var max = A.MAX_POINTS;
    var data = profile || {};
    var W = opts.width || 640;
    var fs = opts.fontSize || 24;
    var rowH = Math.round(fs * 2.1);
    var barH = Math.round(rowH * 0.56);
    var longest = 0;
    dims.forEach(function (d) { longest = Math.max(longest, textWidth(label(d), fs, 800)); });
    var labelW = Math.ceil(longest) + Math.round(fs * 0.7);
    var valueW = Math.ceil(fs * 2.3);
    var x0 = labelW;
    var barW = Math.max(40, W - labelW - valueW);
    var axisH = opts.axis ? Math.round(fs * 1.3) : 0;
    var H = dims.length * rowH + axisH;
    var top = Math.round((rowH - barH) / 2);
    var spoken = [];
    var ex = opts.extremes && !opts.extremes.even ? opts.extremes : { low: [], high: [] };

    var rows = dims.map(function (d, i) {
      var v = data[d];
      var known = isNum(v);
      var width = known ? Math.max(0, Math.min(1, v / max)) * barW : 0;
      spoken.push(label(d) + " " + (known ? A.formatScore(v) : "–") + " / " + max);
      var parts = [
        A.svg("text", { class: "profile-label", x: 0, y: rowH / 2, "dominant-baseline": "central", "font-size": fs, text: label(d) }),
        A.svg("rect", { class: "profile-track", x: x0, y: top, width: barW, height: barH, rx: Math.round(barH / 5) })
      ];
      if (width > 0) {
        parts.push(A.svg("rect", { class: "profile-fill", x: x0, y: top, width: Math.max(width, 3), height: barH, rx: Math.round(barH / 5) }));
      }
      for (var k = 1; k < max; k++) {
        var tx = x0 + (barW * k) / max;
        parts.push(A.svg("line", { class: "profile-tick", x1: tx, x2: tx, y1: top, y2: top + barH }));
      }
      var c = opts.compare ? opts.compare[d] : null;
      if (isNum(c)) {
        var cx = x0 + Math.max(0, Math.min(1, c / max)) * barW;
        parts.push(A.svg("line", { class: "profile-compare", x1: cx, x2: cx, y1: top - Math.round(fs * 0.25), y2: top + barH + Math.round(fs * 0.25) }));
      }
      parts.push(A.svg("text", {
        class: "profile-value", x: W, y: rowH / 2, "text-anchor": "end", "dominant-baseline": "central",
        "font-size": Math.round(fs * 1.1), text: known ? A.formatScore(v) : "–"
      }));
      return A.svg("g", {
        class: ["profile-row", ex.high.indexOf(d) >= 0 ? "is-strongest" : "", ex.low.indexOf(d) >= 0 ? "is-weakest" : "", known ? "" : "is-empty"],
        transform: "translate(0 " + i * rowH + ")",
        dataset: { dim: d, value: known ? String(v) : "" }
      }, parts);
    });
    if (opts.axis) {
      var axis = [];
      for (var k = 0; k <= max; k++) {
        axis.push(A.svg("text", {
          class: "profile-axis", x: x0 + (barW * k) / max, y: H - Math.round(fs * 0.2),
          "text-anchor": k === 0 ? "start" : k === max ? "end" : "middle", "font-size": Math.round(fs * 0.72), text: String(k)
        }));
      }
      rows.push(A.svg("g", { class: "profile-axis-row", "aria-hidden": "true" }, axis));
    }
    var svg = A.svg("svg", {
      class: "profile-svg",
      viewBox: "0 0 " + W + " " + H,
      role: "img",
      "aria-label": (opts.ariaLabel ? opts.ariaLabel + ": " : "") + spoken.join(", "),
      focusable: "false"
    }, rows);
    return A.el("figure", { class: "profile", id: opts.id || null, attrs: { "data-testid": opts.testid || null } }, [svg]);
  };

  /**
   * Every team's profile in one table: a small bar and the value per dimension, the team's
   * lowest and highest cell marked. rows: [{team_id, name, rank, points, profile or null, flags}].
   * options: {dims, label(dim), id, headers: {rank, team, points, flags}, points(n), highlightTeamId}
   */
  /**
   * A live "n/max" count under a text field with a length limit (its maxLength), so the limit shows while typing
   * instead of cutting the text silently. The field is described by the count; a polite status tells a screen
   * reader how many characters are left once five or fewer are (`left(n)` gives its words), not at every key.
   * Call `.update()` on the returned element after changing the field's value from code.
   */
  A.limitCounter = function (input, left) {
    var max = input.maxLength;
    var shown = A.el("span", { id: input.id + "-count", class: "limit-count-n" });
    var said = A.el("span", { class: "sr-only", attrs: { "aria-live": "polite", "data-testid": input.id + "-left" } });
    var box = A.el("span", { class: "hint limit-count", attrs: { "data-testid": input.id + "-count" } }, [shown, said]);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + shown.id);
    box.update = function () {
      var n = input.value.length;
      shown.textContent = n + "/" + max;
      box.classList.toggle("is-full", n >= max);
      var words = max - n <= 5 ? left(max - n) : "";
      if (said.textContent !== words) said.textContent = words;
    };
    input.addEventListener("input", box.update);
    box.update();
    return box;
  };

  A.buildProfileTable = function (rows, options) {
    var opts = options || {};
    var dims = opts.dims || A.DIMENSIONS;
    var label = opts.label || function (d) { return d; };
    var h = opts.headers || {};
    var max = A.MAX_POINTS;
    var anyFlags = rows.some(function (r) { return r.flags; });
    var head = A.el("tr", null, [
      A.el("th", { class: "num pt-rank", attrs: { scope: "col" }, text: h.rank || "#" }),
      A.el("th", { class: "pt-team", attrs: { scope: "col" }, text: h.team || "Team" })
    ].concat(dims.map(function (d) {
      return A.el("th", { class: "pt-dim", attrs: { scope: "col" }, dataset: { dim: d }, text: label(d) });
    })).concat([
      anyFlags ? A.el("th", { class: "num pt-flags", attrs: { scope: "col" }, text: h.flags || "−1" }) : null,
      A.el("th", { class: "num pt-points", attrs: { scope: "col" }, text: h.points || "Points" })
    ]));
    var body = rows.map(function (row) {
      var ex = A.profileExtremes(row.profile, dims);
      var lows = {}, highs = {};
      if (!ex.even) {
        ex.low.forEach(function (d) { lows[d] = true; });
        ex.high.forEach(function (d) { highs[d] = true; });
      }
      return A.el("tr", {
        class: ["pt-row", opts.highlightTeamId === row.team_id ? "is-mine" : "", row.rank && row.rank <= 3 ? "rank-" + row.rank : ""],
        dataset: { teamId: row.team_id }
      }, [
        A.el("td", { class: "num pt-rank", text: row.rank ? String(row.rank) : "" }),
        A.el("th", { class: "pt-team", attrs: { scope: "row" }, text: row.name })
      ].concat(dims.map(function (d) {
        var v = row.profile ? row.profile[d] : null;
        var known = isNum(v);
        var pct = known ? Math.max(0, Math.min(1, v / max)) * 100 : 0;
        var mark = opts.marks && (highs[d] || lows[d]) ? (highs[d] ? opts.marks.high : opts.marks.low) : null;
        return A.el("td", {
          class: ["pt-cell", lows[d] ? "is-low" : "", highs[d] ? "is-high" : ""],
          dataset: { dim: d, value: known ? String(v) : "" }
        }, [
          A.el("span", { class: "pt-value", text: A.formatScore(v) }),
          // the colour is not the only sign: a symbol (the legend's) and, for a screen reader, its words
          mark ? A.el("span", { class: "pt-mark", attrs: { "aria-hidden": "true" }, text: highs[d] ? "▲" : "▼" }) : null,
          mark ? A.el("span", { class: "sr-only", text: " (" + mark + ")" }) : null,
          A.svg("svg", { class: "pt-bar", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true", focusable: "false" }, [
            A.svg("rect", { class: "pt-track", x: 0, y: 0, width: 100, height: 10, rx: 2 }),
            pct > 0 ? A.svg("rect", { class: "pt-fill", x: 0, y: 0, width: Math.max(pct, 2), height: 10, rx: 2 }) : null
          ])
        ]);
      })).concat([
        anyFlags ? A.el("td", { class: ["num", "pt-flags", row.flags ? "is-flagged" : ""], text: row.flags ? "−" + row.flags : "" }) : null,
        A.el("td", { class: "num pt-points", text: opts.points ? opts.points(row.points) : String(row.points) })
      ]));
    });
    return A.el("table", { class: "profile-table", id: opts.id || null }, [
      A.el("thead", null, [head]),
      A.el("tbody", null, body)
    ]);
  };

  /**
   * The rows for buildProfileTable: every team on the leaderboard (in its order) with its
   * profile from the debrief, then teams with scores that are not on the board.
   */
  A.profileRows = function (leaderboard, debrief) {
    var byTeam = {};
    ((debrief && debrief.teams) || []).forEach(function (t) { byTeam[t.team_id] = t; });
    var seen = {};
    var rows = (leaderboard || []).map(function (row) {
      seen[row.team_id] = true;
      var t = byTeam[row.team_id];
      return { team_id: row.team_id, name: row.name, rank: row.rank, points: row.points, profile: t ? t.profile : null, flags: t ? t.flags : 0 };
    });
    ((debrief && debrief.teams) || []).forEach(function (t) {
      if (!seen[t.team_id]) rows.push({ team_id: t.team_id, name: t.name, rank: null, points: t.points, profile: t.profile, flags: t.flags });
    });
    return rows;
  };
})(window);
