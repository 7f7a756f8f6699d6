// The calibration chart: the grades given beside the forced distribution, one group of bars per
// grade. Data travels as JSON in data-chart-data because the CSP allows no inline script.
(function () {
  "use strict";
  var COLOURS = ["#1982c4", "#fca311"];
  function draw(node) {
    var data = JSON.parse(node.getAttribute("data-chart-data"));
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: data.series.map(function (s) { return s.name; }) },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s, i) {
        return { name: s.name, type: "bar", data: s.values, itemStyle: { color: COLOURS[i % COLOURS.length] },
                 label: { show: true, position: "top" } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
    node.setAttribute("data-chart-ready", "true");
  }
  window.addEventListener("DOMContentLoaded", function () {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-cycle-chart]").forEach(draw);
  });
})();
