/* Puhui staff charts: <div class="chart" data-echarts='{…ECharts option…}'></div>
   Loads /vendor/echarts.min.js once, on demand; follows client-side navigation. */
(function () {
  "use strict";
  var SRC = "/vendor/echarts.min.js", ATTR = "data-echarts", DONE = "data-echarts-init";
  var lib = null, seen = new WeakSet(), live = new Set(), queued = false, frame = 0;
  var THEME = { color: ["#0a7a5a", "#e09a12", "#2f6fce", "#7a5bc7", "#d2553c", "#3aa58a", "#8a96a0"], // = --c-chart-*
    textStyle: { fontFamily: '-apple-system, BlinkMacSystemFont, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif' } };
  function load() {
    if (!lib) {
      lib = new Promise(function (resolve, reject) {
        if (window.echarts) return resolve(window.echarts);
        var s = document.createElement("script");
        s.src = SRC; s.async = true;
        s.onload = function () { window.echarts ? resolve(window.echarts) : reject(new Error("echarts missing")); };
        s.onerror = function () { s.remove(); reject(new Error("cannot load " + SRC)); };
        document.head.appendChild(s);
      }).then(function (ec) { ec.registerTheme("puhui", THEME); return ec; });
      lib.catch(function () { lib = null; }); // let a later chart retry
    }
    return lib;
  }
  function render(el) {
    seen.add(el);
    load().then(function (ec) {
      if (!el.isConnected || !el.hasAttribute(ATTR)) return void seen.delete(el);
      var option = JSON.parse(el.getAttribute(ATTR)); // read now: the latest value wins
      (ec.getInstanceByDom(el) || ec.init(el, "puhui")).setOption(option, true);
      live.add(el);
      el.setAttribute(DONE, "");
    }).catch(function (e) { console.warn("[charts]", e); });
  }
  function flush() {
    queued = false;
    live.forEach(function (el) { // dispose charts whose element left the page
      if (!el.isConnected) { live.delete(el); seen.delete(el); el.removeAttribute(DONE); if (window.echarts) window.echarts.dispose(el); }
    });
    document.querySelectorAll("[" + ATTR + "]").forEach(function (el) { if (!seen.has(el)) render(el); });
  }
  function schedule() { if (!queued) { queued = true; Promise.resolve().then(flush); } }
  function start() {
    new MutationObserver(function (records) {
      records.forEach(function (r) {
        if (r.type === "attributes" && r.target.getAttribute(ATTR) !== r.oldValue && r.target.hasAttribute(ATTR)) render(r.target);
      });
      schedule();
    }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: [ATTR], attributeOldValue: true });
    window.addEventListener("resize", function () {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(function () {
        live.forEach(function (el) { var c = window.echarts && window.echarts.getInstanceByDom(el); if (c) c.resize(); });
      });
    });
    schedule();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
