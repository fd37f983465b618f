// Solves the reset portal's proof-of-work check (ALTCHA, SHA-256) in the background.
// Nothing to see or hear; without JavaScript the page's sum is the alternative.
(function () {
  "use strict";
  const form = document.getElementById("reset-start");
  const data = document.getElementById("captcha-challenge");
  const payload = document.getElementById("captcha-payload");
  const status = document.getElementById("captcha-status");
  const fallback = document.getElementById("captcha-fallback");
  if (!form || !data || !payload || !window.crypto || !window.crypto.subtle) {
    return; // the sum stays on the page
  }
  const challenge = JSON.parse(data.textContent);
  const encoder = new TextEncoder();

  async function hashHex(text) {
    const digest = await window.crypto.subtle.digest("SHA-256", encoder.encode(text));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function solve() {
    const batch = 500;
    for (let start = 0; start <= challenge.maxnumber; start += batch) {
      const numbers = [];
      for (let n = start; n < start + batch && n <= challenge.maxnumber; n += 1) {
        numbers.push(n);
      }
      const hashes = await Promise.all(numbers.map((n) => hashHex(challenge.salt + n)));
      const found = hashes.indexOf(challenge.challenge);
      if (found !== -1) {
        return numbers[found];
      }
    }
    return null;
  }

  fallback.hidden = true;
  status.hidden = false;
  const solving = solve().then((number) => {
    if (number === null) {
      fallback.hidden = false;
      status.hidden = true;
      return;
    }
    payload.value = btoa(JSON.stringify({
      algorithm: challenge.algorithm,
      challenge: challenge.challenge,
      number: number,
      salt: challenge.salt,
      signature: challenge.signature,
    }));
    status.textContent = status.dataset.done || "\u2713";
    status.hidden = true;
  });

  form.addEventListener("submit", (event) => {
    if (payload.value || !fallback.hidden) {
      return;
    }
    event.preventDefault();
    solving.then(() => form.submit());
  });
})();
