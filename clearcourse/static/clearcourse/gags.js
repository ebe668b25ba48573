// Live GAGS score and band while the regions of the assessment form are graded.
// The server recomputes everything on save (rules core); this is only a preview. CSP forbids inline
// scripts, so the band table comes from the data-gags-bands attribute the page renders from the core.
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : "";
    });
  }

  function bandFor(bands, score) {
    for (var i = 0; i < bands.length; i++) {
      if (bands[i].lowest <= score && score <= bands[i].highest) { return bands[i]; }
    }
    return null;
  }

  function init(container) {
    var bands;
    try { bands = JSON.parse(container.getAttribute("data-gags-bands") || "[]"); } catch (e) { return; }
    var selects = container.querySelectorAll("select[data-gags-factor]");
    var output = container.querySelector("#gags-live");
    var result = container.querySelector(".gags-result");
    if (!output || !selects.length) { return; }

    function update() {
      var score = 0;
      var graded = 0;
      selects.forEach(function (select) {
        var local = select.parentNode.querySelector(".gags-local");
        if (select.value === "") {
          if (local) { local.textContent = ""; }
          return;
        }
        var part = parseInt(select.value, 10) * parseInt(select.getAttribute("data-gags-factor"), 10);
        graded += 1;
        score += part;
        if (local) { local.textContent = "= " + part; }
      });
      var band = null;
      var text;
      if (graded === 0) {
        text = output.getAttribute("data-text-none");
      } else if (graded < selects.length) {
        text = format(output.getAttribute("data-text-partial"), { n: graded, score: score });
      } else {
        band = bandFor(bands, score);
        text = format(output.getAttribute("data-text-full"), { score: score, band: band ? band.label : "" });
      }
      output.textContent = text;
      if (result) {
        bands.forEach(function (b) { result.classList.remove("band-" + b.code); });
        if (band) { result.classList.add("band-" + band.code); }
      }
    }

    selects.forEach(function (select) {
      select.addEventListener("change", update);
      select.addEventListener("input", update);
    });
    update();
  }

  function start() {
    document.querySelectorAll("[data-gags-bands]").forEach(init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
