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
  // Names come from users; ECharts renders tooltip strings as HTML.
  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  // Journey × department map: x = departments, y = touchpoints; value 2 = responsible, 1 = contributes.
  function heatmap(node, data) {
    var legend = JSON.parse(node.getAttribute("data-chart-legend") || "{}");
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 8, right: 16, top: 8, bottom: 48, containLabel: true },
      tooltip: {
        formatter: function (p) {
          var role = p.value[2] === 2 ? legend.responsible : legend.contributes;
          return esc(data.y[p.value[1]]) + "<br>" + esc(data.x[p.value[0]]) + ": " + esc(role);
        }
      },
      xAxis: { type: "category", data: data.x, axisLabel: { rotate: 40, interval: 0 }, splitArea: { show: true } },
      yAxis: { type: "category", data: data.y, inverse: true, axisLabel: { interval: 0 }, splitArea: { show: true } },
      visualMap: {
        type: "piecewise", orient: "horizontal", left: "center", bottom: 0,
        pieces: [{ value: 2, label: legend.responsible, color: "#1982c4" },
                 { value: 1, label: legend.contributes, color: "#a9d6f5" }]
      },
      series: [{ type: "heatmap", data: data.cells, itemStyle: { borderColor: "#fff", borderWidth: 1 } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  window.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (node) {
      var data = JSON.parse(node.getAttribute("data-chart-data"));
      var kind = node.getAttribute("data-chart");
      if (kind === "bar") { bar(node, data); }
      if (kind === "heatmap") { heatmap(node, data); }
      node.setAttribute("data-chart-ready", "true");
    });
  });
})();
