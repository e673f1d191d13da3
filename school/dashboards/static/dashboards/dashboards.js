/* Dashboards: draw the page's charts from its embedded JSON (json_script) with Chart.js, and sort the
   tables marked data-sortable by a click on a column header. No request beyond the page itself. */
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var COLOURS = {
    active_learners: "#6d5bd0",
    words_practiced: "#2f7ed8",
    accuracy: "#1a9e6b",
    time_spent: "#e07b39"
  };

  // Each unit: how a stored figure is shown (accuracy 0..1 -> %, seconds -> minutes) and its tick label.
  var UNITS = {
    count: { value: function (v) { return v; }, tick: function (v) { return v; }, max: undefined },
    percent: {
      value: function (v) { return v === null ? null : Math.round(v * 1000) / 10; },
      tick: function (v) { return v + "%"; },
      max: 100
    },
    minutes: {
      value: function (v) { return Math.round(v / 6) / 10; },
      tick: function (v) { return v + " min"; },
      max: undefined
    }
  };

  function shortDate(iso) {
    var parts = iso.split("-");
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1];
  }

  function drawCharts() {
    if (typeof Chart === "undefined") { return; }
    var sources = {};
    document.querySelectorAll("canvas[data-series]").forEach(function (canvas) {
      var id = canvas.dataset.source;
      if (!sources[id]) { sources[id] = JSON.parse(document.getElementById(id).textContent); }
      var data = sources[id];
      var name = canvas.dataset.series;
      var unit = UNITS[canvas.dataset.unit] || UNITS.count;
      var colour = COLOURS[name] || "#2f7ed8";
      var line = canvas.dataset.type === "line";
      new Chart(canvas, {
        type: line ? "line" : "bar",
        data: {
          labels: data.labels.map(shortDate),
          datasets: [{
            label: canvas.dataset.label,
            data: data[name].map(unit.value),
            backgroundColor: line ? colour + "33" : colour,
            borderColor: colour,
            borderWidth: line ? 2 : 0,
            borderRadius: line ? 0 : 3,
            pointRadius: line ? 3 : 0,
            spanGaps: false,  // no line across days without practice
            fill: line
          }]
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                label: function (ctx) { return ctx.parsed.y === null ? "–" : unit.tick(ctx.parsed.y); }
              }
            }
          },
          scales: {
            x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } },
            y: { beginAtZero: true, max: unit.max, ticks: { precision: 0, callback: unit.tick } }
          }
        }
      });
    });
  }

  function sortValue(cell, kind) {
    var raw = cell.dataset.value;
    if (kind === "number") { return raw === "" ? null : Number(raw); }
    return raw !== undefined ? raw : cell.textContent.trim().toLowerCase();
  }

  function makeSortable(table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, column) {
      var button = th.querySelector("button[data-sort]");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var kind = button.dataset.sort;
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a.cells[column], kind);
          var y = sortValue(b.cells[column], kind);
          if (x === null || x === "") { return (y === null || y === "") ? 0 : 1; }  // empty last, both ways
          if (y === null || y === "") { return -1; }
          var order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  drawCharts();
  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
})();
