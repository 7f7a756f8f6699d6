// Draws the ECharts charts declared in the page: <div data-chart="bar" data-chart-data='{...}'>.
// Data travels as JSON in an attribute because the CSP allows no inline script.
(function () {
  "use strict";
  function bar(node, data) {
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: data.labels.slice().reverse() },
      series: [{ type: "bar", data: data.values.slice().reverse(), itemStyle: { color: "#1982c4" },
                 label: { show: true, position: "right" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  window.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var data = JSON.parse(node.getAttribute("data-chart-data"));
      if (node.getAttribute("data-chart") === "bar") { bar(node, data); }
      node.setAttribute("data-chart-ready", "true");
    });
  });
})();
