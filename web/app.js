/* hpsearch report and dashboard: draws one study's view (built in C, see
 * src/report/report_view.c and docs/report.md) with Apache ECharts. A study of several
 * objectives also gets the Pareto front and the hypervolume history (view.pareto).
 *
 * The page carries a boot object in <script id="hps-boot" type="application/json">:
 *   {"mode": "report", "view": {...}, "rows": [...]}   the self-contained report
 *   {"mode": "dashboard", "refresh": 5}                the live dashboard (data from /api)
 * Everything from the study (names, values, choices) is user data: it only ever reaches
 * the page as text (textContent, canvas labels, ECharts rich-text tooltips), never as
 * HTML. The page marks its state on <body> for tests: data-hps-status (loading, ready,
 * empty, error), data-hps-charts (the charts drawn) and data-hps-errors. */
(function () {
  "use strict";

  var STATES = ["WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL", "PAUSED"];
  var errors = [];
  var body = document.body;

  function noteError(msg) {
    errors.push(String(msg));
    body.setAttribute("data-hps-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (e) { noteError(e.message || "error"); });
  window.addEventListener("unhandledrejection", function (e) {
    noteError((e.reason && e.reason.message) || String(e.reason));
  });

  /* ---- small DOM helpers (text only, never innerHTML) ---- */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") node.textContent = attrs[k];
        else if (k === "cls") node.className = attrs[k];
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
        else node.setAttribute(k, attrs[k]);
      });
    }
    (children || []).forEach(function (c) {
      if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  /* Every number the page shows is written here, as C's printf %.Ng writes it (the
   * server's table filter and `hpsearch show` use %.6g, so the text a person reads is
   * the text a filter matches): N significant digits, trailing zeros dropped, an
   * exponent only below 1e-4 or from 10^N on. A learning rate 0.0003 stays 0.0003 and
   * an accuracy 0.9711 stays 0.9711. */
  function fmtG(v, digits) {
    var exp = v.toExponential(digits - 1);    /* rounded to `digits`: gives %g's exponent */
    var e = parseInt(exp.slice(exp.indexOf("e") + 1), 10);
    if (e < -4 || e >= digits) {
      var mantissa = exp.slice(0, exp.indexOf("e")).replace(/\.?0+$/, "");
      return mantissa + "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
    }
    return v.toFixed(Math.max(0, digits - 1 - e)).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
  }
  /* A value (objective, parameter, axis tick): whole numbers as they are, others %.6g. */
  function fmt(v) {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "–";
    if (typeof v !== "number") return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    return fmtG(v, 6);
  }
  function fmtValue(v) {
    if (typeof v === "boolean") return v ? "True" : "False";
    return fmt(v);
  }
  function fmtDuration(s) {
    if (s === null || s === undefined || !isFinite(s)) return "–";
    if (s < 60) return s.toFixed(1) + "s";
    var t = Math.round(s);
    if (t < 3600) return Math.floor(t / 60) + "m" + String(t % 60).padStart(2, "0") + "s";
    return Math.floor(t / 3600) + "h" + String(Math.floor((t % 3600) / 60)).padStart(2, "0") + "m";
  }
  function fmtTime(t) {
    if (!t) return "–";
    var d = new Date(t * 1000);
    return d.toISOString().replace("T", " ").slice(0, 19);
  }

  /* ---- data sources: the embedded report, or the dashboard's API ---- */

  function rowText(row) {
    var parts = [String(row.number), row.state, row.sampler || "", row.gpus || "", row.fail_reason || ""];
    (row.values || []).forEach(function (v) { parts.push(fmt(v)); });
    Object.keys(row.params).forEach(function (k) { parts.push(fmtValue(row.params[k])); });
    return parts.join("\u0001").toLowerCase();
  }

  function sortKey(row, sort) {
    switch (sort) {
      case "number": return row.number;
      case "value": return row.values ? row.values[0] : null;
      case "feasible": return row.constraints ? (row.feasible ? 0 : 1) : null;
      case "state": return row.state;
      case "duration": return row.duration;
      case "start": return row.start;
      case "sampler": return row.sampler;
      case "steps": return row.steps;
      default:
        if (sort.slice(0, 6) === "value:") return row.values ? row.values[+sort.slice(6)] : null;
        if (sort.slice(0, 11) === "constraint:")
          return row.constraints ? row.constraints[+sort.slice(11)] : null;
        if (sort.slice(0, 6) === "param:") {
          var v = row.params[sort.slice(6)];
          return v === undefined ? null : (typeof v === "boolean" ? String(v) : v);
        }
        return null;
    }
  }

  /* Same semantics as the server's rdata_page_json: filter, sort (missing last), page. */
  function localPage(rows, q) {
    var text = (q.text || "").toLowerCase();
    var states = q.states && q.states.length ? q.states : null;
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if (states && states.indexOf(r.state) < 0) continue;
      if (text) {
        if (!r._text) r._text = rowText(r);
        if (r._text.indexOf(text) < 0) continue;
      }
      out.push(r);
    }
    var present = [], missing = [];
    out.forEach(function (r) {
      var k = sortKey(r, q.sort);
      if (k === null || k === undefined || (typeof k === "number" && isNaN(k))) missing.push(r);
      else present.push({ k: k, r: r });
    });
    present.sort(function (a, b) {
      if (a.k < b.k) return -1;
      if (a.k > b.k) return 1;
      return a.r.number - b.r.number;
    });
    if (q.desc) present.reverse();
    var sorted = present.map(function (p) { return p.r; }).concat(missing);
    return { total: sorted.length, offset: q.offset, limit: q.limit,
             rows: sorted.slice(q.offset, q.offset + q.limit) };
  }

  function fetchJSON(url) {
    return fetch(url, { cache: "no-store" }).then(function (resp) {
      return resp.text().then(function (text) {
        var data;
        try { data = JSON.parse(text); } catch (e) {
          throw new Error("the server sent no JSON for " + url + " (HTTP " + resp.status + ")");
        }
        if (!resp.ok) throw new Error(data.error || ("HTTP " + resp.status));
        return data;
      });
    });
  }

  function apiSource(name) {
    var base = "api/studies/" + encodeURIComponent(name);
    return {
      view: function () { return fetchJSON(base); },
      page: function (q) {
        var params = new URLSearchParams({ offset: q.offset, limit: q.limit, sort: q.sort,
                                           order: q.desc ? "desc" : "asc" });
        if (q.states && q.states.length) params.set("state", q.states.join(","));
        if (q.text) params.set("q", q.text);
        return fetchJSON(base + "/trials?" + params.toString());
      }
    };
  }

  function embeddedSource(view, rows) {
    return {
      view: function () { return Promise.resolve(view); },
      page: function (q) { return Promise.resolve(localPage(rows, q)); }
    };
  }

  /* ---- charts ---- */

  var charts = [];
  var drawn = {};
  function markChart(name) {
    drawn[name] = true;
    body.setAttribute("data-hps-charts", Object.keys(drawn).sort().join(","));
  }
  var haveCharts = typeof echarts !== "undefined";
  function makeChart(container, name, option) {
    if (!haveCharts) {
      container.style.height = "auto";
      container.appendChild(el("div", { cls: "empty",
        text: "Charts were left out of this hpsearch build (configured with -DHPS_WEB_CHARTS=OFF)." }));
      return null;
    }
    var chart = echarts.init(container, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
    markChart(name);
    return chart;
  }
  function disposeCharts() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    drawn = {};
    body.removeAttribute("data-hps-charts");
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  var baseTooltip = { trigger: "item", renderMode: "richText", confine: true, valueFormatter: fmt };
  /* Tick labels of numeric axes, written like every other number on the page. */
  var INACTIVE = "inactive"; /* a conditional parameter's mark where a trial lacks it */
  function numberLabels() { return { formatter: function (v) { return fmt(v); } }; }
  var palette = ["#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#0550ae",
                 "#57606a"];

  function objectiveName(view) {
    var name = view.metric || "objective";
    return view.directions.length > 1 ? name + " (objective 0)" : name;
  }

  function emptyBox(text) { return el("div", { cls: "empty", text: text }); }

  // The files `artifacts:` kept of a trial, as paths (and how many more there are).
  function keptFiles(row) {
    var more = row.n_artifacts - row.artifacts.length;
    return row.artifacts.join(", ") + (more > 0 ? " and " + more + " more" : "");
  }

  function panel(title, note) {
    var s = el("section", { cls: "panel" }, [el("h2", { text: title })]);
    if (note) s.appendChild(el("p", { cls: "note", text: note }));
    return s;
  }

  function historyChart(view, parent) {
    var h = view.history;
    var sec = panel("Optimization history",
      h.total > h.shown ? "Showing " + h.shown + " of " + h.total +
        " completed trials: every improvement of the best value and an even spread of the rest."
        : null);
    parent.appendChild(sec);
    if (!h.points.length) { sec.appendChild(emptyBox("No completed trials yet.")); return; }
    var div = el("div", { cls: "chart tall", id: "chart-history" });
    sec.appendChild(div);
    var series = [{
      name: objectiveName(view), type: "scatter", symbolSize: 5, large: h.points.length > 2000,
      data: h.points.map(function (p) { return [p[0], p[1]]; }), itemStyle: { color: "#0969da", opacity: 0.6 }
    }, {
      name: "best so far", type: "line", step: "end", showSymbol: false,
      data: h.points.map(function (p) { return [p[0], p[2]]; }),
      lineStyle: { color: "#cf222e", width: 2 }, itemStyle: { color: "#cf222e" }
    }];
    makeChart(div, "history", {
      animation: false, tooltip: baseTooltip, legend: { top: 0 },
      grid: { left: 70, right: 30, top: 40, bottom: 50 },
      xAxis: { type: "value", name: "trial", nameLocation: "middle", nameGap: 28, minInterval: 1 },
      yAxis: { type: "value", name: objectiveName(view), scale: true, axisLabel: numberLabels() },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 16, bottom: 4 }],
      series: series
    });
  }

  function importanceChart(view, parent) {
    var imp = view.importances || {};
    var names = Object.keys(imp);
    var sec = panel("Parameter importances",
      "fANOVA on a random forest of the completed trials (computed in C); the share of the " +
      objectiveName(view) + "'s variance each parameter explains alone.");
    parent.appendChild(sec);
    if (view.importance_error) sec.appendChild(el("div", { cls: "message error", text: view.importance_error }));
    if (!names.length) {
      sec.appendChild(emptyBox("Importances need at least two completed trials and a parameter that varies."));
      return;
    }
    var div = el("div", { cls: "chart", id: "chart-importance" });
    div.style.height = Math.max(160, 40 + 28 * names.length) + "px";
    sec.appendChild(div);
    var order = names.slice().reverse();
    makeChart(div, "importance", {
      animation: false, tooltip: baseTooltip,
      grid: { left: 140, right: 60, top: 10, bottom: 30 },
      xAxis: { type: "value", max: 1, axisLabel: numberLabels() },
      yAxis: { type: "category", data: order, axisLabel: { width: 120, overflow: "truncate" } },
      series: [{ type: "bar", name: "importance", data: order.map(function (n) { return imp[n]; }),
                 itemStyle: { color: "#0969da" },
                 label: { show: true, position: "right", formatter: function (p) { return fmt(p.value); } } }]
    });
    branchImportances(view, sec);
  }

  /* Within each branch of a conditional space (a parent whose value decides which other
   * parameters a trial has), the importances on that branch's trials alone, one line
   * each: "when optimizer = sgd (12 trials): momentum 0.41, lr 0.37". */
  function branchImportances(view, sec) {
    var branches = view.branch_importances || [];
    if (!branches.length) return;
    var list = el("ul", { cls: "branch-importances" });
    branches.forEach(function (b) {
      var imp = b.importances || {};
      var parts = Object.keys(imp).map(function (n) { return n + " " + imp[n].toFixed(2); });
      list.appendChild(el("li", { text: "when " + b.parent + " = " + b.value + " (" + b.trials +
        " trials): " + (parts.length ? parts.join(", ") : "no parameter of its own varies") }));
    });
    sec.appendChild(el("div", { cls: "note", text: "Within each branch (its own trials only):" }));
    sec.appendChild(list);
  }

  /* Parameters in importance order, then the rest in first-seen order. */
  function rankedParams(view) {
    var imp = view.importances || {};
    var idx = view.params.map(function (p, i) { return i; });
    idx.sort(function (a, b) {
      var ia = imp[view.params[a].name], ib = imp[view.params[b].name];
      ia = ia === undefined ? -1 : ia;
      ib = ib === undefined ? -1 : ib;
      return ib - ia || a - b;
    });
    return idx;
  }

  function paramLabel(param, v) {
    if (v === null || v === undefined) return null;
    return param.kind === "categorical" ? param.choices[v] : v;
  }

  function axisFor(param) {
    if (param.kind === "categorical") return { type: "category", data: param.choices };
    return { type: param.log ? "log" : "value", scale: true, axisLabel: numberLabels() };
  }

  function parallelChart(view, parent) {
    var s = view.sample;
    var sec = panel("Parallel coordinates",
      (s.total > s.rows.length ? "Showing " + s.rows.length + " of " + s.total +
        " completed trials (the best " + Math.min(200, s.total) + " and an even spread). " : "") +
      "Lines are coloured by the objective.");
    parent.appendChild(sec);
    var params = rankedParams(view).slice(0, 12);
    if (!s.rows.length || !params.length) {
      sec.appendChild(emptyBox(params.length ? "No completed trials yet." : "The study has no parameters."));
      return;
    }
    /* A conditional parameter is missing from the trials where it was inactive: its
     * axis gets a mark of its own, "inactive" (one more category, or a point under
     * the numeric range), so those trials keep their line. */
    var inactiveAt = params.map(function (pi) {
      var p = view.params[pi], lo = Infinity, hi = -Infinity, missing = false;
      s.rows.forEach(function (r) {
        var v = r[2][pi];
        if (v === null || v === undefined) missing = true;
        else if (p.kind !== "categorical") { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      });
      if (!missing) return null;
      if (p.kind === "categorical") return INACTIVE;
      if (!isFinite(lo)) return 0;
      if (p.log && lo > 0) return lo / Math.pow(hi / lo || 10, 0.15);
      return lo - (hi - lo || Math.abs(lo) || 1) * 0.15;
    });
    var axes = params.map(function (pi, k) {
      var p = view.params[pi];
      var a = axisFor(p);
      a.dim = k;
      a.name = p.name;
      var mark = inactiveAt[k];
      if (mark === INACTIVE) {
        a.data = a.data.concat([INACTIVE]);
      } else if (mark !== null) {
        a.min = mark;
        a.axisLabel = { showMinLabel: true, formatter: function (v) {
          return v <= mark ? INACTIVE : fmt(v);
        } };
      }
      return a;
    });
    axes.push({ dim: params.length, name: objectiveName(view), type: "value", scale: true,
                axisLabel: numberLabels() });
    var data = [], values = [];
    s.rows.forEach(function (r) {
      var line = [];
      for (var k = 0; k < params.length; k++) {
        var v = paramLabel(view.params[params[k]], r[2][params[k]]);
        if (v === null) v = inactiveAt[k];
        if (v === null) return;
        line.push(v);
      }
      line.push(r[1]);
      values.push(r[1]);
      data.push(line);
    });
    var div = el("div", { cls: "chart tall", id: "chart-parallel" });
    sec.appendChild(div);
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var maximize = view.directions[0] === "maximize";
    /* The colour scale runs as the objective's axis does, high values on top; the end
     * labels follow the direction (ECharts puts text[0] at the high end), and the
     * handles show the objective's range exactly. */
    makeChart(div, "parallel", {
      animation: false,
      parallelAxis: axes,
      parallel: { left: 60, right: 160, top: 50, bottom: 30,
                  parallelAxisDefault: { nameLocation: "end", nameGap: 16,
                                         nameTextStyle: { fontSize: 11 },
                                         axisLabel: { fontSize: 10 } } },
      visualMap: { type: "continuous", dimension: params.length, min: lo, max: hi === lo ? lo + 1 : hi,
                   right: 10, top: "middle", calculable: true, itemHeight: 120,
                   text: maximize ? ["better", "worse"] : ["worse", "better"],
                   formatter: function (v) { return fmt(v); },
                   inRange: { color: maximize ? ["#d0d7de", "#0969da"] : ["#0969da", "#d0d7de"] } },
      series: [{ type: "parallel", data: data, lineStyle: { width: 1, opacity: 0.45 },
                 progressive: 500 }]
    });
  }

  function sliceCharts(view, parent) {
    var s = view.sample;
    var sec = panel("Slice plots", "The objective against each parameter; colour shows the trial number.");
    parent.appendChild(sec);
    var params = rankedParams(view).slice(0, 24);
    if (!s.rows.length || !params.length) {
      sec.appendChild(emptyBox(params.length ? "No completed trials yet." : "The study has no parameters."));
      return;
    }
    var grid = el("div", { cls: "slices" });
    sec.appendChild(grid);
    var numbers = s.rows.map(function (r) { return r[0]; });
    var nmin = Math.min.apply(null, numbers), nmax = Math.max.apply(null, numbers);
    params.forEach(function (pi, k) {
      var p = view.params[pi];
      var data = [];
      s.rows.forEach(function (r) {
        var v = paramLabel(p, r[2][pi]);
        if (v !== null) data.push([v, r[1], r[0]]);
      });
      var div = el("div", { cls: "chart", id: "chart-slice-" + k });
      grid.appendChild(div);
      var x = axisFor(p);
      x.name = p.name;
      x.nameLocation = "middle";
      x.nameGap = 24;
      makeChart(div, "slice", {
        animation: false, tooltip: baseTooltip,
        grid: { left: 60, right: 16, top: 16, bottom: 44 },
        xAxis: x, yAxis: { type: "value", scale: true, name: objectiveName(view), axisLabel: numberLabels() },
        visualMap: { show: false, dimension: 2, min: nmin, max: nmax === nmin ? nmin + 1 : nmax,
                     inRange: { color: ["#c6dbef", "#08306b"] } },
        series: [{ type: "scatter", symbolSize: 6, data: data, large: data.length > 2000 }]
      });
    });
  }

  /* A filled contour of the objective over the two most important parameters: the
   * trials' values spread on a grid by inverse-distance weighting in the unit square
   * (log scale for log parameters), drawn as a heatmap with the trials on top. */
  function contourChart(view, parent) {
    var s = view.sample;
    var ranked = rankedParams(view);
    var sec = panel("Contour", ranked.length >= 2
      ? "The objective over " + view.params[ranked[0]].name + " and " + view.params[ranked[1]].name +
        ", the two most important parameters (interpolated between trials, which are the dots)."
      : null);
    parent.appendChild(sec);
    if (ranked.length < 2) { sec.appendChild(emptyBox("A contour needs two parameters.")); return; }
    var px = view.params[ranked[0]], py = view.params[ranked[1]];
    var pts = [];
    s.rows.forEach(function (r) {
      var a = r[2][ranked[0]], b = r[2][ranked[1]];
      if (a === null || a === undefined || b === null || b === undefined) return;
      pts.push([a, b, r[1], r[0]]);
    });
    if (pts.length < 2) { sec.appendChild(emptyBox("Not enough completed trials with both parameters.")); return; }

    function axisSpec(p, vals) {
      if (p.kind === "categorical") {
        return { n: p.choices.length, labels: p.choices.slice(),
                 unit: function (v) { return (v + 0.5) / p.choices.length; } };
      }
      var lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
      if (isFinite(p.low)) lo = Math.min(lo, p.low);
      if (isFinite(p.high)) hi = Math.max(hi, p.high);
      var log = p.log && lo > 0;
      var f = log ? Math.log : function (v) { return v; };
      var a = f(lo), b = f(hi);
      if (b === a) b = a + 1;
      var n = 30, labels = [];
      for (var i = 0; i < n; i++) {
        var t = a + (b - a) * (i + 0.5) / n;
        var x = log ? Math.exp(t) : t;
        /* cell centres, not trial values: three digits tell them apart */
        labels.push(p.kind === "int" ? String(Math.round(x)) : fmtG(x, 3));
      }
      return { n: n, labels: labels, unit: function (v) { return (f(v) - a) / (b - a); } };
    }
    var ax = axisSpec(px, pts.map(function (q) { return q[0]; }));
    var ay = axisSpec(py, pts.map(function (q) { return q[1]; }));
    var unitPts = pts.map(function (q) { return [ax.unit(q[0]), ay.unit(q[1]), q[2]]; });
    var cells = [], vmin = Infinity, vmax = -Infinity;
    for (var i = 0; i < ax.n; i++) {
      for (var j = 0; j < ay.n; j++) {
        var cx = (i + 0.5) / ax.n, cy = (j + 0.5) / ay.n, num = 0, den = 0, exact = null;
        for (var k = 0; k < unitPts.length; k++) {
          var dx = unitPts[k][0] - cx, dy = unitPts[k][1] - cy, d2 = dx * dx + dy * dy;
          if (d2 < 1e-12) { exact = unitPts[k][2]; break; }
          var w = 1 / (d2 * d2);
          num += w * unitPts[k][2];
          den += w;
        }
        var v = exact !== null ? exact : num / den;
        vmin = Math.min(vmin, v);
        vmax = Math.max(vmax, v);
        cells.push([i, j, v]);
      }
    }
    var dots = pts.map(function (q, k) {
      return [unitPts[k][0] * ax.n - 0.5, unitPts[k][1] * ay.n - 0.5, q[2]];
    });
    var maximize = view.directions[0] === "maximize";
    var div = el("div", { cls: "chart tall", id: "chart-contour" });
    sec.appendChild(div);
    makeChart(div, "contour", {
      animation: false, tooltip: baseTooltip,
      grid: { left: 80, right: 150, top: 20, bottom: 60 },
      xAxis: { type: "category", data: ax.labels, name: px.name, nameLocation: "middle", nameGap: 36,
               splitArea: { show: false }, axisLabel: { interval: Math.ceil(ax.n / 6) - 1 } },
      yAxis: { type: "category", data: ay.labels, name: py.name, nameLocation: "middle", nameGap: 60,
               axisLabel: { interval: Math.ceil(ay.n / 10) - 1 } },
      visualMap: { type: "piecewise", splitNumber: 10, min: vmin, max: vmax === vmin ? vmin + 1 : vmax,
                   seriesIndex: 0, right: 0, top: "middle",
                   /* bins of an interpolated surface, not trial values: three digits */
                   formatter: function (a, b) { return fmtG(a, 3) + " – " + fmtG(b, 3); },
                   inRange: { color: maximize ? ["#f7fbff", "#6baed6", "#08306b"]
                                              : ["#08306b", "#6baed6", "#f7fbff"] } },
      series: [
        { type: "heatmap", name: objectiveName(view), data: cells, progressive: 0 },
        { type: "scatter", name: "trials", data: dots, symbolSize: 5,
          itemStyle: { color: "#000", opacity: 0.6 }, z: 5 }
      ]
    });
  }

  var PAUSE_SYMBOL = "path://M0,0H3V10H0Z M6,0H9V10H6Z";  /* ‖ where a slice ended */

  /* Where each slice of a trial that ran in slices ended (‖ at its pause) and the next
   * began (▸ at the first step it reported after), as markPoint data. */
  function sliceMarks(r, color) {
    var marks = [];
    (r.slices || []).forEach(function (m) {
      if (m[1] !== null)
        marks.push({ coord: [m[0], m[1]], symbol: PAUSE_SYMBOL, symbolSize: [7, 9],
                     itemStyle: { color: color }, name: "paused at step " + m[0] });
      if (m[2] !== null && m[3] !== null)
        marks.push({ coord: [m[2], m[3]], symbol: "triangle", symbolRotate: -90, symbolSize: 8,
                     itemStyle: { color: color }, name: "resumed at step " + m[2] });
    });
    return marks;
  }

  /* The forecast of a trial's value at max_step (the "forecast" pruner's last one): a
   * dashed line from its value where the forecast was made to the mean at max_step, and
   * a band that widens to mean ± one standard deviation there. */
  function forecastSeries(r, color) {
    var f = r.forecast, last = r.points[r.points.length - 1];
    var from = f.from !== null ? [f.step, f.from] : last;
    if (!from) return [];
    var name = "trial " + r.number + " forecast";
    var tip = name + ": " + fmt(f.mean) + " ± " + fmt(f.sd) + " at step " + f.max_step +
      (f.p_beat !== null ? " · chance to beat " + fmt(f.incumbent) + ": " + fmt(f.p_beat) : "");
    return [{
      type: "line", name: name, data: [from, [f.max_step, f.mean]], showSymbol: false,
      lineStyle: { width: 1, color: color, type: "dotted", opacity: 0.9 }, itemStyle: { color: color },
      tooltip: { formatter: function () { return tip; } }
    }, {
      type: "custom", name: name, data: [[from[0], from[1], f.max_step, f.mean - f.sd, f.mean + f.sd]],
      tooltip: { formatter: function () { return tip; } }, z: 1,
      renderItem: function (params, api) {
        var a = api.coord([api.value(0), api.value(1)]), lo = api.coord([api.value(2), api.value(3)]),
            hi = api.coord([api.value(2), api.value(4)]);
        return { type: "group", children: [
          { type: "polygon", shape: { points: [a, hi, lo] }, style: { fill: color, opacity: 0.12 } },
          { type: "line", shape: { x1: hi[0], y1: hi[1], x2: lo[0], y2: lo[1] },
            style: { stroke: color, lineWidth: 2, opacity: 0.8 } }] };
      }
    }];
  }

  function curvesChart(view, parent) {
    var c = view.curves;
    var nPauses = 0, nResumes = 0, nForecasts = 0;
    c.rows.forEach(function (r) {
      (r.slices || []).forEach(function (m) { nPauses++; if (m[2] !== null) nResumes++; });
      if (r.forecast) nForecasts++;
    });
    var sec = panel("Intermediate values",
      (c.total > c.rows.length ? "Showing " + c.rows.length + " of " + c.total +
        " trials that reported (the best and an even spread). " : "") +
      "Pruned trials are red and dashed, ending in a cross; paused trials are purple." +
      (nPauses ? " Trials that ran in slices: ‖ marks where a slice paused, ▸ where the next " +
        "was resumed (" + nPauses + " pauses, " + nResumes + " resumed)." : "") +
      (nForecasts ? " Forecasts (" + nForecasts + " trials): dotted to the mean at max_step, " +
        "the band widening to ± one standard deviation there." : ""));
    parent.appendChild(sec);
    if (!c.rows.length) { sec.appendChild(emptyBox("No trial has reported intermediate values.")); return; }
    var div = el("div", { cls: "chart tall", id: "chart-intermediate" });
    sec.appendChild(div);
    var colors = { PRUNED: "#cf222e", COMPLETE: "#0969da", PAUSED: "#8250df" };
    var series = [];
    c.rows.forEach(function (r) {
      var pruned = r.state === "PRUNED";
      var color = colors[r.state] || "#8c959f";
      var last = r.points[r.points.length - 1];
      var marks = sliceMarks(r, color);
      if (pruned && last)
        marks.push({ coord: last, symbol: "path://M0,0L10,10M10,0L0,10", symbolSize: 8,
                     itemStyle: { color: "none", borderColor: color, borderWidth: 2 } });
      series.push({
        type: "line", name: "trial " + r.number + " (" + r.state + ")",
        showSymbol: r.points.length < 2, symbolSize: 4,
        data: r.points, lineStyle: { width: 1, color: color, type: pruned ? "dashed" : "solid",
                                     opacity: pruned ? 0.8 : 0.6 },
        itemStyle: { color: color },
        markPoint: marks.length ? { label: { show: false }, data: marks } : undefined
      });
      if (r.forecast) series = series.concat(forecastSeries(r, color));
    });
    makeChart(div, "intermediate", {
      animation: false, tooltip: baseTooltip,
      grid: { left: 70, right: 30, top: 20, bottom: 50 },
      xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", scale: true, name: "intermediate value", axisLabel: numberLabels() },
      dataZoom: [{ type: "inside" }],
      series: series
    });
  }

  /* Population-based training (pbt:): each member's hyperparameters over the steps, one
   * chart per numeric parameter; a triangle marks a round that continued another
   * member's checkpoint (exploit), with the parameters explored from that member's. */
  function pbtCharts(view, parent) {
    var rounds = view.pbt || [];
    if (!rounds.length) return;
    var sec = panel("Population-based training: hyperparameter schedules",
      "Each line is a member, round by round (steps on the x axis); a triangle marks a round " +
      "that continued another member's checkpoint with its hyperparameters explored.");
    parent.appendChild(sec);
    var members = {};
    rounds.forEach(function (r) { (members[r.member] = members[r.member] || []).push(r); });
    var names = Object.keys(rounds[0].after || {}).filter(function (name) {
      return rounds.every(function (r) { return typeof (r.after || {})[name] === "number"; });
    });
    if (!names.length) { sec.appendChild(emptyBox("No numeric hyperparameter to draw.")); return; }
    names.forEach(function (name) {
      var div = el("div", { cls: "chart", id: "chart-pbt-" + name });
      sec.appendChild(div);
      var values = rounds.map(function (r) { return r.after[name]; });
      var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
      var series = Object.keys(members).map(function (m, k) {
        var own = members[m].slice().sort(function (a, b) { return a.round - b.round; });
        var points = [], marks = [];
        own.forEach(function (r) {
          points.push([r.start_step, r.after[name]], [r.stop_step, r.after[name]]);
          if (r.exploited) marks.push({ coord: [r.start_step, r.after[name]],
                                        name: "copied member " + r.parent_member });
        });
        var color = palette[k % palette.length];
        return { type: "line", name: "member " + m, data: points, showSymbol: false,
                 lineStyle: { width: 1.5, color: color }, itemStyle: { color: color },
                 markPoint: marks.length ? { symbol: "triangle", symbolSize: 9, data: marks,
                                             label: { show: false } } : undefined };
      });
      makeChart(div, "pbt-" + name, {
        animation: false, tooltip: baseTooltip, legend: { top: 0, type: "scroll" },
        grid: { left: 70, right: 30, top: 40, bottom: 50 },
        xAxis: { type: "value", name: "step", nameLocation: "middle", nameGap: 28 },
        yAxis: { type: lo > 0 && hi / lo > 20 ? "log" : "value", scale: true, name: name,
                 axisLabel: numberLabels() },
        series: series
      });
    });
  }

  /* ---- several objectives: the Pareto front and the hypervolume history ---- */

  function objectiveLabel(view, k) {
    var name = view.objective_names && view.objective_names[k];
    return (name || "objective " + k) + " (" + view.directions[k] + ")";
  }

  var crossSymbol = "path://M0,0L10,10M10,0L0,10";

  /* Objectives i and j of the trials drawn, split as the chart shows them: the feasible
   * front, the other feasible trials, the infeasible ones. */
  function paretoGroups(view, i, j) {
    var groups = { front: [], feasible: [], infeasible: [] };
    view.pareto.points.forEach(function (pt) {
      var d = [pt[1][i], pt[1][j], pt[0]];
      if (!pt[2]) groups.infeasible.push(d);
      else if (pt[3]) groups.front.push(d);
      else groups.feasible.push(d);
    });
    return groups;
  }

  function paretoTooltip(view, i, j) {
    return Object.assign({}, baseTooltip, { formatter: function (p) {
      if (!Array.isArray(p.value)) return p.seriesName;
      return "trial " + p.value[2] + " (" + p.seriesName + ")\n" + objectiveLabel(view, i) + ": " +
        fmt(p.value[0]) + "\n" + objectiveLabel(view, j) + ": " + fmt(p.value[1]);
    } });
  }

  /* One scatter of objective j against objective i. With two objectives the front is
   * joined by a line in the order of objective i, so the trade-off reads as a curve. */
  function paretoScatter(view, i, j, div, joinFront) {
    var g = paretoGroups(view, i, j);
    var series = [
      { name: "feasible", type: "scatter", symbolSize: 6, data: g.feasible,
        itemStyle: { color: "#0969da", opacity: 0.45 } },
      { name: "infeasible", type: "scatter", symbol: crossSymbol, symbolSize: 7, data: g.infeasible,
        itemStyle: { color: "none", borderColor: "#8c959f", borderWidth: 1.5 } },
      { name: "Pareto front", type: "scatter", symbolSize: 9, data: g.front, z: 5,
        itemStyle: { color: "#cf222e" } }
    ];
    if (joinFront && g.front.length > 1) {
      series.push({ name: "Pareto front", type: "line", showSymbol: false, silent: true, z: 4,
                    data: g.front.slice().sort(function (a, b) { return a[0] - b[0]; }),
                    lineStyle: { color: "#cf222e", width: 1.5, opacity: 0.7 } });
    }
    function axis(k) {
      return { type: "value", scale: true, name: objectiveLabel(view, k), nameLocation: "middle",
               nameGap: k === i ? 28 : 52, axisLabel: numberLabels() };
    }
    makeChart(div, "pareto", {
      animation: false, tooltip: paretoTooltip(view, i, j),
      legend: { top: 0, data: ["Pareto front", "feasible", "infeasible"] },
      grid: { left: 80, right: 30, top: 40, bottom: 50 },
      xAxis: axis(i), yAxis: axis(j), series: series
    });
  }

  /* Parallel coordinates over the objectives, for more than three: the front on top. */
  function paretoParallel(view, div) {
    var m = view.directions.length;
    var groups = { front: [], feasible: [], infeasible: [] };
    view.pareto.points.forEach(function (pt) {
      var line = pt[1].slice();
      (!pt[2] ? groups.infeasible : pt[3] ? groups.front : groups.feasible).push(line);
    });
    var axes = [];
    for (var k = 0; k < m; k++)
      axes.push({ dim: k, name: objectiveLabel(view, k), type: "value", scale: true, axisLabel: numberLabels() });
    makeChart(div, "pareto", {
      animation: false,
      legend: { top: 0, data: ["Pareto front", "feasible", "infeasible"] },
      parallelAxis: axes,
      parallel: { left: 90, right: 90, top: 60, bottom: 30,
                  parallelAxisDefault: { nameLocation: "end", nameGap: 16, nameTextStyle: { fontSize: 11 },
                                         axisLabel: { fontSize: 10 } } },
      series: [
        { name: "feasible", type: "parallel", data: groups.feasible,
          lineStyle: { width: 1, opacity: 0.35, color: "#0969da" } },
        { name: "infeasible", type: "parallel", data: groups.infeasible,
          lineStyle: { width: 1, opacity: 0.5, color: "#8c959f", type: "dashed" } },
        { name: "Pareto front", type: "parallel", data: groups.front, z: 5,
          lineStyle: { width: 2, opacity: 0.9, color: "#cf222e" } }
      ]
    });
  }

  function paretoCharts(view, parent) {
    var pv = view.pareto, m = view.directions.length;
    var shown = pv.points.length < pv.total ? "Showing " + pv.points.length + " of " + pv.total +
      " completed trials: the whole front and an even spread of the rest. " : "";
    var how = m === 2 ? "Objective 1 against objective 0" :
              m === 3 ? "Each pair of objectives" : "Parallel coordinates over the objectives";
    var sec = panel("Pareto front", shown + how + ": the feasible trials no other feasible trial " +
      "dominates are red" + (view.n_constraints ? "; infeasible trials (a constraint above 0) are grey crosses" : "") +
      ". " + pv.front.length + " trials on the front.");
    parent.appendChild(sec);
    if (!pv.points.length) { sec.appendChild(emptyBox("No completed trials yet.")); return; }
    if (m === 2) {
      var div = el("div", { cls: "chart tall", id: "chart-pareto" });
      sec.appendChild(div);
      paretoScatter(view, 0, 1, div, true);
    } else if (m === 3) {
      var grid = el("div", { cls: "slices" });
      sec.appendChild(grid);
      [[0, 1], [0, 2], [1, 2]].forEach(function (pair, k) {
        var cell = el("div", { cls: "chart", id: "chart-pareto-" + k });
        grid.appendChild(cell);
        paretoScatter(view, pair[0], pair[1], cell, false);
      });
    } else {
      var par = el("div", { cls: "chart tall", id: "chart-pareto" });
      sec.appendChild(par);
      paretoParallel(view, par);
    }
  }

  function hypervolumeChart(view, parent) {
    var pv = view.pareto;
    var sec = panel("Hypervolume history",
      "The hypervolume of the feasible Pareto front after each completed trial" +
      (pv.reference ? ", against the reference point (" + pv.reference.map(fmt).join(", ") + ") chosen as " +
        "Optuna does: each objective's worst feasible value moved out by 10%." : "."));
    parent.appendChild(sec);
    if (pv.hypervolume_error) sec.appendChild(el("div", { cls: "message error", text: pv.hypervolume_error }));
    if (!pv.hypervolume.length) {
      sec.appendChild(emptyBox("No feasible completed trial with finite values yet."));
      return;
    }
    var div = el("div", { cls: "chart", id: "chart-hypervolume" });
    sec.appendChild(div);
    makeChart(div, "hypervolume", {
      animation: false, tooltip: Object.assign({}, baseTooltip, { trigger: "axis" }),
      grid: { left: 80, right: 30, top: 34, bottom: 50 },
      xAxis: { type: "value", name: "trial", nameLocation: "middle", nameGap: 28, minInterval: 1 },
      yAxis: { type: "value", name: "hypervolume", scale: true, axisLabel: numberLabels() },
      dataZoom: [{ type: "inside" }],
      series: [{ name: "hypervolume", type: "line", step: "end", showSymbol: pv.hypervolume.length < 60,
                 symbolSize: 4, data: pv.hypervolume, lineStyle: { color: "#1a7f37", width: 2 },
                 itemStyle: { color: "#1a7f37" } }]
    });
  }

  /* Whether `hpsearch run` gave trials GPUs (their system attribute "gpus"). */
  function hasGpus(view) {
    return (view.timeline || []).some(function (t) { return t[4] !== null; });
  }

  var timelineColors = { COMPLETE: "#0969da", PRUNED: "#cf222e", FAIL: "#57606a", RUNNING: "#1a7f37",
                         WAITING: "#9a6700", PAUSED: "#8250df" };

  /* Each started trial as a bar from its start to its end (a running one: to when the
   * view was read). Lanes: the GPUs the run gave the trial, several lanes for a GPU that
   * ran trials side by side (trials_per_gpu); without GPUs, lanes as the trials
   * overlapped (the run's parallel trials). */
  function timelineChart(view, parent) {
    var tl = (view.timeline || []).map(function (t) { return t.slice(); }); /* extended below */
    if (!tl.length) return;
    var byGpu = hasGpus(view);
    var sec = panel("Timeline",
      (byGpu ? "Each trial on the GPUs it ran on (CUDA_VISIBLE_DEVICES)" :
               "Each trial from its start to its end, side by side as they ran") +
      (tl.length < view.n_trials ? "; the latest " + tl.length + " started trials." : "."));
    parent.appendChild(sec);
    tl.sort(function (a, b) { return a[2] - b[2] || a[0] - b[0]; });
    var groups = {}, names = [];
    tl.forEach(function (t) {
      var g = byGpu ? (t[4] !== null ? "GPU " + t[4] : "no GPU") : "";
      if (!groups[g]) { groups[g] = []; names.push(g); }
      var end = t[3] !== null ? t[3] : Math.max(view.generated, t[2]);
      var ends = groups[g], k = 0;
      while (k < ends.length && ends[k] > t[2]) k++;
      ends[k] = end;
      t.push(g, k, end);
    });
    names.sort(function (a, b) { return a.localeCompare(b, undefined, { numeric: true }); });
    var lanes = [], laneOf = {};
    names.forEach(function (g) {
      groups[g].forEach(function (_, k) {
        laneOf[g + "\u0001" + k] = lanes.length;
        lanes.push(byGpu ? (k > 0 ? g + " (" + (k + 1) + ")" : g) : "lane " + (k + 1));
      });
    });
    var data = tl.map(function (t) {
      return { value: [laneOf[t[5] + "\u0001" + t[6]], t[2] * 1000, t[7] * 1000, t[0], t[1], t[4]],
               itemStyle: { color: timelineColors[t[1]] || "#8c959f" } };
    });
    var div = el("div", { cls: "chart", id: "chart-timeline" });
    div.style.height = Math.min(600, 90 + 26 * lanes.length) + "px";
    sec.appendChild(div);
    makeChart(div, "timeline", {
      animation: false,
      tooltip: Object.assign({}, baseTooltip, { formatter: function (p) {
        var v = p.value;
        return "trial " + v[3] + " · " + v[4] + "\n" + (v[5] !== null ? "GPUs " + v[5] + "\n" : "") +
               fmtTime(v[1] / 1000) + " · " + fmtDuration((v[2] - v[1]) / 1000);
      } }),
      grid: { left: 110, right: 30, top: 10, bottom: 50 },
      xAxis: { type: "time" },
      yAxis: { type: "category", data: lanes, inverse: true },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 16, bottom: 4 }],
      series: [{
        type: "custom", name: "trials", encode: { x: [1, 2], y: 0 }, data: data,
        renderItem: function (params, api) {
          var from = api.coord([api.value(1), api.value(0)]), to = api.coord([api.value(2), api.value(0)]);
          var h = api.size([0, 1])[1] * 0.6;
          var rect = echarts.graphic.clipRectByRect(
            { x: from[0], y: from[1] - h / 2, width: Math.max(to[0] - from[0], 2), height: h },
            { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width,
              height: params.coordSys.height });
          return rect && { type: "rect", shape: rect,
                           style: Object.assign(api.style(), { stroke: "#fff", lineWidth: 1 }) };
        }
      }]
    });
  }

  function strategyChart(view, rowsForCounts, parent) {
    if (!view.samplers.length) return;
    var sec = panel("Strategies", "The sampler that chose each trial (the trial's system attribute \"sampler\"); see the table's strategy column.");
    parent.appendChild(sec);
    var div = el("div", { cls: "chart", id: "chart-strategy" });
    div.style.height = "220px";
    sec.appendChild(div);
    var counts = view.samplers.map(function () { return 0; });
    (rowsForCounts || []).forEach(function (r) {
      var i = view.samplers.indexOf(r.sampler);
      if (i >= 0) counts[i]++;
    });
    var haveCounts = rowsForCounts && rowsForCounts.length;
    makeChart(div, "strategy", {
      animation: false, tooltip: baseTooltip,
      grid: { left: 120, right: 40, top: 10, bottom: 30 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: view.samplers },
      series: [{ type: "bar", name: haveCounts ? "trials" : "present",
                 data: haveCounts ? counts : view.samplers.map(function () { return 1; }),
                 itemStyle: { color: "#8250df" } }]
    });
  }

  /* ---- summary and table ---- */

  function summary(view, parent) {
    var box = el("div", { cls: "summary" });
    STATES.forEach(function (s) {
      box.appendChild(el("div", { cls: "card" }, [
        el("div", { cls: "label", text: s.toLowerCase() }),
        el("div", { cls: "num", text: String(view.counts[s] || 0) })]));
    });
    var best = el("div", { cls: "card best" }, [el("div", { cls: "label", text: "best trial" })]);
    if (view.best) {
      best.appendChild(el("div", { cls: "num",
        text: "#" + view.best.number + "  " + (view.metric || "value") + " = " + fmt(view.best.values[0]) }));
      var ps = Object.keys(view.best.params).map(function (k) { return k + "=" + fmtValue(view.best.params[k]); });
      best.appendChild(el("div", { cls: "params", text: ps.join("  ") }));
      if (view.best.artifacts) best.appendChild(el("div", { cls: "params", text: "kept files: " + keptFiles(view.best) }));
    } else {
      best.appendChild(el("div", { cls: "num", text: view.pareto && view.pareto.front.length
        ? view.pareto.front.length + " on the Pareto front"
        : view.directions.length > 1 ? "several objectives" : "none yet" }));
    }
    box.appendChild(best);
    parent.appendChild(box);
  }

  var tableStates = {};
  /* The table's query survives the dashboard's redraws of the same study. */
  function tableState(name) {
    if (!tableStates[name])
      tableStates[name] = { offset: 0, limit: 50, sort: "number", desc: false, states: [], text: "" };
    return tableStates[name];
  }

  function trialTable(view, source, parent) {
    var sec = panel("Trials", null);
    parent.appendChild(sec);
    var q = tableState(view.name);
    var search = el("input", { type: "search", placeholder: "filter: text in any column", id: "trial-filter" });
    search.value = q.text;
    var stateSel = el("select", { id: "trial-state" }, [el("option", { value: "", text: "all states" })].concat(
      STATES.map(function (s) { return el("option", { value: s, text: s }); })));
    stateSel.value = q.states.length ? q.states[0] : "";
    var info = el("span", { cls: "note" });
    var prev = el("button", { text: "‹ prev" }), next = el("button", { text: "next ›" });
    var sizeSel = el("select", {}, [25, 50, 100, 250].map(function (n) {
      var o = el("option", { value: String(n), text: n + " rows" });
      if (n === q.limit) o.selected = true;
      return o;
    }));
    sec.appendChild(el("div", { cls: "controls" }, [search, stateSel, sizeSel, prev, next, info]));
    var wrap = el("div", { cls: "tablewrap" });
    sec.appendChild(wrap);
    var table = el("table", { cls: "trials", id: "trial-table" });
    wrap.appendChild(table);
    var columns = [{ key: "number", label: "#" }, { key: "state", label: "state" }];
    var nv = view.directions.length;
    for (var k = 0; k < nv; k++)
      columns.push({ key: k === 0 ? "value" : "value:" + k, label: nv > 1 ? (view.objective_names && view.objective_names[k]) || "value " + k : (view.metric || "value"), value: k });
    for (var c = 0; c < (view.n_constraints || 0); c++)
      columns.push({ key: "constraint:" + c, label: "constraint " + c, constraint: c });
    if (view.n_constraints) columns.push({ key: "feasible", label: "feasible" });
    view.params.forEach(function (p) { columns.push({ key: "param:" + p.name, label: p.name, param: p.name }); });
    if (hasGpus(view)) columns.push({ key: null, label: "gpus", gpus: true });
    columns.push({ key: "sampler", label: "strategy" }, { key: "duration", label: "duration" },
                 { key: "steps", label: "steps" }, { key: "start", label: "started" }, { key: null, label: "note" });
    var seq = 0;
    function load() {
      var mine = ++seq;
      return source.page(q).then(function (page) {
        if (mine !== seq) return;
        render(page);
      }).catch(function (e) {
        clear(table);
        table.appendChild(el("tr", {}, [el("td", { text: "could not load trials: " + e.message })]));
        noteError(e.message);
      });
    }
    function render(page) {
      clear(table);
      var head = el("tr");
      columns.forEach(function (c) {
        var th = el("th", { text: c.label });
        if (c.key) {
          th.title = "sort by " + c.label;
          if (q.sort === c.key) th.className = "sorted" + (q.desc ? " desc" : "");
          th.addEventListener("click", function () {
            if (q.sort === c.key) q.desc = !q.desc; else { q.sort = c.key; q.desc = false; }
            q.offset = 0;
            load();
          });
        }
        head.appendChild(th);
      });
      table.appendChild(el("thead", {}, [head]));
      var tbody = el("tbody");
      page.rows.forEach(function (r) {
        var tr = el("tr");
        if ((view.best && r.number === view.best.number) || r.front) tr.className = "best";
        columns.forEach(function (c) {
          var td = el("td");
          if (c.key === "number") { td.textContent = String(r.number); td.className = "num"; }
          else if (c.key === "state") td.appendChild(el("span", { cls: "state " + r.state, text: r.state }));
          else if (c.value !== undefined) {
            /* a paused trial's last reported value: its result so far */
            var soFar = !r.values && r.so_far && c.value === 0;
            td.textContent = soFar ? fmt(r.so_far.value) + " so far" : fmt(r.values ? r.values[c.value] : null);
            if (soFar) td.title = "paused: its value at step " + r.so_far.step;
            td.className = "num";
          }
          else if (c.constraint !== undefined) {
            td.textContent = fmt(r.constraints ? r.constraints[c.constraint] : null);
            td.className = "num";
          } else if (c.key === "feasible") td.textContent = r.constraints ? (r.feasible ? "yes" : "no") : "–";
          else if (c.param !== undefined) {
            var v = r.params[c.param];
            td.textContent = v === undefined ? "–" : fmtValue(v);
            if (typeof v === "number") td.className = "num";
          } else if (c.gpus) td.textContent = r.gpus || "–";
          else if (c.key === "sampler") td.textContent = r.sampler || "–";
          else if (c.key === "duration") { td.textContent = fmtDuration(r.duration); td.className = "num"; }
          else if (c.key === "steps") { td.textContent = String(r.steps); td.className = "num"; }
          else if (c.key === "start") td.textContent = fmtTime(r.start);
          else td.textContent = r.fail_reason || (r.artifacts ? "kept: " + keptFiles(r) : "");
          tr.appendChild(td);
        });
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      if (!page.rows.length) table.appendChild(el("tr", {}, [el("td", { text: "no trial matches" })]));
      var end = Math.min(page.total, q.offset + page.rows.length);
      info.textContent = page.total ? (q.offset + 1) + "–" + end + " of " + page.total : "0 trials";
      prev.disabled = q.offset === 0;
      next.disabled = end >= page.total;
      table.setAttribute("data-total", String(page.total));
      markChart("table");
    }
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { q.text = search.value.trim().slice(0, 256); q.offset = 0; load(); }, 200);
    });
    stateSel.addEventListener("change", function () { q.states = stateSel.value ? [stateSel.value] : []; q.offset = 0; load(); });
    sizeSel.addEventListener("change", function () { q.limit = parseInt(sizeSel.value, 10); q.offset = 0; load(); });
    prev.addEventListener("click", function () { q.offset = Math.max(0, q.offset - q.limit); load(); });
    next.addEventListener("click", function () { q.offset += q.limit; load(); });
    return { reload: load };
  }

  /* ---- a whole study ---- */

  function renderView(view, source, root, rowsForCounts) {
    disposeCharts();
    clear(root);
    var dirs = view.directions.join(", ");
    root.appendChild(el("h2", { text: view.name, id: "study-title" }));
    root.appendChild(el("p", { cls: "note",
      text: dirs + (view.metric ? " " + view.metric : "") + " · " + view.n_trials + " trials · read in " +
            view.load_seconds.toFixed(2) + " s at " + fmtTime(view.generated) }));
    summary(view, root);
    if (!view.n_trials) {
      root.appendChild(el("div", { cls: "message", id: "empty-study",
        text: "This study has no trials yet. Charts appear once trials finish." }));
      body.setAttribute("data-hps-status", "empty");
      return null;
    }
    if (view.pareto) {
      paretoCharts(view, root);
      hypervolumeChart(view, root);
    }
    historyChart(view, root);
    var two = el("div", { cls: "grid2" });
    root.appendChild(two);
    var left = el("div"), right = el("div");
    two.appendChild(left);
    two.appendChild(right);
    importanceChart(view, left);
    contourChart(view, right);
    parallelChart(view, root);
    sliceCharts(view, root);
    curvesChart(view, root);
    pbtCharts(view, root);
    strategyChart(view, rowsForCounts, root);
    timelineChart(view, root);
    var table = trialTable(view, source, root);
    return table.reload().then(function () {
      body.setAttribute("data-hps-status", "ready");
      /* Milliseconds from navigation to a drawn page, for the load-time tests. */
      body.setAttribute("data-hps-ready-ms", String(Math.round(performance.now())));
    });
  }

  function showError(root, text) {
    clear(root);
    root.appendChild(el("div", { cls: "message error", id: "error", text: text }));
    body.setAttribute("data-hps-status", "error");
  }

  /* ---- boot ---- */

  var boot;
  try {
    boot = JSON.parse(document.getElementById("hps-boot").textContent);
  } catch (e) {
    boot = null;
  }
  var header = el("header", { cls: "top" }, [el("h1", { text: "hpsearch" })]);
  var meta = el("span", { cls: "meta" });
  header.appendChild(meta);
  body.appendChild(header);
  var layout = el("div", { cls: "layout" });
  body.appendChild(layout);
  var main = el("main", { id: "main" });

  if (!boot || (boot.mode !== "report" && boot.mode !== "dashboard")) {
    layout.appendChild(main);
    showError(main, "This page's data is missing or malformed.");
    return;
  }
  body.setAttribute("data-hps-status", "loading");

  if (boot.mode === "report") {
    layout.appendChild(main);
    meta.textContent = "report · generated " + fmtTime(boot.view && boot.view.generated) +
      " · hpsearch " + (boot.version || "");
    if (!boot.view || !Array.isArray(boot.rows)) { showError(main, "This report's data is malformed."); return; }
    document.title = boot.view.name + " — hpsearch report";
    try {
      renderView(boot.view, embeddedSource(boot.view, boot.rows), main, boot.rows);
    } catch (e) {
      showError(main, "Could not draw the report: " + e.message);
      noteError(e.message);
    }
    return;
  }

  /* dashboard */
  var nav = el("nav", { cls: "studies", id: "study-list" });
  layout.appendChild(nav);
  layout.appendChild(main);
  meta.textContent = "live dashboard · hpsearch " + (boot.version || "");
  var current = null, lastDrawn = null, table = null, refreshing = false;

  /* What a view draws: all of it but when and how fast the server read it, which change
   * with every snapshot. Redrawing only when this changes keeps an unchanged study's
   * page still (no flicker, the table and charts stay as they are). */
  function viewSignature(view) {
    return JSON.stringify(view, function (key, value) {
      var top = this === view;
      return top && (key === "generated" || key === "load_seconds") ? undefined : value;
    });
  }
  var refresh = Math.max(2, boot.refresh || 5) * 1000;

  function selected() {
    var h = location.hash.replace(/^#/, "");
    var m = /^study=(.*)$/.exec(h);
    try { return m ? decodeURIComponent(m[1]) : null; } catch (e) { return null; }
  }

  function loadList() {
    return fetchJSON("api/studies").then(function (studies) {
      clear(nav);
      nav.appendChild(el("h2", { text: "studies (" + studies.length + ")" }));
      if (!studies.length) nav.appendChild(el("div", { cls: "note", text: "no studies in this storage" }));
      studies.forEach(function (s) {
        var a = el("a", { href: "#study=" + encodeURIComponent(s.name) }, [
          el("span", { text: s.name }),
          el("span", { cls: "sub", text: s.n_trials + " trials · best " + fmt(s.best_value) })]);
        if (s.name === current) a.className = "active";
        nav.appendChild(a);
      });
      return studies;
    });
  }

  function showStudy(name) {
    current = name;
    lastDrawn = null;
    Array.prototype.forEach.call(nav.querySelectorAll("a"), function (a) {
      a.className = a.getAttribute("href") === "#study=" + encodeURIComponent(name) ? "active" : "";
    });
    clear(main);
    main.appendChild(el("div", { cls: "message", text: "loading " + name + "…" }));
    body.setAttribute("data-hps-status", "loading");
    var source = apiSource(name);
    return source.view().then(function (view) {
      if (current !== name) return;
      lastDrawn = viewSignature(view);
      table = null;
      var p = renderView(view, source, main, null);
      table = p ? { source: source } : null;
      return p;
    }).catch(function (e) {
      if (current === name) showError(main, "Could not load study " + name + ": " + e.message);
    });
  }

  function tick() {
    if (refreshing || !current) return;
    refreshing = true;
    var name = current;
    apiSource(name).view().then(function (view) {
      var signature = viewSignature(view);
      if (current !== name || signature === lastDrawn) return;
      lastDrawn = signature;
      /* Redraw with the new data, keeping the scroll position. */
      var y = window.scrollY;
      var p = renderView(view, apiSource(name), main, null);
      window.scrollTo(0, y);
      return p;
    }).then(function () { return loadList(); }).catch(function () { /* next tick retries */ })
      .then(function () { refreshing = false; });
  }

  window.addEventListener("hashchange", function () {
    var name = selected();
    if (name && name !== current) showStudy(name);
  });
  loadList().then(function (studies) {
    var name = selected();
    if (!name && studies.length) name = studies[0].name;
    if (!name) {
      clear(main);
      main.appendChild(el("div", { cls: "message", id: "empty-storage", text: "No studies yet: start one with `hpsearch run`." }));
      body.setAttribute("data-hps-status", "empty");
      return;
    }
    return showStudy(name);
  }).catch(function (e) {
    showError(main, "Could not list the studies: " + e.message);
  });
  setInterval(tick, refresh);
})();
