// Runs the WebAuthn ceremony for the security key pages and posts the result in the form.
// Options come from the server in a JSON block; binary fields travel as base64url.
(function () {
  "use strict";
  const button = document.querySelector("[data-webauthn-start]");
  const optionsBlock = document.getElementById("webauthn-options");
  const field = document.querySelector("[data-webauthn-credential]");
  const problem = document.getElementById("webauthn-problem");
  const texts = document.getElementById("webauthn-messages");
  if (!button || !optionsBlock || !field) {
    return;
  }

  function say(key) {
    problem.textContent = texts.dataset[key] || texts.dataset.other;
    problem.hidden = false;
  }

  function toBytes(value) {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    bytes.forEach((b) => { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    button.disabled = true;
    say("unsupported");
    return;
  }

  const options = JSON.parse(JSON.parse(optionsBlock.textContent));
  options.challenge = toBytes(options.challenge);
  if (options.user) {
    options.user.id = toBytes(options.user.id);
  }
  (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
  (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });

  button.addEventListener("click", async () => {
    problem.hidden = true;
    try {
      const credential = button.dataset.webauthnStart === "create"
        ? await navigator.credentials.create({ publicKey: options })
        : await navigator.credentials.get({ publicKey: options });
      const response = credential.response;
      const json = {
        id: credential.id,
        rawId: toBase64url(credential.rawId),
        type: credential.type,
        clientExtensionResults: credential.getClientExtensionResults(),
        authenticatorAttachment: credential.authenticatorAttachment || undefined,
        response: { clientDataJSON: toBase64url(response.clientDataJSON) },
      };
      if (response.attestationObject) {
        json.response.attestationObject = toBase64url(response.attestationObject);
        json.response.transports = response.getTransports ? response.getTransports() : [];
      } else {
        json.response.authenticatorData = toBase64url(response.authenticatorData);
        json.response.signature = toBase64url(response.signature);
        if (response.userHandle) {
          json.response.userHandle = toBase64url(response.userHandle);
        }
      }
      field.value = JSON.stringify(json);
      const form = button.form || field.form;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "AbortError") {
        say("cancelled");
      } else if (error.name === "InvalidStateError") {
        say("registered");
      } else if (error.name === "SecurityError") {
        say("origin");
      } else {
        say("other");
      }
    }
  });
})();
