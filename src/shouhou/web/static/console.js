// shouhou console: the little script every page loads (CSP allows only same-origin scripts, no inline code).
// Timers: a server-rendered "2 h 05 min left" keeps counting down while the page stays open.
(function () {
  "use strict";
  function fmt(ms) {
    var mins = Math.floor(Math.abs(ms) / 60000), d = Math.floor(mins / 1440), h = Math.floor((mins % 1440) / 60), m = mins % 60;
    var zh = document.documentElement.lang.indexOf("zh") === 0;
    if (d) return zh ? d + " 天 " + h + " 小时" : d + " d " + h + " h";
    if (h) return zh ? h + " 小时 " + (m < 10 ? "0" : "") + m + " 分钟" : h + " h " + (m < 10 ? "0" : "") + m + " min";
    return zh ? m + " 分钟" : m + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".timer[data-due]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now, text = el.querySelector(".timer-text");
      if (!text || isNaN(left)) return;
      text.textContent = (el.getAttribute(left < 0 ? "data-overdue" : "data-left") || "%(time)s").replace("%(time)s", fmt(left));
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 1800000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
