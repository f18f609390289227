// Read aloud with the device's own voices (speech synthesis). Progressive enhancement only: without this
// script, or on a browser without speech synthesis, the page is as it was and no "Listen" control appears.
//
// What is read: the step's title (h1), then each block of its text (.prose paragraphs, list items, headings,
// quotes) and the question of each long answer field (a journal prompt), one at a time in page order. The
// block being read carries class "reading" and aria-current="true". Pause and resume; speed and voice are
// remembered in localStorage ("listen:rate", "listen:voice", the voice's URI).
(function () {
  "use strict";
  if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") { return; }
  var synth = window.speechSynthesis;
  var RATES = [["0.75", "Slower"], ["1", "Normal"], ["1.25", "Faster"], ["1.5", "Fastest"]];
  var BLOCKS = "h1, .prose p, .prose li, .prose h2, .prose h3, .prose h4, .prose blockquote, .field > label";

  function remembered(key, fallback) {
    try { return window.localStorage.getItem(key) || fallback; } catch (e) { return fallback; }
  }
  function remember(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* refused: not remembered, still works */ }
  }
  function make(tag, className, text) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (text) { element.textContent = text; }
    return element;
  }

  // The blocks in page order, none inside another (a list item's own paragraph is read once), none empty.
  function blocksOf(main) {
    var found = Array.prototype.filter.call(main.querySelectorAll(BLOCKS), function (element) {
      if (element.tagName === "LABEL") {
        var control = document.getElementById(element.getAttribute("for") || "");
        if (!control || control.tagName !== "TEXTAREA") { return false; }
      }
      return !element.closest(".listen") && !!element.textContent.replace(/\s+/g, "");
    });
    return found.filter(function (element) {
      return !found.some(function (other) { return other !== element && other.contains(element); });
    });
  }

  function setUp() {
    var main = document.getElementById("main");
    var title = main && main.querySelector("h1");
    if (!title) { return; }
    var blocks = blocksOf(main);
    if (!blocks.length) { return; }
    var current = -1, run = 0, state = "idle";  // idle, speaking, paused
    var rate = remembered("listen:rate", "1");
    if (!RATES.some(function (r) { return r[0] === rate; })) { rate = "1"; }

    var box = make("div", "listen");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Listen to this page");
    var controls = make("div", "listen-controls");
    var toggle = make("button", "button secondary listen-toggle", "Listen");
    toggle.type = "button";
    var stopButton = make("button", "button secondary", "Stop");
    stopButton.type = "button";
    stopButton.hidden = true;
    controls.appendChild(toggle);
    controls.appendChild(stopButton);
    var options = make("details", "listen-options");
    options.appendChild(make("summary", "", "Voice and speed"));
    var speed = make("select");
    speed.id = "listen-rate";
    RATES.forEach(function (r) {
      var option = make("option", "", r[1] + " (" + r[0] + "×)");
      option.value = r[0];
      speed.appendChild(option);
    });
    speed.value = rate;
    var speedField = make("p", "field");
    var speedLabel = make("label", "", "Speed");
    speedLabel.htmlFor = speed.id;
    speedField.appendChild(speedLabel);
    speedField.appendChild(speed);
    options.appendChild(speedField);
    var voice = make("select");
    voice.id = "listen-voice";
    var voiceField = make("p", "field");
    var voiceLabel = make("label", "", "Voice");
    voiceLabel.htmlFor = voice.id;
    voiceField.appendChild(voiceLabel);
    voiceField.appendChild(voice);
    voiceField.hidden = true;
    options.appendChild(voiceField);
    var status = make("p", "visually-hidden");
    status.setAttribute("aria-live", "polite");
    box.appendChild(controls);
    box.appendChild(options);
    box.appendChild(status);
    title.parentNode.insertBefore(box, title.nextSibling);

    var voices = [];
    function fillVoices() {
      var all = synth.getVoices() || [];
      var lang = (document.documentElement.lang || "en").toLowerCase().split("-")[0];
      var mine = all.filter(function (v) { return (v.lang || "").toLowerCase().split(/[-_]/)[0] === lang; });
      voices = mine.length ? mine : all;
      voice.textContent = "";
      var chosen = remembered("listen:voice", "");
      var auto = make("option", "", "The device's usual voice");
      auto.value = "";
      voice.appendChild(auto);
      voices.forEach(function (v) {
        var option = make("option", "", v.name + (v.lang ? " (" + v.lang + ")" : ""));
        option.value = v.voiceURI;
        voice.appendChild(option);
      });
      voice.value = voices.some(function (v) { return v.voiceURI === chosen; }) ? chosen : "";
      voiceField.hidden = !voices.length;
    }
    fillVoices();
    if (synth.addEventListener) { synth.addEventListener("voiceschanged", fillVoices); }

    function mark(index) {
      blocks.forEach(function (block, i) {
        if (i === index) {
          block.classList.add("reading");
          block.setAttribute("aria-current", "true");
        } else if (block.classList.contains("reading")) {
          block.classList.remove("reading");
          block.removeAttribute("aria-current");
        }
      });
    }
    function show() {
      toggle.textContent = state === "speaking" ? "Pause" : state === "paused" ? "Resume" : "Listen";
      stopButton.hidden = state === "idle";
    }
    function speak(index) {
      run += 1;
      var mine = run;
      if (index >= blocks.length) { finish("Finished reading."); return; }
      current = index;
      mark(index);
      var block = blocks[index];
      if (block.scrollIntoView) {
        var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
        block.scrollIntoView({ block: "nearest", behavior: still ? "auto" : "smooth" });
      }
      var utterance = new window.SpeechSynthesisUtterance(block.textContent.replace(/\s+/g, " ").trim());
      utterance.rate = parseFloat(speed.value) || 1;
      utterance.lang = document.documentElement.lang || "en";
      var wanted = voices.filter(function (v) { return v.voiceURI === voice.value; })[0];
      if (wanted) { utterance.voice = wanted; }
      utterance.onend = function () { if (mine === run) { speak(index + 1); } };
      utterance.onerror = function (event) {
        // Our own cancel (stop, a new speed or voice) says "interrupted" or "canceled": nothing to do.
        if (mine === run) { finish("Reading aloud stopped" + (event && event.error ? ": " + event.error : "") + "."); }
      };
      state = "speaking";
      show();
      synth.speak(utterance);
    }
    function finish(message) {
      run += 1;
      state = "idle";
      current = -1;
      mark(-1);
      show();
      status.textContent = message;
    }
    function stop(message) {
      run += 1;  // before cancel: the interrupted utterance's events are stale
      synth.cancel();
      finish(message);
    }

    toggle.addEventListener("click", function () {
      if (state === "idle") {
        synth.cancel();
        // One voice at a time: a recorded guide playing on the page stops.
        Array.prototype.forEach.call(document.querySelectorAll("audio"), function (a) { a.pause(); });
        status.textContent = "Reading aloud.";
        speak(0);
      } else if (state === "speaking") {
        synth.pause();
        state = "paused";
        status.textContent = "Paused.";
        show();
      } else {
        synth.resume();
        state = "speaking";
        status.textContent = "Reading aloud.";
        show();
      }
    });
    stopButton.addEventListener("click", function () {
      stop("Stopped reading.");
      toggle.focus();
    });
    function restart() {
      // A new speed or voice applies from the start of the block being read.
      if (state === "idle") { return; }
      var index = current;
      run += 1;
      synth.cancel();
      if (state === "paused") { synth.resume(); }
      speak(index);
    }
    speed.addEventListener("change", function () { remember("listen:rate", speed.value); restart(); });
    voice.addEventListener("change", function () { remember("listen:voice", voice.value); restart(); });
    window.addEventListener("pagehide", function () { run += 1; synth.cancel(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
