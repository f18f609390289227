// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Guided-practice timer: start, pause and reset; announced politely to screen readers once per minute.
  function setUpTimer(box) {
    var total = parseInt(box.getAttribute("data-minutes"), 10) * 60;
    if (!total) { return; }
    var left = total, handle = null;
    var display = document.createElement("p");
    display.className = "timer-display";
    display.setAttribute("role", "timer");
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    var controls = document.createElement("div");
    controls.className = "timer-controls";
    var start = button("Start timer"), reset = button("Reset");
    reset.classList.add("secondary");
    controls.appendChild(start);
    controls.appendChild(reset);
    box.appendChild(display);
    box.appendChild(controls);
    box.appendChild(status);

    function button(label) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button";
      b.textContent = label;
      return b;
    }
    function show() {
      var m = Math.floor(left / 60), s = left % 60;
      display.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    }
    function stop() { if (handle) { clearInterval(handle); handle = null; } }
    function tick() {
      left -= 1;
      show();
      if (left > 0 && left % 60 === 0) { status.textContent = (left / 60) + " minutes left"; }
      if (left <= 0) { stop(); start.textContent = "Start timer"; status.textContent = "Time is up. Take your time to finish."; }
    }
    start.addEventListener("click", function () {
      if (handle) { stop(); start.textContent = "Continue"; status.textContent = "Timer paused"; return; }
      if (left <= 0) { left = total; }
      handle = setInterval(tick, 1000);
      start.textContent = "Pause";
      status.textContent = "Timer started";
    });
    reset.addEventListener("click", function () { stop(); left = total; start.textContent = "Start timer"; show(); });
    show();
  }

  // Suggest the browser's time zone on sign-up forms when the person has not chosen one.
  function suggestZone() {
    var select = document.getElementById("timezone");
    if (!select || select.dataset.touched) { return; }
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && select.querySelector('option[value="' + zone + '"]') && select.value === "UTC") { select.value = zone; }
    } catch (e) { /* keep the server's default */ }
  }

  // Journal drafts: saved in this browser every few seconds, offered back after a crash or a closed tab.
  function setUpDraft(form) {
    var area = form.querySelector("textarea");
    var storage;
    try { storage = window.localStorage; storage.setItem("draft-test", "1"); storage.removeItem("draft-test"); }
    catch (e) { return; }
    if (!area) { return; }
    var key = "journal-draft:" + form.getAttribute("data-draft-key");
    var timer = null;
    var saved = null;
    try { saved = JSON.parse(storage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && saved.text && saved.text !== area.value) {
      var box = document.createElement("div");
      box.className = "panel";
      box.setAttribute("role", "status");
      var p = document.createElement("p");
      p.textContent = "You have an unsaved draft from " + new Date(saved.at).toLocaleString() + ".";
      var restore = document.createElement("button");
      restore.type = "button";
      restore.className = "button";
      restore.textContent = "Bring back my draft";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button secondary";
      discard.textContent = "Discard it";
      restore.addEventListener("click", function () { area.value = saved.text; box.remove(); area.focus(); });
      discard.addEventListener("click", function () { storage.removeItem(key); box.remove(); });
      box.appendChild(p);
      box.appendChild(restore);
      box.appendChild(document.createTextNode(" "));
      box.appendChild(discard);
      form.parentNode.insertBefore(box, form);
    }
    area.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () {
        try { storage.setItem(key, JSON.stringify({ text: area.value, at: Date.now() })); } catch (e) { /* full */ }
      }, 2000);
    });
    // The server keeps what is posted (even after a session expires), so the local copy can go.
    form.addEventListener("submit", function () { if (timer) { clearTimeout(timer); } storage.removeItem(key); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".timer[data-minutes]"), setUpTimer);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-key]"), setUpDraft);
    suggestZone();
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
