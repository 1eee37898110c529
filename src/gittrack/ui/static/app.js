// gittrack UI: filter-as-you-type, run selection for compare, and plotly charts.
// Page data comes from <script type="application/json" id="page-data">; every
// run-supplied string given to plotly is HTML-escaped first (plotly renders some tags).
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

  function pageData() {
    const el = document.getElementById("page-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  // ---- runs table: filter as you type, selection for compare -------------------------
  const selected = new Set();

  function updatePicked() {
    const button = $("#compare-button");
    if (!button) return;
    const max = Number(button.dataset.max || 10);
    $("#picked").textContent = String(selected.size);
    button.disabled = selected.size < 2;
    button.title = selected.size > max ? "compare shows the first " + max + " runs" : "";
  }

  function bindRows() {
    $$("input.pick").forEach((box) => {
      box.checked = selected.has(box.value);
      box.addEventListener("change", () => {
        if (box.checked) selected.add(box.value); else selected.delete(box.value);
        updatePicked();
      });
    });
    const all = $("#pick-all");
    if (all) {
      all.addEventListener("change", () => {
        $$("input.pick").forEach((box) => {
          box.checked = all.checked;
          if (all.checked) selected.add(box.value); else selected.delete(box.value);
        });
        updatePicked();
      });
    }
    updatePicked();
  }

  function setupRuns() {
    const form = $("#filter-form");
    const results = $("#results");
    if (!form || !results) return;
    const input = $("#filter", form);
    let timer = null;
    let controller = null;
    const refresh = () => {
      const params = new URLSearchParams(new FormData(form));
      params.delete("page");
      if (controller) controller.abort();
      controller = new AbortController();
      const url = "/runs?" + params.toString();
      fetch(url + "&partial=1", { signal: controller.signal })
        .then((r) => r.text())
        .then((html) => {
          results.innerHTML = html;
          history.replaceState(null, "", url);
          bindRows();
        })
        .catch(() => {});
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
    form.addEventListener("submit", (ev) => { ev.preventDefault(); clearTimeout(timer); refresh(); });
    $("#compare-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const params = new URLSearchParams();
      selected.forEach((id) => params.append("run", id));
      window.location.href = "/compare?" + params.toString();
    });
    bindRows();
  }

  // ---- metric charts ------------------------------------------------------------------
  const BASE = { margin: { l: 55, r: 15, t: 10, b: 40 }, hovermode: "closest", showlegend: true,
    legend: { orientation: "h", y: -0.2 }, font: { size: 11 } };
  const CONFIG = { responsive: true, displaylogo: false };

  function xValues(trace, mode) {
    if (mode === "time") return trace.time.map((t) => new Date(t));
    if (mode === "relative") {
      const t0 = Math.min.apply(null, trace.time);
      return trace.time.map((t) => (t - t0) / 1000);
    }
    return trace.step;
  }

  // A metric logged once per run (a final score) is a bar per run, not a lone dot on a step axis.
  function drawBars(div, chart, log) {
    const traces = chart.traces.map((t) => ({
      type: "bar", name: esc(t.name), x: [esc(t.name)], y: t.value,
      hovertemplate: "%{y:.6g}<extra>" + esc(t.name) + "</extra>",
    }));
    const layout = Object.assign({}, BASE, {
      showlegend: false, xaxis: { type: "category" },
      yaxis: { title: { text: esc(chart.metric) }, type: log ? "log" : "linear" },
    });
    return Plotly.react(div, traces, layout, CONFIG);
  }

  function drawChart(div, chart) {
    const mode = ($("#x-axis") || {}).value || "step";
    const log = ($("#log-y") || {}).checked;
    if (chart.traces.every((t) => t.value.length <= 1)) return drawBars(div, chart, log);
    const traces = chart.traces.map((t) => ({
      type: "scatter", mode: t.value.length > 1 ? "lines+markers" : "markers",
      marker: { size: 4 }, name: esc(t.name), x: xValues(t, mode), y: t.value,
      hovertemplate: "%{y:.6g}<extra>" + esc(t.name) + "</extra>",
    }));
    const xTitle = { step: "step", time: "time", relative: "seconds since start" }[mode];
    const layout = Object.assign({}, BASE, {
      showlegend: traces.length > 1,
      xaxis: { title: { text: xTitle }, type: mode === "time" ? "date" : "linear" },
      yaxis: { title: { text: esc(chart.metric) }, type: log ? "log" : "linear" },
    });
    return Plotly.react(div, traces, layout, CONFIG);
  }

  function drawCharts(charts) {
    $$(".chart[data-index]").forEach((div) => {
      const chart = charts[Number(div.dataset.index)];
      if (chart) drawChart(div, chart);
    });
  }

  function setupCharts(data) {
    if (!data || !data.charts || !window.Plotly) return;
    let charts = data.charts;
    drawCharts(charts);
    ["#x-axis", "#log-y"].forEach((sel) => {
      const el = $(sel);
      if (el) el.addEventListener("change", () => drawCharts(charts));
    });
    if (data.poll) {
      const timer = setInterval(() => {
        fetch(data.poll).then((r) => r.json()).then((fresh) => {
          if (fresh.status !== "RUNNING" || fresh.charts.length !== charts.length) {
            clearInterval(timer);
            window.location.reload();
            return;
          }
          charts = fresh.charts;
          drawCharts(charts);
          const summary = $("#metrics-summary");
          if (summary && typeof fresh.summary === "string") summary.innerHTML = fresh.summary;  // rendered (escaped) by the server
        }).catch(() => {});
      }, data.pollMs || 3000);
    }
  }

  // ---- compare: differences, parallel coordinates, scatter ---------------------------
  function isNumber(v) { return typeof v === "number" && isFinite(v); }

  // Parallel coordinates drawn as SVG lines (plotly's parcoords needs WebGL, which a
  // headless or GPU-less browser may lack): each axis scaled to 0..1, one line per run.
  function dimension(label, values) {
    if (values.every(isNumber)) {
      const lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
      const scale = (v) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
      return { label: label, raw: values, y: values.map(scale), ticks: [[scale(lo), lo], [scale(hi), hi]] };
    }
    const names = Array.from(new Set(values.map((v) => String(v)))).sort();
    const scale = (name) => (names.length > 1 ? names.indexOf(name) / (names.length - 1) : 0.5);
    return { label: label, raw: values, y: values.map((v) => scale(String(v))), ticks: names.map((n) => [scale(n), n]) };
  }

  function shade(t) {  // light blue (worst) to dark purple (best)
    const a = [158, 202, 225], b = [84, 39, 143];
    return "rgb(" + a.map((x, i) => Math.round(x + (b[i] - x) * t)).join(",") + ")";
  }

  function drawParallel(have, keys, metric, way) {
    const dims = keys.map((k) => dimension(k, have.map((r) => (k in r.params ? r.params[k] : "(none)"))));
    dims.push(dimension(metric, have.map((r) => r.metrics[metric])));
    const last = dims[dims.length - 1];
    const traces = have.map((r, i) => ({
      type: "scatter", mode: "lines+markers", x: dims.map((_, j) => j), y: dims.map((d) => d.y[i]),
      line: { color: shade(way === "min" ? 1 - last.y[i] : last.y[i]), width: 2 }, marker: { size: 6 }, name: esc(r.name),
      text: dims.map((d) => esc(d.label) + ": " + esc(d.raw[i])), hovertemplate: "%{text}<extra>%{fullData.name}</extra>",
    }));
    const notes = [];
    dims.forEach((d, j) => d.ticks.forEach((t) => notes.push({ x: j, y: t[0], xanchor: "left", xshift: 4,
      text: esc(typeof t[1] === "number" ? Number(t[1].toPrecision(4)) : t[1]), showarrow: false, font: { size: 10 } })));
    Plotly.react("parcoords", traces, Object.assign({}, BASE, {
      showlegend: false, annotations: notes,
      xaxis: { tickvals: dims.map((_, j) => j), ticktext: dims.map((d) => esc(d.label)), side: "top", showgrid: true, zeroline: false },
      yaxis: { visible: false, range: [-0.08, 1.08] } }), CONFIG);
  }

  function drawRelations(runs, directions) {
    const metric = $("#rel-metric").value;
    const param = $("#rel-param").value;
    const have = runs.filter((r) => isNumber(r.metrics[metric]));
    const keys = Array.from(new Set([].concat.apply([], have.map((r) => Object.keys(r.params))))).sort();
    drawParallel(have, keys, metric, (directions || {})[metric]);
    Plotly.react("scatter", [{ type: "scatter", mode: "markers", marker: { size: 10 },
      x: have.map((r) => (param in r.params ? r.params[param] : null)), y: have.map((r) => r.metrics[metric]),
      text: have.map((r) => esc(r.name)), hovertemplate: "%{text}<br>%{x}: %{y:.6g}<extra></extra>" }],
      Object.assign({}, BASE, { showlegend: false, xaxis: { title: { text: esc(param) } },
        yaxis: { title: { text: esc(metric) } } }), CONFIG);
  }

  function setupCompare(data) {
    const toggle = $("#only-diff");
    if (toggle) {
      toggle.addEventListener("change", () =>
        $$("table.diffable").forEach((table) => table.classList.toggle("only-diff", toggle.checked)));
    }
    if (!data || !data.runs || !$("#parcoords") || !window.Plotly) return;
    const redraw = () => drawRelations(data.runs, data.directions);
    $("#rel-metric").addEventListener("change", redraw);
    $("#rel-param").addEventListener("change", redraw);
    redraw();
  }

  // ---- history ------------------------------------------------------------------------
  function setupHistory(data) {
    const form = $("#history-form");
    if (form) $$("select", form).forEach((s) => s.addEventListener("change", () => form.submit()));
    const div = $("#history-chart");
    if (!div || !data || !window.Plotly) return;
    Plotly.react(div, [{ type: "scatter", mode: "lines+markers", x: data.x, y: data.y,
      text: data.text.map(esc), hovertemplate: "%{text}<br>%{y:.6g}<extra></extra>" }],
      Object.assign({}, BASE, { showlegend: false, xaxis: { title: { text: "commit" }, type: "category" },
        yaxis: { title: { text: esc(data.metric) } } }), CONFIG);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const data = pageData();
    setupRuns();
    setupCharts(data);
    setupCompare(data);
    setupHistory(data);
    document.body.dataset.ready = "1";
  });
})();
