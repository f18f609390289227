// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Eyes-closed practice (a timed practice): one big start button, a timer that can be paused and reset,
  // announced politely to screen readers once per minute; the screen kept awake while it runs (Screen Wake
  // Lock, where the browser has it); a soft chime at the end (Web Audio, no file; a choice remembered in
  // localStorage "practice:chime"); then a calm "How was that?" heading, above the ratings after the
  // practice, receives the focus.
  function setUpTimer(box) {
    var total = parseInt(box.getAttribute("data-minutes"), 10) * 60;
    if (!total) { return; }
    var left = total, handle = null, lock = null, sound = null;
    var display = document.createElement("p");
    display.className = "timer-display";
    display.setAttribute("role", "timer");
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    var controls = document.createElement("div");
    controls.className = "timer-controls";
    var start = button("Start the practice"), reset = button("Reset");
    start.classList.add("big");
    reset.classList.add("secondary");
    controls.appendChild(start);
    controls.appendChild(reset);
    var hint = document.createElement("p");
    hint.className = "small";
    var chimeChoice = document.createElement("p");
    chimeChoice.className = "option timer-chime";
    var chimeBox = document.createElement("input");
    chimeBox.type = "checkbox";
    chimeBox.id = "practice-chime";
    var chimeLabel = document.createElement("label");
    chimeLabel.htmlFor = chimeBox.id;
    chimeLabel.textContent = "Play a soft sound at the end";
    chimeChoice.appendChild(chimeBox);
    chimeChoice.appendChild(chimeLabel);
    var canChime = !!(window.AudioContext || window.webkitAudioContext);
    chimeBox.checked = canChime && remembered("practice:chime") !== "off";
    chimeChoice.hidden = !canChime;
    function describe() {
      hint.textContent = "You can close your eyes." +
        ("wakeLock" in navigator ? " The screen stays on while the practice runs." : "") +
        (chimeBox.checked ? " When the time is up, you will hear a soft sound." : "");
    }
    chimeBox.addEventListener("change", function () {
      remember("practice:chime", chimeBox.checked ? "on" : "off");
      describe();
    });
    describe();
    box.appendChild(display);
    box.appendChild(hint);
    box.appendChild(controls);
    box.appendChild(chimeChoice);
    box.appendChild(status);

    // The calm question after the practice, above the ratings "Now: ..." (or above the button without them).
    var form = box.closest("form");
    var after = form && (form.querySelector("[id$='_after']") || form.querySelector("[type=submit]"));
    var howWasIt = document.createElement("h2");
    howWasIt.textContent = "How was that?";
    howWasIt.id = "how-was-that";
    howWasIt.tabIndex = -1;
    if (after) {
      var holder = after.closest(".field") || after;
      holder.parentNode.insertBefore(howWasIt, holder);
    }

    function button(label) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button";
      b.textContent = label;
      return b;
    }
    function remembered(key) {
      try { return window.localStorage.getItem(key); } catch (e) { return null; }
    }
    function remember(key, value) {
      try { window.localStorage.setItem(key, value); } catch (e) { /* not remembered: still works */ }
    }
    function show() {
      var m = Math.floor(left / 60), s = left % 60;
      display.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    }
    function keepAwake() {
      if (!("wakeLock" in navigator) || lock) { return; }
      navigator.wakeLock.request("screen").then(function (got) {
        if (handle) { lock = got; } else { got.release(); }
      }, function () { /* refused (battery saver, hidden page): the practice runs all the same */ });
    }
    function letSleep() {
      if (lock) { lock.release().catch(function () { /* already released */ }); lock = null; }
    }
    function chime() {
      if (!sound || !chimeBox.checked) { return; }
      // Two soft sine tones fading out: a gentle bell, no file to download.
      var at = sound.currentTime;
      [523.25, 783.99].forEach(function (frequency, i) {
        var tone = sound.createOscillator(), volume = sound.createGain(), begin = at + i * 0.4;
        tone.type = "sine";
        tone.frequency.value = frequency;
        volume.gain.setValueAtTime(0.0001, begin);
        volume.gain.exponentialRampToValueAtTime(0.15, begin + 0.05);
        volume.gain.exponentialRampToValueAtTime(0.0001, begin + 2.5);
        tone.connect(volume);
        volume.connect(sound.destination);
        tone.start(begin);
        tone.stop(begin + 2.6);
      });
    }
    function stop() { if (handle) { clearInterval(handle); handle = null; } letSleep(); }
    function tick() {
      left -= 1;
      show();
      if (left > 0 && left % 60 === 0) { status.textContent = (left / 60) + " minutes left"; }
      if (left <= 0) { finish(); }
    }
    function finish() {
      stop();
      start.textContent = "Start the practice";
      status.textContent = "Time is up. Take your time to finish.";
      chime();
      if (howWasIt.parentNode) { howWasIt.focus(); }
    }
    start.addEventListener("click", function () {
      if (handle) { stop(); start.textContent = "Continue"; status.textContent = "Practice paused"; return; }
      if (left <= 0) { left = total; show(); }
      // The sound is made ready now: browsers let a page play sound only after a press.
      if (chimeBox.checked && !sound) {
        var Context = window.AudioContext || window.webkitAudioContext;
        try { sound = new Context(); } catch (e) { sound = null; }
      }
      if (sound && sound.state === "suspended" && sound.resume) { sound.resume(); }
      handle = setInterval(tick, 1000);
      keepAwake();
      start.textContent = "Pause";
      status.textContent = "Practice started";
    });
    reset.addEventListener("click", function () {
      stop();
      left = total;
      start.textContent = "Start the practice";
      status.textContent = "";
      show();
    });
    // A wake lock ends when the page is hidden; take it again on return while the practice runs.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && handle) { lock = null; keepAwake(); }
    });
    show();
  }

  // A time-zone select in plain words ("Weeks open at midnight, Denver time"), kept up to date as the person
  // chooses; on a first visit to a sign-up form it starts from the browser's own zone. The server sent the
  // clinic's zone and the words for it, so without JavaScript the page is already complete.
  function zoneWords(name) {
    // The same rule as course/_zones.py zone_words.
    if (name === "UTC" || name === "Etc/UTC" || name === "Etc/GMT") { return "UTC"; }
    return name.split("/").pop().replace(/_/g, " ") + " time";
  }

  function suggestZone() {
    var select = document.getElementById("timezone");
    var words = document.getElementById("timezone-words");
    if (!select || !words) { return; }
    var shown = words.querySelector("strong");
    function say() { if (shown) { shown.textContent = zoneWords(select.value); } }
    if (words.hasAttribute("data-suggest-zone")) {
      try {
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        var option = zone ? Array.prototype.find.call(select.options, function (o) { return o.value === zone; }) : null;
        if (option) { select.value = zone; }
      } catch (e) { /* keep the clinic's zone the server chose */ }
    }
    select.addEventListener("change", say);
    say();
  }

  // Drafts in the browser: the second line behind the server's "no typed word is lost" (course/keeping.py).
  //
  // What is kept: the text of every free-text field (a textarea; an input of type text or search, or with no
  // type; never a password or a one-time code, nor a hidden, disabled or read-only field, nor one without a
  // name) of every form that posts, found on each page by looking, so forms added later are covered. Not the
  // sign-out form; a form can opt out with data-draft="off". Only while someone is signed in
  // (<body data-user="ID">): signed out, nothing is kept or offered. Key
  // "draft:<user>:<path the form posts to, or this page's>:<field name>",
  // value {"text", "at"} in localStorage. Written a second after typing stops, and at once when the page is
  // hidden or left (visibilitychange, pagehide), so a crash or a closed tab loses a second at most. An
  // emptied field has no draft. Storage refused or full: nothing happens, the page works as without script.
  //
  // Offered back: when a page loads, a form whose drafts differ from what its fields show gets a notice
  // above it (role=status) with "Bring it back" and "Discard it". Where every such field is empty, the text
  // is put back at once and the notice says so, with "Discard it" to empty the fields again.
  //
  // Cleared when the server has saved it. The rule:
  //  1. On submit, the form's drafts are written as they are, and this tab remembers (sessionStorage
  //     "draft-sent") which drafts were sent, with their times, and when.
  //  2. The next page this tab loads reads and forgets that note. It is the server's answer to the submit
  //     when its navigation began within seconds of the submit. Then, for each draft sent:
  //     - the answer came through a redirect (this app redirects after a form has validated and been saved:
  //       Post/Redirect/Get), the same person is still signed in and the page reports no error
  //       (.flash-error, #error-summary): the draft is removed. "Save for later" on a step (the same step
  //       again, showing the saved answer), a journal entry (its own page) and a therapist's note (the patient
  //       page again, with an empty note field) all end here;
  //     - the answer is a page of its own, without a redirect (the form again with an error, or with a
  //       refreshed token): the words are in the fields and the draft stays; typing keeps saving it, and a
  //       reload or a crash still offers it back;
  //     - the answer is the sign-in page (the session had ended): the draft stays. The server kept the words
  //       and shows them in the form after sign-in, where the draft equals the field and is not offered; had
  //       the server not kept them, the draft offers them back. The next successful save removes it;
  //     - a draft typed over since it was sent (in another tab) stays.
  //     Where the browser cannot tell a redirect (no Navigation Timing), a draft sent is removed when this
  //     page is another one than the form's, or when it shows the field with exactly the draft text.
  //  3. Signing out (the form posting to .../auth/logout) removes every draft in this browser, of everyone,
  //     and stops other open tabs from writing more: phones are shared.
  var DRAFT = "draft:", SENT = "draft-sent", SIGNED_OUT = "draft-signed-out", WAIT = 1000;
  // Secrets, even in a text field (a one-time code; a password shown as text): never kept.
  var SECRET = /(^|\s)(one-time-code|current-password|new-password)(\s|$)/i;
  var CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]/g;

  function setUpDrafts() {
    var local = storage("localStorage");
    if (!local) { return; }
    var tab = storage("sessionStorage") || local;
    var user = document.body.getAttribute("data-user") || "";
    var dirty = {}, timer = null, stopped = false;

    function storage(name) {
      try { var s = window[name]; s.getItem(SENT); return s; } catch (e) { return null; }
    }
    function read(key) {
      try {
        var value = JSON.parse(local.getItem(key) || "null");
        return value && typeof value.text === "string" ? value : null;
      } catch (e) { return null; }
    }
    function write(where, key, value) {
      try { where.setItem(key, JSON.stringify(value)); } catch (e) { /* full or refused: the server still keeps */ }
    }
    function forget(where, key) {
      try { where.removeItem(key); } catch (e) { /* nothing to do */ }
    }
    function keysStarting(where, prefix) {
      var found = [];
      try {
        for (var i = 0; i < where.length; i += 1) {
          var key = where.key(i);
          if (key && key.indexOf(prefix) === 0) { found.push(key); }
        }
      } catch (e) { /* none, then */ }
      return found;
    }
    // Text as the server stores it (course/text.py clean_text), ends trimmed: equal text is not "unsaved".
    function tidy(text) {
      text = String(text || "").replace(/\r\n?/g, "\n").replace(CONTROL, "");
      if (text.normalize) { text = text.normalize("NFC"); }
      return text.replace(/^\s+|\s+$/g, "");
    }
    function pathOf(form) {
      var action = form.getAttribute("action");
      if (!action) { return location.pathname; }
      var link = document.createElement("a");
      link.href = action;
      return link.pathname.charAt(0) === "/" ? link.pathname : "/" + link.pathname;
    }
    function isSignOut(form) { return /\/auth\/logout\/?$/.test(pathOf(form)); }
    function keeps(form) {
      return !!form && (form.getAttribute("method") || "").toLowerCase() === "post" && !isSignOut(form)
        && form.getAttribute("data-draft") !== "off";
    }
    function isText(field) {
      var kind = field.tagName === "TEXTAREA" ? "textarea" : field.tagName === "INPUT" ? field.type : "";
      return (kind === "textarea" || kind === "text" || kind === "search") && !!field.name
        && !field.disabled && !field.readOnly && !SECRET.test(field.getAttribute("autocomplete") || "");
    }
    function textFields(form) { return Array.prototype.filter.call(form.elements, isText); }
    function prefixOf(form) { return DRAFT + user + ":" + pathOf(form) + ":"; }
    function keyOf(field) { return prefixOf(field.form) + field.name; }

    function keep(key, field, at) {
      if (tidy(field.value)) { write(local, key, { text: field.value, at: at }); } else { forget(local, key); }
    }
    function flush() {
      if (timer) { clearTimeout(timer); timer = null; }
      if (!stopped) {
        for (var key in dirty) {
          if (Object.prototype.hasOwnProperty.call(dirty, key)) { keep(key, dirty[key], Date.now()); }
        }
      }
      dirty = {};
    }
    function signOut() {
      stopped = true;
      flush();
      [local, tab].forEach(function (where) {
        keysStarting(where, DRAFT).concat(keysStarting(where, "journal-draft:")).forEach(function (key) {
          forget(where, key);
        });
        forget(where, SENT);
      });
      write(local, SIGNED_OUT, Date.now());  // tells other open tabs (storage event) to stop writing
      forget(local, SIGNED_OUT);
    }

    document.addEventListener("input", function (event) {
      var field = event.target;
      if (!user || stopped || !field || !keeps(field.form) || !isText(field)) { return; }
      dirty[keyOf(field)] = field;
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(flush, WAIT);
    });
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (event.defaultPrevented || !form || form.tagName !== "FORM") { return; }
      if (isSignOut(form)) { signOut(); return; }
      if (!user || stopped || !keeps(form)) { return; }
      flush();
      var now = Date.now(), prefix = prefixOf(form), sent = {}, any = false;
      textFields(form).forEach(function (field) { keep(prefix + field.name, field, now); });
      keysStarting(local, prefix).forEach(function (key) {  // rows no longer on the page are sent too
        var draft = read(key);
        if (draft) { sent[key] = draft.at; any = true; }
      });
      if (any) { write(tab, SENT, { at: now, from: location.pathname, keys: sent }); }
    });
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { flush(); }
    });
    window.addEventListener("storage", function (event) {
      if (event.key === SIGNED_OUT && event.newValue) { stopped = true; dirty = {}; }
    });

    var forms = user ? Array.prototype.filter.call(document.querySelectorAll("form"), keeps) : [];
    settle(forms);
    forms.forEach(function (form) {
      var fields = textFields(form);
      if (fields.length) { offer(form, fields); }
    });

    function redirects() {
      try {
        var entries = performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
        if (entries.length && typeof entries[0].redirectCount === "number") {
          return { count: entries[0].redirectCount, type: entries[0].type };
        }
        if (performance.navigation && typeof performance.navigation.redirectCount === "number") {
          var types = { 0: "navigate", 1: "reload", 2: "back_forward" };
          return { count: performance.navigation.redirectCount, type: types[performance.navigation.type] };
        }
      } catch (e) { /* unknown */ }
      return null;
    }
    function settle(forms) {
      var note = null;
      try { note = JSON.parse(tab.getItem(SENT) || "null"); } catch (e) { note = null; }
      forget(tab, SENT);
      if (!note || typeof note.at !== "number" || !note.keys) { return; }
      var began = window.performance && performance.now ? Date.now() - performance.now() : Date.now();
      if (began < note.at - 2000 || began > note.at + 10000) { return; }  // not the answer to that submit
      var nav = redirects();
      if (nav && nav.type && nav.type !== "navigate") { return; }
      var saved;
      if (nav) {
        saved = nav.count > 0 && !document.querySelector(".flash-error, #error-summary");
      }
      var shown = {};
      forms.forEach(function (form) {
        textFields(form).forEach(function (field) { shown[keyOf(field)] = field.value; });
      });
      Object.keys(note.keys).forEach(function (key) {
        var draft = read(key);
        if (key.slice(DRAFT.length).split(":")[0] !== user || !draft || draft.at !== note.keys[key]) { return; }
        var gone = nav ? saved : (location.pathname !== note.from
          || (Object.prototype.hasOwnProperty.call(shown, key) && tidy(shown[key]) === tidy(draft.text)));
        if (gone) { forget(local, key); }
      });
    }

    function offer(form, fields) {
      var waiting = [], latest = 0, empty = true;
      fields.forEach(function (field) {
        var key = keyOf(field), draft = read(key);
        if (!draft || !tidy(draft.text) || tidy(draft.text) === tidy(field.value)) { return; }
        waiting.push({ field: field, key: key, text: draft.text, shown: field.value });
        latest = Math.max(latest, draft.at || 0);
        if (tidy(field.value)) { empty = false; }
      });
      if (!waiting.length) { return; }
      var box = document.createElement("div");
      box.className = "panel draft-notice";
      box.setAttribute("role", "status");
      var message = document.createElement("p");
      var actions = document.createElement("div");
      actions.className = "step-actions";
      var restore = button("Bring it back", "button"), discard = button("Discard it", "button secondary");
      if (!empty) { actions.appendChild(restore); }
      actions.appendChild(discard);
      box.appendChild(message);
      box.appendChild(actions);
      form.parentNode.insertBefore(box, form);
      if (empty) { waiting.forEach(function (w) { w.field.value = w.text; }); }
      // The words go in after the live region is on the page, so that screen readers announce them.
      setTimeout(function () {
        message.textContent = (empty ? "We brought back text you had not saved yet, from " :
          "You have text you had not saved yet, from ") + when(latest) + ".";
      }, 50);

      function button(label, className) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = className;
        b.textContent = label;
        return b;
      }
      function done() {
        if (box.parentNode) { box.parentNode.removeChild(box); }
        waiting[0].field.focus();
      }
      restore.addEventListener("click", function () {
        waiting.forEach(function (w) { w.field.value = w.text; });
        done();
      });
      discard.addEventListener("click", function () {
        waiting.forEach(function (w) {
          forget(local, w.key);
          if (dirty[w.key]) { delete dirty[w.key]; }
          if (empty && w.field.value === w.text) { w.field.value = w.shown; }
        });
        done();
      });
    }
    function when(at) {
      var date = new Date(at || Date.now());
      try {
        return date.toLocaleString(undefined, {
          weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit"
        });
      } catch (e) { return date.toLocaleString(); }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".timer[data-minutes]"), setUpTimer);
    setUpDrafts();
    suggestZone();
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
