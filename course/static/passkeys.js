// Passkeys (WebAuthn): sign in with one on the second-step page (#passkey-sign-in), make one on the page that
// sets up a second step (#passkey-enrol). The server side is course/auth/passkeys.py.
//
// Progressive enhancement only: without JavaScript, or in a browser without passkeys, nothing here runs and
// the code form and the authenticator app do the same job. A failed or cancelled passkey says so in an alert
// and leaves everything else on the page as it was.
//
// Each exchange is two POSTs of JSON, with the page's CSRF token (any input named csrf_token) in the
// X-CSRFToken header when there is one: the options (binary parts as base64url text), then the browser's
// answer {"credential": ..., "name": ...}. The server answers {"redirect": url}, followed, or
// {"error": message}, shown.
(function () {
  "use strict";

  var signIn = document.getElementById("passkey-sign-in");
  var enrol = document.getElementById("passkey-enrol");
  if (!signIn && !enrol) { return; }

  var supported = !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.create
    && navigator.credentials.get && window.fetch && window.Promise && window.JSON);
  if (!supported) {
    if (signIn) { signIn.appendChild(note("This browser cannot use passkeys. Please type a code below.")); }
    if (enrol) { enrol.appendChild(note("This browser cannot make passkeys. An authenticator app works instead.")); }
    return;
  }

  // --- binary data as base64url text, for browsers without the JSON helpers ------------------------------

  function toBuffer(text) {
    var base64 = String(text).replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i += 1) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function copy(object) {
    var out = {};
    for (var key in object) {
      if (Object.prototype.hasOwnProperty.call(object, key)) { out[key] = object[key]; }
    }
    return out;
  }
  function descriptors(list) {
    return (list || []).map(function (item) {
      var descriptor = copy(item);
      descriptor.id = toBuffer(item.id);
      return descriptor;
    });
  }
  function creationOptions(json) {
    if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function") {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var options = copy(json);
    options.challenge = toBuffer(json.challenge);
    options.user = copy(json.user);
    options.user.id = toBuffer(json.user.id);
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }
  function requestOptions(json) {
    if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function") {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var options = copy(json);
    options.challenge = toBuffer(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }
  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") { return credential.toJSON(); }
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return out;
  }

  // --- talking to the server --------------------------------------------------------------------------------

  function csrfToken(box) {
    var input = box.querySelector("input[name=csrf_token]") || document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }
  // The server's JSON answer; a refusal (or an answer that is not JSON) is thrown as {refused: message}.
  function post(box, url, body) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    var token = csrfToken(box);
    if (token) { headers["X-CSRFToken"] = token; }
    return fetch(url, {
      method: "POST", credentials: "same-origin", headers: headers, body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(null, function () { return null; }).then(function (data) {
        if (response.ok && data && !data.error) { return data; }
        if (data && typeof data.error === "string") { throw { refused: data.error }; }
        if (response.status === 429) {
          throw { refused: "That was tried too many times. Please wait a minute, then try again." };
        }
        throw { refused: "Something went wrong on our side. Please try again in a moment." };
      });
    });
  }

  // What to say when it did not work: the server's words, or what the browser's error means for a person.
  function explain(error, making) {
    var other = making ? "You can try again, or use an authenticator app." : "You can try again, or type a code below.";
    if (error && typeof error.refused === "string") { return error.refused; }
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      return making
        ? "No passkey was made: it was cancelled, or it took too long. " + other
        : "The passkey did not work: it was cancelled, it took too long, or this device does not hold a "
          + "passkey for this account. " + other;
    }
    if (name === "InvalidStateError" && making) {
      return "This device already holds a passkey for your account. You can use it to sign in.";
    }
    if (name === "SecurityError") { return "Passkeys cannot be used at this address. " + other; }
    if (name === "NotSupportedError") { return "This device cannot make a passkey of the kind needed. " + other; }
    if (error instanceof TypeError) {
      return "The connection failed. Please check it, then try again.";
    }
    return "The passkey did not work. " + other;
  }

  // --- what the person sees -------------------------------------------------------------------------------

  function note(text) {
    var p = document.createElement("p");
    p.className = "small";
    p.textContent = text;
    return p;
  }
  function bigButton(label) {
    var b = document.createElement("button");
    b.type = "submit";
    b.className = "button big";
    b.textContent = label;
    return b;
  }
  // A form (so Enter works in the name field) around the button, a polite line saying what is happening,
  // and an alert for what went wrong; `run` returns a promise of the server's {"redirect": url}.
  function setUp(box, form, button, making, run) {
    var status = document.createElement("p");
    status.className = "small";
    status.setAttribute("role", "status");
    var alert = document.createElement("div");
    alert.setAttribute("role", "alert");
    form.appendChild(status);
    form.appendChild(alert);
    box.appendChild(form);
    var busy = false;

    function show(message) {
      status.textContent = "";
      alert.className = message ? "flash flash-error" : "";
      alert.textContent = message;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) { return; }
      busy = true;
      button.setAttribute("aria-disabled", "true");
      show("");
      status.textContent = making
        ? "Follow what your device asks to make the passkey."
        : "Follow what your device asks to use your passkey.";
      run().then(function (data) {
        if (!data || typeof data.redirect !== "string") {
          throw { refused: "Something went wrong on our side. Please try again in a moment." };
        }
        status.textContent = making ? "Your passkey is ready." : "Signed in. Opening your page.";
        window.location.assign(data.redirect);
      }).then(null, function (error) {
        busy = false;
        button.removeAttribute("aria-disabled");
        show(explain(error, making));
      });
    });
  }

  function makeForm() {
    var form = document.createElement("form");
    form.className = "passkey-form";
    form.setAttribute("data-draft", "off");
    form.noValidate = true;
    return form;
  }

  if (signIn) {
    var signInForm = makeForm(), useButton = bigButton("Use a passkey");
    signInForm.appendChild(useButton);
    setUp(signIn, signInForm, useButton, false, function () {
      return post(signIn, signIn.getAttribute("data-passkey-sign-in")).then(function (json) {
        return navigator.credentials.get({ publicKey: requestOptions(json) });
      }).then(function (credential) {
        if (!credential) { throw { name: "NotAllowedError" }; }
        return post(signIn, signIn.getAttribute("data-passkey-finish"), { credential: credentialJSON(credential) });
      });
    });
  }

  if (enrol) {
    var enrolForm = makeForm(), makeButton = bigButton("Use a passkey");
    var field = document.createElement("div");
    field.className = "field";
    var label = document.createElement("label");
    label.htmlFor = "passkey-name";
    label.textContent = "Name for the passkey (optional)";
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.id = "passkey-name-hint";
    hint.textContent = "So you can tell your passkeys apart, for example \u201cwork laptop\u201d.";
    var name = document.createElement("input");
    name.type = "text";
    name.id = "passkey-name";
    name.name = "passkey_name";
    name.maxLength = 100;
    name.autocomplete = "off";
    name.setAttribute("aria-describedby", "passkey-name-hint");
    field.appendChild(label);
    field.appendChild(hint);
    field.appendChild(name);
    enrolForm.appendChild(field);
    enrolForm.appendChild(makeButton);
    enrolForm.appendChild(note("Your phone or computer keeps it, and unlocks it with your fingerprint, face or PIN."));
    setUp(enrol, enrolForm, makeButton, true, function () {
      return post(enrol, enrol.getAttribute("data-passkey-register")).then(function (json) {
        return navigator.credentials.create({ publicKey: creationOptions(json) });
      }).then(function (credential) {
        if (!credential) { throw { name: "NotAllowedError" }; }
        return post(enrol, enrol.getAttribute("data-passkey-save"), {
          credential: credentialJSON(credential), name: name.value
        });
      });
    });
  }
})();
