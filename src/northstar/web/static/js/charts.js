// Draws the ECharts charts declared in the page: <div data-chart="bar|heatmap|strategy-map" data-chart-data='{...}'>.
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
  // Strategy map (S4.2): four horizontal layers, learning at the bottom and financial at the top;
  // data.layers comes bottom up from /api/v1/strategy/{id}/map, arrows run cause → effect.
  var LAYER_COLORS = { learning: "#6a4c93", process: "#1982c4", customer: "#e76f51", financial: "#2a9d8f" };
  function strategyMap(node, data) {
    var words = JSON.parse(node.getAttribute("data-chart-legend") || "{}");
    var layers = data.layers || [];
    var widest = 1;
    layers.forEach(function (layer) { widest = Math.max(widest, layer.objectives.length); });
    var width = widest * 240, rowHeight = 130;
    var nodes = [], layerOf = {};
    layers.forEach(function (layer, i) {
      var y = (layers.length - 1 - i) * rowHeight;
      // the layer's name at the left edge: a label without a symbol, no tooltip, not in the legend
      // (its name differs from the legend's so that the legend never hides it)
      nodes.push({ id: "layer-" + layer.perspective, name: "layer: " + layer.perspective, x: -150, y: y,
                   symbolSize: 1, itemStyle: { color: "rgba(0,0,0,0)" }, tooltip: { show: false }, silent: true,
                   label: { show: true, position: "inside", color: LAYER_COLORS[layer.perspective] || "#333",
                            fontWeight: "bold", width: 120, overflow: "break",
                            formatter: function () { return layer.label; } } });
      var n = layer.objectives.length;
      layer.objectives.forEach(function (obj, k) {
        layerOf[obj.id] = i;
        var flagged = obj.finding_count > 0;
        nodes.push({
          id: "objective-" + obj.id, name: obj.code + " " + obj.label, x: (k + 0.5) * width / n, y: y,
          category: i, symbol: "roundRect", symbolSize: [190, 58], value: obj.indicator_count,
          findings: obj.finding_count,
          itemStyle: flagged ? { borderColor: "#d00000", borderWidth: 2, borderType: "dashed" } : {},
          label: { show: true, color: "#fff", width: 176, overflow: "break", lineHeight: 15 }
        });
      });
    });
    var links = (data.links || []).map(function (link) {
      var span = (layerOf[link.effect_id] || 0) - (layerOf[link.cause_id] || 0);
      // an arrow skipping a layer bends so that it does not run through the objectives in between
      return { source: "objective-" + link.cause_id, target: "objective-" + link.effect_id, note: link.note,
               lineStyle: { curveness: span > 1 ? 0.25 : 0 } };
    });
    var nameOf = {};
    nodes.forEach(function (x) { nameOf[x.id] = x.name; });
    var chart = window.echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      legend: { data: layers.map(function (l) { return l.label; }).reverse(), top: 0 },
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "edge") {
            var text = esc(nameOf[p.data.source] || "") + " → " + esc(nameOf[p.data.target] || "");
            return p.data.note ? text + "<br>" + esc(p.data.note) : text;
          }
          var lines = [esc(p.data.name), esc(words.indicators || "") + ": " + esc(p.data.value)];
          if (p.data.findings) { lines.push(esc(words.findings || "") + ": " + esc(p.data.findings)); }
          return lines.join("<br>");
        }
      },
      series: [{
        // the margins leave room for half a node (layout "none" fits the node centres to the box)
        type: "graph", layout: "none", roam: true, top: 64, bottom: 36, left: 70, right: 100,
        categories: layers.map(function (l) { return { name: l.label, itemStyle: { color: LAYER_COLORS[l.perspective] } }; }),
        data: nodes, links: links,
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 10,
        lineStyle: { color: "#555", width: 1.5, opacity: 0.8 },
        emphasis: { focus: "adjacency", lineStyle: { width: 3 } }
      }]
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
      if (kind === "strategy-map") { strategyMap(node, data); }
      node.setAttribute("data-chart-ready", "true");
    });
  });
})();
