// Draws the chart of each statistics table (figure[data-chart]) with Apache ECharts, from the
// page's data island (#stats-data); the table below each chart keeps the exact figures.
(function () {
  "use strict";
  var island = document.getElementById("stats-data");
  if (!island || !window.echarts) return;
  var data = JSON.parse(island.textContent);
  var zh = document.documentElement.lang.indexOf("zh") === 0;
  var words = zh
    ? { records: "记录", images: "图像", total: "累计记录" }
    : { records: "Records", images: "Images", total: "Records in all" };
  function label(row) { return zh ? row.label.zh : row.label.en; }

  function option(kind, rows) {
    var base = { animation: false, color: ["#9b2c1f", "#c99a2e", "#3f6e8c", "#5b8c4a", "#7a5195", "#d46a3c"], tooltip: { trigger: kind === "pie" ? "item" : "axis" }, grid: { containLabel: true, left: 8, right: 16, top: 36, bottom: 8 } };
    if (kind === "pie") {
      base.series = [{ type: "pie", radius: ["35%", "70%"], data: rows.map(function (r) { return { name: label(r), value: r.records }; }) }];
      base.legend = { top: 0 };
      return base;
    }
    base.legend = { top: 0 };
    base.xAxis = { type: "category", data: rows.map(label), axisLabel: kind === "growth" ? { hideOverlap: true } : { interval: 0, width: 88, overflow: "truncate" } };
    base.yAxis = kind === "growth" ? [{ type: "value" }, { type: "value", splitLine: { show: false } }] : { type: "value" };
    if (kind === "growth") {
      base.series = [
        { name: words.records, type: "bar", barMaxWidth: 48, data: rows.map(function (r) { return r.records; }) },
        { name: words.total, type: "line", yAxisIndex: 1, areaStyle: { opacity: 0.15 }, data: rows.map(function (r) { return r.cumulative; }) }
      ];
    } else {
      base.series = [
        { name: words.records, type: "bar", barMaxWidth: 48, data: rows.map(function (r) { return r.records; }) },
        { name: words.images, type: "bar", barMaxWidth: 48, data: rows.map(function (r) { return r.images; }) }
      ];
    }
    return base;
  }

  var charts = [];
  document.querySelectorAll("figure[data-chart]").forEach(function (figure) {
    var rows = data.tables[figure.getAttribute("data-table")] || [];
    if (!rows.length) return;
    var box = document.createElement("div");
    box.className = "chart";
    box.setAttribute("role", "img");
    box.setAttribute("aria-label", figure.getAttribute("data-title"));
    figure.insertBefore(box, figure.querySelector("table"));
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option(figure.getAttribute("data-chart"), rows));
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
