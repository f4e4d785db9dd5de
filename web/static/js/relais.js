/* Relais: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* Copy buttons: <button data-copy-target="ID"> copies the value or text of #ID. */
  function copyFrom(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) { return; }
    var text = "value" in target ? target.value : target.textContent;
    var done = function () {
      var status = document.getElementById(button.getAttribute("data-copy-status") || "");
      var message = button.getAttribute("data-copied-label") || "Copied";
      if (status) { status.textContent = message; }
      button.classList.add("copied");
      window.setTimeout(function () { button.classList.remove("copied"); }, 2000);
    };
    if (button.hasAttribute("data-copy-open")) {
      // The network's page opens in a new tab at once: copy now, while this page has focus.
      fallback(target, done);
    } else if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(target, done); });
    } else {
      fallback(target, done);
    }
  }

  function fallback(target, done) {
    if (target.select) { target.select(); }
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
  }

  /* Confirmation for dangerous buttons: <button data-confirm="Message">. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    // "Copy the text and open LinkedIn": copy at the click, and let the link open.
    if (button && button.hasAttribute("data-copy-open")) { copyFrom(button); return; }
    if (button) { event.preventDefault(); copyFrom(button); return; }
    var confirmButton = event.target.closest("[data-confirm]");
    if (confirmButton && !window.confirm(confirmButton.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  /* Forms marked data-once are submitted once: a double click sends one request. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) { return; }
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
  });
})();
