"""The HTML report's page: template, styles and script (no data, no markup built from data).

The script reads the JSON document from ``#report-data`` and builds every element with
``createElement``/``textContent``; it never assigns ``innerHTML``. Paper rows are compact
arrays: ``[paper_id, title, task_category, method, code_url, first_seen, grounded_ratio,
abstract, own_sizes, gains, spans, loose, results]``; a span is ``[field, start, end, label,
grounded]`` in UTF-16 offsets of the abstract (label null: the
span's own text), a loose value ``[field, label, grounded]``. ``%%MARKS%%`` in the styles
and the script is replaced by the highlighted fields (``report.MARKS``), their colours and
legend words.
"""

from __future__ import annotations

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%%TITLE%%</title>
<style>%%CSS%%</style>
</head>
<body>
<header><h1 id="report-title">%%TITLE%%</h1><p id="headline"></p></header>
<main>
<section id="charts"></section>
<section id="browse">
<h2>Papers</h2>
<div id="controls">
<input id="search" type="search" placeholder="Search title, method, category" aria-label="Search papers">
<select id="category" aria-label="Task category"><option value="">All task categories</option></select>
<label><input id="has-code" type="checkbox"> has code</label>
<label>from <input id="date-from" type="date"></label>
<label>to <input id="date-to" type="date"></label>
<span id="shown"></span>
</div>
<div id="layout">
<div id="table-wrap"><table id="papers"><thead><tr></tr></thead><tbody></tbody></table></div>
<aside id="viewer"><p class="hint">Click a paper to see its abstract with every extracted value at its evidence.</p></aside>
</div>
</section>
</main>
<script type="application/json" id="report-data">%%DATA%%</script>
%%VENDOR%%
<script>%%JS%%</script>
</body>
</html>
"""

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
header{padding:16px 24px;background:#1d2330;color:#fff}header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;opacity:.85}main{padding:16px 24px}
#charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:16px}
section[data-chart]{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px}
section[data-chart] h3{margin:0 0 6px;font-size:15px}.caption{margin:6px 0 0;color:#5a6270;font-size:12px}
.empty{color:#8a5a00}
#controls{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:8px}
#search{min-width:260px;padding:4px 6px}#shown{color:#5a6270}
#layout{display:grid;grid-template-columns:minmax(0,1fr) 380px;gap:16px;align-items:start}
@media (max-width:1000px){#layout{grid-template-columns:minmax(0,1fr)}#viewer{position:static}}
#table-wrap{max-height:80vh;overflow:auto;border:1px solid #dde1e7;background:#fff}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 6px;border-bottom:1px solid #eef0f3;text-align:left;vertical-align:top}
td.title{min-width:16em}td.title .sub{display:block;color:#5a6270;font-size:12px;overflow-wrap:anywhere}
td.nowrap{white-space:nowrap}td.category{min-width:9em}
.count{font-size:40px;font-weight:600;margin:24px 0 4px}.count small{font-size:15px;font-weight:400;color:#5a6270}
th{position:sticky;top:0;background:#f0f2f5;cursor:pointer;user-select:none;white-space:nowrap}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
tbody tr{cursor:pointer}tbody tr:hover{background:#f3f7ff}tbody tr.open{background:#e3edff}
#viewer{position:sticky;top:8px;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px;max-height:80vh;overflow:auto}
#viewer h3{margin:0 0 4px}.meta{color:#5a6270;font-size:12px;margin-bottom:8px}
.abstract{white-space:pre-wrap;line-height:1.6}
.legend{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0;font-size:12px}
.legend span{display:inline-flex;align-items:center;gap:4px}.swatch{width:12px;height:12px;border-radius:2px;display:inline-block}
mark{background:none;color:inherit;padding:0 1px;border-radius:2px}
%%MARKS%%
mark.ungrounded{outline:2px dashed #c0392b}mark.flash{box-shadow:0 0 0 3px #ff5a36}
.values{list-style:none;padding:0;margin:8px 0}.values li{margin:2px 0;overflow-wrap:anywhere}
.values button{border:0;background:none;cursor:pointer;text-align:left;padding:1px 2px;font:inherit}
.values button:hover{text-decoration:underline}
.flag{color:#c0392b;font-weight:600}.ungrounded-box{border-left:3px solid #c0392b;padding:4px 8px;margin:8px 0;background:#fff5f4}
"""

JS = r"""
(function () {
  "use strict";
  var DOC = JSON.parse(document.getElementById("report-data").textContent);
  var P = DOC.papers;
  var FIELDS = %%MARKS%%;
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { for (var k in attrs) { node.setAttribute(k, attrs[k]); } }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function pct(x) { return x === null || x === undefined ? "" : Math.round(x * 100) + "%"; }
  function safeUrl(u) { return /^https?:\/\//i.test(u) ? u : null; }

  // -- headline --
  var withCode = P.filter(function (p) { return p[4]; }).length;
  document.getElementById("headline").textContent =
    P.length + " papers \u00b7 " + (P.length ? Math.round(100 * withCode / P.length) : 0) +
    "% with code";

  // -- charts --
  var C = DOC.charts;
  var CHARTS = [
    {name: "papers_per_day", title: "Papers and share with code per listing day",
     caption: "Bars: papers first seen that day (left axis); line: share of them with a code link (right axis).",
     data: C.per_day, spec: {
      layer: [
        {mark: {type: "bar", color: "#6b8cce"}, encoding: {
          x: {field: "day", type: "ordinal", title: "Listing day (first seen)"},
          y: {field: "papers", type: "quantitative", title: "Papers"},
          tooltip: [{field: "day"}, {field: "papers"}, {field: "share_code", format: ".0%", title: "with code"}]}},
        {mark: {type: "line", color: "#d9534f", point: true}, encoding: {
          x: {field: "day", type: "ordinal"},
          y: {field: "share_code", type: "quantitative", title: "Share with code", axis: {format: "%"}, scale: {domain: [0, 1]}}}}
      ], resolve: {scale: {y: "independent"}}}},
    {name: "model_sizes", title: "Own model sizes by task category",
     caption: "Each tick is a model size a paper states for its own model (log scale).",
     data: C.sizes, spec: {
      mark: {type: "tick", thickness: 2}, encoding: {
        x: {field: "params", type: "quantitative", title: "Parameters (log scale)", scale: {type: "log"},
            axis: {labelExpr: "sizeLabel(datum.value)"}},
        y: {field: "category", type: "nominal", title: "Task category"},
        tooltip: [{field: "text", title: "size"}, {field: "category"}]}}},
    {name: "gains", title: "Largest claimed gains per benchmark",
     caption: "The largest gain claimed on each named benchmark; hover for the evidence sentence.",
     data: C.gains, spec: {
      mark: "bar", encoding: {
        y: {field: "benchmark", type: "nominal", sort: "-x", title: "Benchmark"},
        x: {field: "value", type: "quantitative", title: "Claimed gain (in its unit)"},
        color: {field: "unit", type: "nominal", title: "Unit"},
        tooltip: [{field: "claim"}, {field: "paper"}, {field: "evidence"}]}}},
    {name: "results", title: "Best result per benchmark",
     caption: "The best grounded score reported on each benchmark and metric (the lowest for error-like metrics: error rate, FID, perplexity, latency), with its paper; the benchmarks most papers report first. Hover for the evidence.",
     empty: "No grounded results with a named benchmark in the selected papers.",
     data: C.results, spec: {
      encoding: {
        y: {field: "label", type: "nominal", sort: null, title: "Benchmark \u00b7 metric \u00b7 unit", axis: {labelLimit: 220}},
        tooltip: [{field: "result", title: "best"}, {field: "paper"}, {field: "better", title: "better is"},
                  {field: "papers", title: "papers reporting"}, {field: "evidence"}]},
      layer: [
        {mark: {type: "bar", opacity: 0.5}, encoding: {
          x: {field: "value", type: "quantitative", title: "Best score (in its unit)"},
          color: {field: "unit", type: "nominal", title: "Unit"}}},
        {mark: {type: "text", align: "left", dx: 4, color: "#1d2330"}, encoding: {
          x: {datum: 0}, text: {field: "best"}}}
      ]}},
    {name: "grounded", title: "Share of values grounded",
     caption: "Share of extracted values whose evidence is stated in the abstract, per field.",
     data: C.grounded, spec: {
      mark: "bar", encoding: {
        x: {field: "field", type: "nominal", title: "Field", axis: {labelAngle: 0}},
        y: {field: "share", type: "quantitative", title: "Share grounded", axis: {format: "%"}, scale: {domain: [0, 1]}},
        tooltip: [{field: "field"}, {field: "values"}, {field: "share", format: ".1%"}]}}},
    {name: "runs", title: "Tokens and cost per run",
     caption: "LLM runs only. Bars: tokens (left axis); line: cost in USD (right axis).",
     empty: "No LLM runs in this database (rules runs use no tokens and cost nothing).",
     data: C.runs, spec: {
      layer: [
        {mark: {type: "bar", color: "#6b8cce"}, encoding: {
          x: {field: "run", type: "ordinal", title: "Run (start, model)"},
          y: {field: "tokens", type: "quantitative", title: "Tokens"},
          tooltip: [{field: "run"}, {field: "tokens"}, {field: "cost", format: "$.4f"}]}},
        {mark: {type: "line", color: "#d9534f", point: true}, encoding: {
          x: {field: "run", type: "ordinal"},
          y: {field: "cost", type: "quantitative", title: "Cost (USD)"}}}
      ], resolve: {scale: {y: "independent"}}}}
  ];
  // size axis: one tick per power of ten, read as 1M, 10B, 1T (d3's ~s would say 10G)
  function decades(spec, rows) {
    var values = rows.map(function (r) { return r.params; }).filter(function (v) { return v > 0; });
    if (!values.length) { return spec; }
    var lo = Math.floor(Math.log10(Math.min.apply(null, values)));
    var hi = Math.ceil(Math.log10(Math.max.apply(null, values)));
    if (hi === lo) { hi += 1; }
    var ticks = [];
    for (var e = lo; e <= hi; e++) { ticks.push(Math.pow(10, e)); }
    var x = Object.assign({}, spec.encoding.x, {
      scale: {type: "log", domain: [ticks[0], ticks[ticks.length - 1]]},
      axis: {values: ticks, labelExpr: spec.encoding.x.axis.labelExpr, gridOpacity: 0.6}});
    return Object.assign({}, spec, {encoding: Object.assign({}, spec.encoding, {x: x})});
  }
  if (typeof vega !== "undefined" && vega.expressionFunction) {
    vega.expressionFunction("sizeLabel", function (v) {
      var units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
      for (var i = 0; i < units.length; i++) {
        if (v >= units[i][0]) { return +(v / units[i][0]).toPrecision(3) + units[i][1]; }
      }
      return String(v);
    });
  }
  var chartsEl = document.getElementById("charts");
  CHARTS.forEach(function (c) {
    var box = el("section", {"data-chart": c.name});
    box.appendChild(el("h3", null, c.title));
    var plot = el("div", {"class": "plot"});
    box.appendChild(plot);
    var empty = !c.data || c.data.length === 0;
    box.appendChild(el("p", {"class": "caption" + (empty ? " empty" : "")},
      empty ? (c.empty || "No data for this chart in the selected papers.") : c.caption));
    chartsEl.appendChild(box);
    if (empty) { box.setAttribute("data-empty", "true"); return; }
    if (c.name === "papers_per_day" && c.data.length === 1) {
      // one listing day: a bar as wide as the chart says nothing a number does not
      var d = c.data[0];
      box.setAttribute("data-single", "true");
      var count = el("div", {"class": "count"}, d.papers + " papers ");
      count.appendChild(el("small", null, "first seen on " + d.day + " \u00b7 " +
        Math.round(100 * (d.share_code || 0)) + "% with code"));
      plot.appendChild(count);
      box.lastChild.textContent = "One listing day in this digest; a chart appears once there are several.";
      return;
    }
    var spec = Object.assign({width: "container", height: 240, data: {values: c.data}}, c.spec);
    if (c.name === "model_sizes") { spec = decades(spec, c.data); }
    if (c.name === "results") { spec.height = Math.max(60, 22 * c.data.length); }  // a row per bar
    if (typeof vegaEmbed === "function") {
      vegaEmbed(plot, spec, {actions: false, renderer: "svg", mode: "vega-lite"})
        .then(function () { box.setAttribute("data-rendered", "true"); })
        .catch(function (e) { box.appendChild(el("p", {"class": "caption empty"}, "Chart failed: " + e)); });
    }
  });

  // -- table --
  var COLS = [
    {key: "title", label: "Title \u00b7 method", get: function (p) { return p[1]; }},
    {key: "category", label: "Task category", get: function (p) { return p[2]; }},
    {key: "code", label: "Code", get: function (p) { return p[4]; }},
    {key: "sizes", label: "Own sizes", get: function (p) { return p[8].join("; "); }},
    {key: "grounded", label: "Grounded", get: function (p) { return p[6] === null ? -1 : p[6]; }},
    {key: "day", label: "First seen", get: function (p) { return p[5]; }}
  ];
  var table = document.getElementById("papers");
  var headRow = table.tHead.rows[0];
  var body = table.tBodies[0];
  var sort = {col: 5, dir: 1};
  COLS.forEach(function (c, i) {
    var th = el("th", {"data-col": c.key, scope: "col"}, c.label);
    th.addEventListener("click", function () {
      sort = {col: i, dir: sort.col === i ? -sort.dir : 1};
      draw();
    });
    headRow.appendChild(th);
  });
  var cats = {};
  P.forEach(function (p) { if (p[2]) { cats[p[2]] = (cats[p[2]] || 0) + 1; } });
  var catSel = document.getElementById("category");
  Object.keys(cats).sort().forEach(function (c) {
    catSel.appendChild(el("option", {value: c}, c + " (" + cats[c] + ")"));
  });
  var search = document.getElementById("search");
  var hasCode = document.getElementById("has-code");
  var from = document.getElementById("date-from");
  var to = document.getElementById("date-to");
  [search, catSel, hasCode, from, to].forEach(function (input) {
    input.addEventListener("input", draw);
    input.addEventListener("change", draw);
  });
  var openId = null;

  function row(p) {
    var tr = el("tr", {"data-paper-id": p[0]});
    if (p[0] === openId) { tr.className = "open"; }
    // method, gains and results under the title: the row stays a few lines tall on a laptop
    var title = el("td", {"class": "title"}, p[1]);
    var sub = [p[3], p[9].length ? "gains: " + p[9].join("; ") : "",
               p[12].length ? "results: " + p[12].join("; ") : ""].filter(Boolean).join(" \u00b7 ");
    if (sub) { title.appendChild(el("span", {"class": "sub"}, sub)); }
    tr.appendChild(title);
    tr.appendChild(el("td", {"class": "category"}, p[2]));
    var code = el("td", {"class": "nowrap"});
    var url = safeUrl(p[4]);
    if (url) {
      var a = el("a", {href: url, rel: "noopener noreferrer", target: "_blank"}, "code");
      a.addEventListener("click", function (e) { e.stopPropagation(); });
      code.appendChild(a);
    } else if (p[4]) { code.textContent = p[4]; }
    tr.appendChild(code);
    tr.appendChild(el("td", {"class": "nowrap"}, p[8].join("; ")));
    tr.appendChild(el("td", {"class": "nowrap"}, pct(p[6])));
    tr.appendChild(el("td", {"class": "nowrap"}, p[5]));
    tr.addEventListener("click", function () { open(p); });
    return tr;
  }

  function draw() {
    var q = search.value.trim().toLowerCase();
    var cat = catSel.value, code = hasCode.checked, f = from.value, t = to.value;
    var rows = P.filter(function (p) {
      if (cat && p[2] !== cat) { return false; }
      if (code && !p[4]) { return false; }
      if (f && p[5] < f) { return false; }
      if (t && p[5] > t) { return false; }
      if (q) {
        var hay = (p[1] + " " + p[2] + " " + p[3] + " " + p[9].join(" ") + " " + p[12].join(" ")).toLowerCase();
        if (hay.indexOf(q) < 0) { return false; }
      }
      return true;
    });
    var get = COLS[sort.col].get, dir = sort.dir;
    rows.sort(function (a, b) {
      var x = get(a), y = get(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    Array.prototype.forEach.call(headRow.cells, function (th, i) {
      if (i === sort.col) { th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    var frag = document.createDocumentFragment();
    rows.forEach(function (p) { frag.appendChild(row(p)); });
    body.replaceChildren(frag);
    document.getElementById("shown").textContent = rows.length + " of " + P.length + " papers";
  }

  // -- evidence viewer --
  function open(p) {
    openId = p[0];
    Array.prototype.forEach.call(body.rows, function (tr) {
      tr.className = tr.getAttribute("data-paper-id") === openId ? "open" : "";
    });
    var viewer = document.getElementById("viewer");
    var card = el("article", {"class": "card", "data-paper-id": p[0]});
    card.appendChild(el("h3", null, p[1]));
    card.appendChild(el("div", {"class": "meta"},
      [p[0], p[2], p[5], p[6] === null ? "" : "grounded " + pct(p[6])].filter(Boolean).join(" \u00b7 ")));
    var abstract = p[7], loose = p[11];
    var spans = p[10].map(function (s) {
      return [s[0], s[1], s[2], s[3] === null ? abstract.slice(s[1], s[2]) : s[3], s[4]];
    });
    var used = {};
    spans.forEach(function (s) { used[s[0]] = true; });
    loose.forEach(function (s) { used[s[0]] = true; });
    var legend = el("div", {"class": "legend"});
    Object.keys(FIELDS).forEach(function (f) {
      if (!used[f]) { return; }
      var item = el("span", {"data-legend": f});
      item.appendChild(el("span", {"class": "swatch f-" + f}));
      item.appendChild(document.createTextNode(FIELDS[f]));
      legend.appendChild(item);
    });
    card.appendChild(legend);
    // abstract: cut at every span boundary; each piece nested in the marks covering it
    var cuts = [0, abstract.length];
    spans.forEach(function (s) { cuts.push(s[1], s[2]); });
    cuts = cuts.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
    var text = el("div", {"class": "abstract"});
    var first = {};
    for (var i = 0; i + 1 < cuts.length; i++) {
      var a = cuts[i], b = cuts[i + 1], parent = text;
      var cover = [];
      spans.forEach(function (s, k) { if (s[1] <= a && s[2] >= b) { cover.push(k); } });
      cover.sort(function (x, y) { return (spans[y][2] - spans[y][1]) - (spans[x][2] - spans[x][1]); });
      cover.forEach(function (k) {
        var s = spans[k];
        var m = el("mark", {"class": "f-" + s[0] + (s[4] ? "" : " ungrounded"), "data-field": s[0],
                            "data-span": String(k), title: FIELDS[s[0]] + ": " + s[3]});
        parent.appendChild(m);
        parent = m;
        if (!(k in first)) { first[k] = m; }
      });
      parent.appendChild(document.createTextNode(abstract.slice(a, b)));
    }
    card.appendChild(text);
    var bad = [];
    spans.forEach(function (s) { if (!s[4]) { bad.push([s[0], s[3], "not stated as extracted"]); } });
    loose.forEach(function (s) { bad.push([s[0], s[1], s[2] ? "no span in the abstract" : "ungrounded"]); });
    if (bad.length) {
      var box = el("div", {"class": "ungrounded-box"});
      box.appendChild(el("div", {"class": "flag"}, "\u26a0 " + bad.length + " value(s) not grounded in the abstract"));
      var ul = el("ul", {"class": "values"});
      bad.forEach(function (v) {
        ul.appendChild(el("li", {"data-ungrounded": v[0]}, FIELDS[v[0]] + ": " + v[1] + " (" + v[2] + ")"));
      });
      box.appendChild(ul);
      card.appendChild(box);
    }
    var list = el("ul", {"class": "values"});
    spans.forEach(function (s, k) {
      var li = el("li");
      var btn = el("button", {type: "button", "data-value": s[0], "data-span": String(k)});
      btn.appendChild(el("span", {"class": "swatch f-" + s[0]}));
      btn.appendChild(document.createTextNode(" " + FIELDS[s[0]] + ": " + s[3]));
      btn.addEventListener("click", function () {
        var m = first[k];
        if (!m) { return; }
        m.scrollIntoView({block: "center", behavior: "smooth"});
        m.classList.add("flash");
        setTimeout(function () { m.classList.remove("flash"); }, 1200);
      });
      li.appendChild(btn);
      list.appendChild(li);
    });
    card.appendChild(el("h4", null, "Extracted values"));
    card.appendChild(list);
    viewer.replaceChildren(card);
  }

  draw();
})();
"""
