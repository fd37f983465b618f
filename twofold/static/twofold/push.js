// Waits for the authenticator app's answer (a long poll, one request per ~25 s while
// nothing happens) and then goes on, as if the person had selected the page's button.
(function () {
  "use strict";
  const status = document.querySelector("[data-push-wait]");
  if (!status || !status.dataset.pushWait) {
    return;
  }
  const form = status.closest("form");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function goOn() {
    const code = form.querySelector("input[name=code]");
    if (code && code.value.trim() !== "") {
      return; // the person is typing a code: let them finish
    }
    const button = form.querySelector("button.primary[type=submit]");
    if (button) {
      form.requestSubmit(button);
    } else {
      form.requestSubmit();
    }
  }

  async function wait() {
    let failures = 0;
    while (failures < 10) {
      try {
        const response = await fetch(status.dataset.pushWait + "?wait=25", {
          credentials: "omit",
          cache: "no-store",
        });
        const body = await response.json();
        if (body.status && body.status !== "pending") {
          goOn();
          return;
        }
        failures = 0;
      } catch (error) {
        failures += 1;
        await sleep(1000 * failures); // the server is restarting or the network is away
      }
    }
  }
  wait();
})();
