// The recorded-guide player (templates/learn/_guide.html). Progressive enhancement of a native
// <audio controls preload="none">: without this script the person plays it and presses the step's own button.
//
// Adds: speed buttons (0.75x, 1x, 1.25x; the choice remembered in localStorage "guide:rate"); "continue where
// I stopped" per step and person ("guide:<user>:<module>/<step>" holds the position in seconds, saved while it
// plays and when it pauses; removed at the end); and when the guide has played to the end, the step is marked
// done by posting the step's own form (the same POST its button makes), then the focus moves to what comes
// next: a practice's "How was that?" (app.js), or the step's button.
(function () {
  "use strict";
  var RATES = ["0.75", "1", "1.25"];

  function storage() {
    try { var s = window.localStorage; s.getItem("guide:rate"); return s; } catch (e) { return null; }
  }
  function clock(seconds) {
    var s = Math.floor(seconds), m = Math.floor(s / 60);
    return m + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }
  function make(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text) { element.textContent = text; }
    return element;
  }

  function setUp(box) {
    var audio = box.querySelector("audio");
    if (!audio) { return; }
    var local = storage();
    var key = "guide:" + (document.body.getAttribute("data-user") || "") + ":" + box.getAttribute("data-guide");
    var form = document.querySelector("main form[method=post]");
    var status = make("p", "guide-status");
    status.setAttribute("role", "status");

    // Speeds: three large buttons; the one in use is pressed.
    var speeds = make("div", "guide-speeds");
    speeds.setAttribute("role", "group");
    speeds.setAttribute("aria-label", "Speed");
    var label = make("span", "guide-speeds-label", "Speed:");
    label.setAttribute("aria-hidden", "true");
    speeds.appendChild(label);
    var buttons = RATES.map(function (rate) {
      var b = make("button", "button secondary guide-speed", rate + "×");
      b.type = "button";
      b.setAttribute("data-rate", rate);
      b.setAttribute("aria-label", (rate === "1" ? "Normal speed" : rate === "0.75" ? "Slower" : "Faster") +
        " (" + rate + " times)");
      b.addEventListener("click", function () { useRate(rate, true); });
      speeds.appendChild(b);
      return b;
    });
    function useRate(rate, chosen) {
      audio.defaultPlaybackRate = parseFloat(rate);
      audio.playbackRate = parseFloat(rate);
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-rate") === rate)); });
      if (chosen && local) { try { local.setItem("guide:rate", rate); } catch (e) { /* not remembered */ } }
    }
    var savedRate = local ? local.getItem("guide:rate") : null;
    useRate(RATES.indexOf(savedRate) >= 0 ? savedRate : "1", false);

    // Continue where I stopped.
    var resume = 0;
    try { resume = parseFloat(local ? local.getItem(key) : "") || 0; } catch (e) { resume = 0; }
    var again = make("button", "button secondary", "Start from the beginning");
    again.type = "button";
    var note = make("div", "guide-resume");
    note.appendChild(make("p", "", "You stopped at " + clock(resume) + " last time. Play continues from there."));
    note.appendChild(again);
    note.hidden = resume < 1;
    again.addEventListener("click", function () {
      resume = 0;
      forget();
      if (audio.readyState > 0) { audio.currentTime = 0; }
      note.hidden = true;
      audio.focus();
    });
    function seekToResume() {
      if (resume >= 1 && (!audio.duration || resume < audio.duration - 1)) { audio.currentTime = resume; }
      resume = 0;
      note.hidden = true;
    }
    audio.addEventListener("loadedmetadata", function () { if (resume) { seekToResume(); } });
    audio.addEventListener("play", function () { if (resume && audio.readyState > 0) { seekToResume(); } });
    var lastSaved = 0;
    function keep() {
      if (!local || audio.ended || !audio.currentTime) { return; }
      try { local.setItem(key, String(Math.floor(audio.currentTime))); } catch (e) { /* not kept */ }
    }
    function forget() { if (local) { try { local.removeItem(key); } catch (e) { /* nothing */ } } }
    audio.addEventListener("timeupdate", function () {
      if (Math.abs(audio.currentTime - lastSaved) >= 5) { lastSaved = audio.currentTime; keep(); }
    });
    audio.addEventListener("pause", keep);
    window.addEventListener("pagehide", keep);

    // Listened to the end: the step is marked done with its own form, as its button would.
    audio.addEventListener("ended", function () {
      forget();
      if (!form) { return; }
      var data = new FormData(form);
      var submit = form.querySelector("[type=submit][name=submit]");
      if (submit) { data.append(submit.name, submit.value); }
      status.textContent = "Marking this step as done…";
      fetch(form.getAttribute("action") || location.href, {
        method: "POST", body: data, credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok || !response.redirected) { throw new Error(String(response.status)); }
        status.textContent = "You listened to the end. This step is marked as done.";
        var next = document.getElementById("how-was-that") || submit;
        if (next) { next.focus(); }
      }).catch(function () {
        status.textContent = "You listened to the end. Press “" + (submit ? submit.value : "the button") +
          "” below to mark this step as done.";
      });
    });

    audio.parentNode.insertBefore(note, audio);
    audio.parentNode.insertBefore(speeds, audio.nextSibling);
    speeds.parentNode.insertBefore(status, speeds.nextSibling);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".guide[data-guide]"), setUp);
  });
})();
