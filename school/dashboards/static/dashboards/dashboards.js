/* Dashboards: draw the page's charts from its embedded JSON (json_script) with Chart.js, sort the tables
   marked data-sortable by a click on a column header, and cue tables that scroll sideways. No request
   beyond the page itself. */
(function () {
  "use strict";

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var COLOURS = {
    active_learners: "#6d5bd0",
    words_practiced: "#2f7ed8",
    accuracy: "#1a9e6b",
    time_spent: "#e07b39",
    exam_seconds: "#c2410c",
    reading_seconds: "#0f766e",
    game_seconds: "#7c3aed"
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
      var unit = UNITS[canvas.dataset.unit] || UNITS.count;
      var line = canvas.dataset.type === "line";
      var stacked = canvas.dataset.type === "stacked";  // several series, one bar of each per day, piled up
      var labels = canvas.dataset.label.split(",");
      // Today is not over: its bar is pale and outlined, the line into it dashed, its point hollow, its label
      // "Today".
      var today = data.today ? data.labels.indexOf(data.today) : -1;
      function isToday(ctx) { return ctx.dataIndex === today; }
      var datasets = canvas.dataset.series.split(",").map(function (name, n) {
        var colour = COLOURS[name] || "#2f7ed8";
        return {
          label: labels[n],
          data: data[name].map(unit.value),
          backgroundColor: line ? colour + "33" : function (ctx) { return isToday(ctx) ? colour + "40" : colour; },
          borderColor: colour,
          borderWidth: line ? 2 : function (ctx) { return isToday(ctx) ? 1.5 : 0; },
          borderRadius: line || stacked ? 0 : 3,
          pointRadius: line ? 3 : 0,
          pointBackgroundColor: function (ctx) { return isToday(ctx) ? "#fff" : colour; },
          segment: { borderDash: function (ctx) { return ctx.p1DataIndex === today ? [4, 4] : undefined; } },
          spanGaps: false,  // no line across days without practice
          fill: line
        };
      });
      new Chart(canvas, {
        type: line ? "line" : "bar",
        data: {
          labels: data.labels.map(function (iso, i) { return i === today ? "Today" : shortDate(iso); }),
          datasets: datasets
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: {
            legend: { display: stacked, position: "bottom", labels: { boxWidth: 12 } },
            tooltip: {
              callbacks: {
                title: function (items) {
                  return items.length && items[0].dataIndex === today ? "Today, so far" : undefined;
                },
                label: function (ctx) {
                  var value = ctx.parsed.y === null ? "–" : unit.tick(ctx.parsed.y);
                  return stacked ? ctx.dataset.label + ": " + value : value;
                }
              }
            }
          },
          scales: {
            x: { stacked: stacked, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 8 } },
            y: { stacked: stacked, beginAtZero: true, max: unit.max, ticks: { precision: 0, callback: unit.tick } }
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

  // A table wider than its box scrolls sideways inside it. The box says so: "is-scrollable" shows the cue
  // (a shadow on the hidden side, a "more columns" line below), "at-end" once the last column is in view.
  function watchScroll(box) {
    function update() {
      var hidden = box.scrollWidth - box.clientWidth;
      box.classList.toggle("is-scrollable", hidden > 1);
      box.classList.toggle("at-end", box.scrollLeft >= hidden - 1);
    }
    box.addEventListener("scroll", update, { passive: true });
    window.addEventListener("resize", update);
    update();
  }

  drawCharts();
  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  document.querySelectorAll(".table-scroll").forEach(watchScroll);
})();
