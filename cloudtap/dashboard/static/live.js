// Live regions: an element with data-live="<url>" is refreshed from that URL every
// second until the server answers X-Settled: 1. With data-reload-when-settled the
// whole page reloads then (e.g. a session that just left "pending").
(function () {
  "use strict";
  function follow(el) {
    var url = el.getAttribute("data-live");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          var settled = response.headers.get("X-Settled") === "1";
          return response.text().then(function (html) {
            if (settled && el.hasAttribute("data-reload-when-settled")) {
              window.location.reload();
              return;
            }
            el.innerHTML = html;
            if (!settled) { window.setTimeout(tick, 1000); }
          });
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    window.setTimeout(tick, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var els = document.querySelectorAll("[data-live]");
    for (var i = 0; i < els.length; i++) { follow(els[i]); }
  });
})();
