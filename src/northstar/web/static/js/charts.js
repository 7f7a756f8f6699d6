// Draws the ECharts charts declared in the page: <div data-chart="bar|heatmap|strategy-map|spark|trend|score-heatmap"
// data-chart-data='{...}'>.
// Data travels as JSON in an attribute because the CSP allows no inline script.
(function () {
  "use strict";
  // Status colours of the dashboards (S7.2); the same as the page's dots (app.css).
  var STATUS_COLORS = { on_target: "#2a9d8f", below_target: "#e9c46a", off_track: "#e76f51", no_data: "#adb5bd", gap: "#ffffff" };
  // ECharts' own words (toolbox, aria) in the page's language
  function init(node) {
    var lang = (document.documentElement.lang || "en").toLowerCase().indexOf("zh") === 0 ? "ZH" : "EN";
    return window.echarts.init(node, null, { renderer: "canvas", locale: lang });
  }
  function follow(chart, hrefs) {
    if (!hrefs) { return; }
    chart.on("click", function (p) { var href = hrefs[p.dataIndex]; if (href) { window.location.href = href; } });
  }
  // Bars: data.labels and data.values; data.statuses colour each bar, data.hrefs open a figure's lineage.
  function bar(node, data) {
    var chart = init(node);
    var colored = data.values.map(function (v, i) {
      var status = data.statuses ? data.statuses[i] : null;
      return { value: v, itemStyle: { color: status ? STATUS_COLORS[status] : "#1982c4" } };
    });
    var category = { type: "category", data: data.vertical ? data.labels : data.labels.slice().reverse(),
                     axisLabel: { interval: 0, width: 140, overflow: "truncate" } };
    var numbers = { type: "value", minInterval: data.vertical ? 1 : 0 };
    chart.setOption({
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: data.vertical ? category : numbers,
      yAxis: data.vertical ? numbers : category,
      series: [{ type: "bar", data: data.vertical ? colored : colored.slice().reverse(),
                 label: { show: true, position: data.vertical ? "top" : "right" }, cursor: data.hrefs ? "pointer" : "default" }]
    });
    if (data.hrefs) {
      var hrefs = data.vertical ? data.hrefs : data.hrefs.slice().reverse();
      follow(chart, hrefs);
    }
    window.addEventListener("resize", function () { chart.resize(); });
  }
  // A row's monthly trend: a small line without axes; the tooltip names the month.
  function spark(node, points) {
    var chart = init(node);
    chart.setOption({
      grid: { left: 2, right: 2, top: 4, bottom: 4 },
      tooltip: { trigger: "axis", confine: true, formatter: function (ps) { return esc(ps[0].name) + ": " + esc(ps[0].value == null ? "—" : ps[0].value); } },
      xAxis: { type: "category", show: false, data: points.map(function (p) { return p[0]; }) },
      yAxis: { type: "value", show: false, scale: true },
      series: [{ type: "line", data: points.map(function (p) { return p[1]; }), symbol: "none", connectNulls: true,
                 lineStyle: { width: 1.5, color: "#1982c4" }, areaStyle: { color: "rgba(25,130,196,0.08)" } }]
    });
  }
  // The company's monthly figures with the card's target as a line; a point opens its lineage.
  function trend(node, data) {
    var words = JSON.parse(node.getAttribute("data-chart-legend") || "{}");
    var chart = init(node);
    var series = { type: "line", data: data.values, connectNulls: true, symbolSize: 7, cursor: "pointer",
                   lineStyle: { color: "#1982c4" }, itemStyle: { color: "#1982c4" } };
    if (data.target !== null && data.target !== undefined) {
      series.markLine = { symbol: "none", lineStyle: { type: "dashed", color: "#2a9d8f" },
                          label: { position: "insideEndTop", formatter: (words.target || "") + " " + data.target }, data: [{ yAxis: data.target }] };
    }
    chart.setOption({
      grid: { left: 8, right: 48, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels },
      yAxis: { type: "value", scale: true },
      series: [series]
    });
    follow(chart, data.hrefs);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  // Journey × department coloured by scores: data.cells {x, y, status, score, role, lines}.
  function scoreHeatmap(node, data) {
    var chart = init(node);
    var cells = data.cells.map(function (c) {
      var gap = c.status === "gap";
      return { value: [c.x, c.y, 1], cell: c,
               itemStyle: { color: STATUS_COLORS[c.status] || "#adb5bd", borderColor: gap ? "#e76f51" : "#fff",
                            borderWidth: gap ? 2 : 1, borderType: gap ? "dashed" : "solid" },
               label: { show: true, formatter: gap ? "!" : (c.score || ""), color: gap ? "#e76f51" : "#222" } };
    });
    chart.setOption({
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: {
        formatter: function (p) {
          var c = p.data.cell;
          var lines = [esc(data.y[c.y]), esc(data.x[c.x]) + (c.role ? " · " + esc(c.role) : ""),
                       esc((data.statuses || {})[c.status] || c.status)];
          (c.lines || []).forEach(function (l) { lines.push(esc(l)); });
          return lines.join("<br>");
        }
      },
      xAxis: { type: "category", data: data.x, position: "top", axisLabel: { rotate: 30, interval: 0 }, splitArea: { show: true } },
      yAxis: { type: "category", data: data.y, inverse: true, axisLabel: { interval: 0, width: 220, overflow: "truncate" }, splitArea: { show: true } },
      series: [{ type: "heatmap", data: cells }]
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
    var chart = init(node);
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
        var status = obj.status ? STATUS_COLORS[obj.status] : null;
        nodes.push({
          id: "objective-" + obj.id, name: obj.code + " " + obj.label, x: (k + 0.5) * width / n, y: y,
          category: i, symbol: "roundRect", symbolSize: [190, 58], value: obj.indicator_count,
          findings: obj.finding_count,
          href: obj.href, score: obj.score, statusText: obj.status ? (data.statuses || {})[obj.status] : null,
          itemStyle: status ? { color: status, borderColor: LAYER_COLORS[layer.perspective], borderWidth: 3 }
            : (flagged ? { borderColor: "#d00000", borderWidth: 2, borderType: "dashed" } : {}),
          label: { show: true, color: obj.status === "below_target" || obj.status === "no_data" ? "#222" : "#fff",
                   width: 176, overflow: "break", lineHeight: 15,
                   formatter: obj.status ? function (p) { return p.data.name + (p.data.score && p.data.score !== "—" ? "\n" + p.data.score : ""); } : "{b}" }
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
    var chart = init(node);
    chart.on("click", function (p) { if (p.dataType === "node" && p.data.href) { window.location.href = p.data.href; } });
    chart.setOption({
      legend: { data: layers.map(function (l) { return l.label; }).reverse(), top: 0 },
      tooltip: {
        formatter: function (p) {
          if (p.dataType === "edge") {
            var text = esc(nameOf[p.data.source] || "") + " → " + esc(nameOf[p.data.target] || "");
            return p.data.note ? text + "<br>" + esc(p.data.note) : text;
          }
          var lines = [esc(p.data.name), esc(words.indicators || "") + ": " + esc(p.data.value)];
          if (p.data.statusText) { lines.push(esc(words.score || "") + ": " + esc(p.data.score) + " · " + esc(p.data.statusText)); }
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
      if (kind === "spark") { spark(node, data); }
      if (kind === "trend") { trend(node, data); }
      if (kind === "score-heatmap") { scoreHeatmap(node, data); }
      node.setAttribute("data-chart-ready", "true");
    });
  });
})();
