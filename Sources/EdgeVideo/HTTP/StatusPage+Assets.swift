import EdgeVideoHTTP
extension StatusPage {
    /// `/page.js`: refetches `/` every few seconds and swaps in its `<main>`, which the browser
    /// parsed (scripts in it never run); computes rates from consecutive figures over the server's
    /// uptime; reloads the
    /// thumbnails and marks each loaded one with `data-loaded="WxH"`. No framework, no build step.
    static let script = HTTPResponse(
        .ok, contentType: "text/javascript; charset=utf-8", body: Array(scriptSource.utf8), headers: [("X-Content-Type-Options", "nosniff")])

    static let scriptSource = #"""
        "use strict";
        (function () {
          var period = 3000;
          function figures(root) {
            var values = {};
            root.querySelectorAll("[data-key]").forEach(function (cell) {
              values[cell.getAttribute("data-key")] = Number(cell.textContent);
            });
            return values;
          }
          function watch(root) {
            root.querySelectorAll("img.thumb").forEach(function (img) {
              function mark() {
                if (img.naturalWidth > 0) img.setAttribute("data-loaded", img.naturalWidth + "x" + img.naturalHeight);
              }
              img.addEventListener("load", mark);
              if (img.complete) mark();
            });
          }
          function say(text) {
            var state = document.getElementById("refresh-state");
            if (state) state.textContent = text;
          }
          // Rates use the server's uptime as the clock: no browser clock or network delay in them.
          function uptime(root) {
            return Number(root.getAttribute("data-uptime"));
          }
          var last = { time: uptime(document.getElementById("live")), values: figures(document) };
          function refresh() {
            fetch("/", { cache: "no-store", credentials: "same-origin" })
              .then(function (response) {
                if (!response.ok) throw new Error("HTTP " + response.status);
                return response.text();
              })
              .then(function (text) {
                var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("live");
                if (!fresh) throw new Error("no status in the answer");
                var now = Date.now();
                var values = figures(fresh);
                var seconds = uptime(fresh) - last.time;
                fresh.querySelectorAll("[data-rate-of]").forEach(function (cell) {
                  var key = cell.getAttribute("data-rate-of");
                  if (seconds > 0 && key in values && key in last.values && values[key] >= last.values[key]) {
                    cell.textContent = ((values[key] - last.values[key]) / seconds).toFixed(1);
                  }
                });
                fresh.querySelectorAll("img.thumb").forEach(function (img) {
                  img.src = img.getAttribute("data-src") + "?t=" + now;
                });
                fresh = document.adoptNode(fresh);
                document.getElementById("live").replaceWith(fresh);
                fresh.setAttribute("data-refreshed", String(now));
                watch(fresh);
                last = { time: uptime(fresh), values: values };
                say("live, updated " + new Date(now).toLocaleTimeString());
              })
              .catch(function (error) {
                say("update failed (" + error.message + "); retrying");
              })
              .then(function () {
                setTimeout(refresh, period);
              });
          }
          watch(document);
          say("live");
          setTimeout(refresh, period);
        })();
        """#

    /// The page's style sheet, inline (the policy allows inline styles, never inline scripts).
    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0 1.5em 2em;color:#222;background:#fafafa}\
        header{display:flex;gap:1em;align-items:baseline;border-bottom:1px solid #ccc}\
        h1{font-size:1.4em;margin:.5em 0}#refresh-state{color:#666}\
        dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dt{color:#666}dd{margin:0}\
        #cameras{display:flex;flex-wrap:wrap;gap:1em}#cameras h2{flex-basis:100%}\
        .camera{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em 1em;width:340px}\
        .camera h3{margin:.3em 0;font-size:1.1em}.thumb{display:block;background:#333;max-width:100%;height:auto}\
        .ledger{border-collapse:collapse;width:100%}.ledger th{text-align:left;font-weight:normal;color:#555}\
        .ledger td{text-align:right;font-variant-numeric:tabular-nums}.rate th,.rate td{font-weight:bold}\
        .state-running,.broker-connected{color:#17702a}.state-backing_off,.state-restarting,.state-starting{color:#9a6400}\
        .state-failed,.state-stopped,.broker-disconnected{color:#b00020}.error{color:#b00020}\
        .tree,.tree ul{list-style:none;padding-left:1.2em}.node-id{font-family:monospace}code{word-break:break-all}
        """
}
