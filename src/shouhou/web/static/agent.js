// Agent intake: address suggestions from the places resolver while the agent types. The typed address goes
// to the server in a POST body (never in a URL); picking a suggestion writes the full division path in front
// of the street part. Without this script the server still resolves the free text at intake.
(function () {
  "use strict";
  var SUFFIX = /(省|市|自治区|特别行政区|自治州|地区|盟|区|县|自治县|旗|街道|镇|乡)$/;

  function compose(c, typed) {
    var names = [c.province, c.city, c.county, c.town].filter(function (n) { return n; });
    var rest = typed;
    names.forEach(function (name) {
      var trimmed = rest.replace(/^\s+/, ""), short = name.replace(SUFFIX, "");
      if (trimmed.indexOf(name) === 0) rest = trimmed.slice(name.length);
      else if (short.length >= 2 && trimmed.indexOf(short) === 0) rest = trimmed.slice(short.length);
    });
    rest = rest.trim();
    return names.join("") + (rest ? " " + rest : "");
  }

  function init() {
    var input = document.getElementById("f-address");
    var list = document.getElementById("address-suggestions");
    var status = document.getElementById("address-status");
    if (!input || !list || !status || !window.fetch) return;
    var tokenField = input.form.querySelector("input[name=csrf_token]");
    var timer = null, asked = "", seq = 0;

    function clear() { list.innerHTML = ""; list.hidden = true; }

    function show(candidates) {
      clear();
      if (!candidates.length) { status.textContent = status.getAttribute("data-none"); return; }
      status.textContent = status.getAttribute("data-count");
      candidates.forEach(function (c) {
        var li = document.createElement("li"), b = document.createElement("button");
        b.type = "button";
        b.textContent = c.label + (c.dispatchable ? "" : " — " + status.getAttribute("data-vague"));
        b.setAttribute("data-adcode", c.adcode || "");
        b.addEventListener("click", function () {
          input.value = compose(c, input.value);
          asked = input.value.trim();
          status.textContent = status.getAttribute("data-picked") + " " + c.label;
          clear();
          input.focus();
        });
        li.appendChild(b);
        list.appendChild(li);
      });
      list.hidden = false;
    }

    function lookup() {
      var q = input.value.trim();
      if (q.length < 2) { clear(); status.textContent = ""; return; }
      if (q === asked) return;
      asked = q;
      var mine = ++seq, body = new URLSearchParams();
      body.set("q", q);
      fetch("/agent/places", {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": tokenField ? tokenField.value : "", "Accept": "application/json" },
        body: body
      }).then(function (r) { return r.ok ? r.json() : { candidates: [] }; })
        .then(function (data) { if (mine === seq) show(data.candidates || []); })
        .catch(function () { /* suggestions are a help only: the server resolves the address at intake */ });
    }

    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 250); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && !list.hidden) {
        var first = list.querySelector("button");
        if (first) { e.preventDefault(); first.focus(); }
      } else if (e.key === "Escape") { clear(); }
    });
    list.addEventListener("keydown", function (e) {
      var items = Array.prototype.slice.call(list.querySelectorAll("button"));
      var i = items.indexOf(document.activeElement);
      if (e.key === "ArrowDown" && i < items.length - 1) { e.preventDefault(); items[i + 1].focus(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? items[i - 1] : input).focus(); }
      else if (e.key === "Escape") { clear(); input.focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
