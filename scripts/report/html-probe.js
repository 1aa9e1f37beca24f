// Injected by check-html.sh as the first script of a COPY of index.html (the report itself has
// no script). It records every console error, uncaught error, failed resource load and
// Content-Security-Policy violation from the start, then, once the page has loaded, checks
// every <img> (loaded, non-zero size) and every inline <svg> of a plot figure (non-empty box,
// enough drawn shapes), and writes its findings as JSON into <pre id="wattsweep-probe">, which
// check-html.sh reads back from `chromium --dump-dom`. It prints nothing to the console itself.
(function () {
  "use strict";
  var problems = [];
  function note(kind, msg) { problems.push(kind + ": " + msg); }

  var originalError = console.error;
  console.error = function () {
    note("console error", Array.prototype.map.call(arguments, String).join(" "));
    return originalError.apply(console, arguments);
  };
  // Capture phase: resource errors (a broken <img>) do not bubble to window.
  window.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) {
      note("failed to load", (t.tagName || "?").toLowerCase() + " " + (t.getAttribute("src") || t.getAttribute("href")));
    } else {
      note("uncaught error", (e.message || "unknown") + " at " + (e.filename || "?") + ":" + (e.lineno || "?"));
    }
  }, true);
  window.addEventListener("unhandledrejection", function (e) { note("unhandled rejection", String(e.reason)); });
  document.addEventListener("securitypolicyviolation", function (e) {
    note("blocked by the Content-Security-Policy (the page tried to fetch something)", e.violatedDirective + " " + e.blockedURI);
  });

  function check() {
    var images = document.querySelectorAll("img");
    images.forEach(function (img) {
      if (!img.complete || img.naturalWidth === 0 || img.naturalHeight === 0) {
        note("broken image", img.getAttribute("src"));
      }
    });
    var figures = [];
    var svgs = 0;
    document.querySelectorAll("figure.plot").forEach(function (f) {
      figures.push(f.getAttribute("data-file") || "");
      var svg = f.querySelector("svg");
      var img = f.querySelector("img");
      if (svg) {
        svgs += 1;
        var box = null;
        try { box = svg.getBBox(); } catch (err) { box = null; }
        var rect = svg.getBoundingClientRect();
        var shapes = svg.querySelectorAll("path, polyline, polygon, line, rect, circle, text").length;
        if (!box || box.width < 20 || box.height < 20 || rect.width < 20 || rect.height < 20 || shapes < 10) {
          note("empty or broken inline SVG", (f.id || "figure") + " (" + shapes + " shapes, box " +
            (box ? Math.round(box.width) + "x" + Math.round(box.height) : "none") + ")");
        }
      } else if (!img) {
        note("plot figure without an image", f.id || "figure");
      }
    });
    // Anything fetched over a network is a failure for a self-contained report.
    performance.getEntriesByType("resource").forEach(function (r) {
      if (!/^(data|file|blob|about):/.test(r.name)) { note("network fetch", r.name); }
    });
    var out = document.createElement("pre");
    out.id = "wattsweep-probe";
    out.textContent = JSON.stringify({ problems: problems, figures: figures, svgs: svgs, images: images.length });
    document.body.appendChild(out);
  }
  // After load, plus a tick so late error events are in.
  window.addEventListener("load", function () { setTimeout(check, 200); });
})();
