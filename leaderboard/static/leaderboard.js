/* ir-harness leaderboard: sorting, filtering and view switching over server-rendered tables.
 *
 * The page already holds every number (rendered from summary.json). This script only reorders
 * rows, hides rows and toggles prepared views; it never computes a score and never inserts
 * HTML (only element visibility and order change), so names from results cannot run as code.
 * The view state lives in the address (after '#', or in the query string) so it can be shared.
 */
(function () {
  "use strict";
  var KEYS = ["sort", "dir", "kind", "q", "metric", "baseline"];

  function readState() {
    var state = {};
    [location.search.slice(1), location.hash.slice(1)].forEach(function (part) {
      if (!part || part.indexOf("=") < 0) return; // a plain #anchor is not state
      var p = new URLSearchParams(part);
      KEYS.forEach(function (k) { if (p.has(k)) state[k] = p.get(k); });
    });
    return state;
  }

  function writeState(state) {
    var p = new URLSearchParams();
    KEYS.forEach(function (k) { if (state[k]) p.set(k, state[k]); });
    var h = p.toString();
    if (!h && location.hash.indexOf("=") < 0) return; // keep a plain #anchor
    var url = location.pathname + location.search + (h ? "#" + h : "");
    try { history.replaceState(null, "", url); } catch (e) { location.hash = h; }
  }

  var state = readState();
  var q = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var control = function (name) { return document.querySelector("[data-control='" + name + "']"); };
  var allKinds = q("[data-control='kind']").map(function (c) { return c.value; });

  function selected(name) {
    var el = control(name);
    if (!el) return null;
    if (state[name] && q("option", el).some(function (o) { return o.value === state[name]; })) return state[name];
    return el.getAttribute("data-default");
  }

  function sortValue(row, col, type) {
    var cell = row.querySelector("[data-col='" + col + "']");
    if (!cell || !cell.hasAttribute("data-sort")) return null;
    var raw = cell.getAttribute("data-sort");
    if (type === "text") return raw.toLowerCase();
    var n = parseFloat(raw);
    return isNaN(n) ? null : n;
  }

  function sortTable(table) {
    var th = state.sort && table.querySelector("thead th[data-col='" + state.sort + "']");
    q("thead th[data-col]", table).forEach(function (h) { h.removeAttribute("aria-sort"); });
    if (!th) return;
    var dir = state.dir || th.getAttribute("data-dir") || "desc";
    th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
    var type = th.getAttribute("data-type") || "number";
    var body = table.tBodies[0];
    var rows = q(":scope > tr", body).map(function (r, i) {
      return { row: r, v: sortValue(r, state.sort, type), i: i };
    });
    rows.sort(function (a, b) {
      if (a.v === null && b.v === null) return a.i - b.i;
      if (a.v === null) return 1; // missing values always last
      if (b.v === null) return -1;
      var c = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
      return (dir === "asc" ? c : -c) || a.i - b.i;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }

  function apply() {
    var metric = selected("metric");
    var baseline = selected("baseline");
    var text = (state.q || "").toLowerCase();
    var kinds = state.kind ? state.kind.split(",") : allKinds;

    var search = control("q");
    if (search && search.value !== (state.q || "")) search.value = state.q || "";
    q("[data-control='kind']").forEach(function (c) { c.checked = kinds.indexOf(c.value) >= 0; });
    if (control("metric")) control("metric").value = metric;
    if (control("baseline")) control("baseline").value = baseline;

    q("[data-view-metric]").forEach(function (el) {
      el.hidden = el.getAttribute("data-view-metric") !== metric;
    });
    q("[data-view-baseline]").forEach(function (el) {
      el.hidden = el.getAttribute("data-view-baseline") !== baseline;
    });
    q("[data-metric]").forEach(function (el) {
      el.classList.toggle("current", el.getAttribute("data-metric") === metric);
    });

    var shown = 0, total = 0;
    q("table.lb").forEach(function (table) {
      sortTable(table);
      var visibleTable = !table.closest("[hidden]");
      q("tbody > tr[data-name]", table).forEach(function (row) {
        var name = row.getAttribute("data-name").toLowerCase();
        var rk = (row.getAttribute("data-kinds") || "").split(" ");
        var kindOk = !allKinds.length || rk.some(function (k) {
          return kinds.indexOf(k) >= 0 || allKinds.indexOf(k) < 0;
        });
        var ok = (!text || name.indexOf(text) >= 0) && kindOk;
        row.hidden = !ok;
        if (visibleTable && table === firstTable()) { total += 1; if (ok) shown += 1; }
      });
    });
    var count = document.querySelector("[data-count]");
    if (count) count.textContent = shown + " of " + total + " shown";
    var empty = document.querySelector("[data-empty]");
    if (empty) empty.hidden = shown > 0 || total === 0;
    writeState(state);
  }

  function firstTable() {
    return q("table.lb").filter(function (t) { return !t.closest("[hidden]"); })[0];
  }

  q("table.lb thead th[data-col] button").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var th = btn.closest("th");
      var col = th.getAttribute("data-col");
      var first = th.getAttribute("data-dir") || "desc";
      if (state.sort === col) {
        state.dir = (state.dir || first) === "asc" ? "desc" : "asc";
      } else {
        state.sort = col;
        state.dir = first;
      }
      apply();
    });
  });
  var search = control("q");
  if (search) search.addEventListener("input", function () { state.q = search.value; apply(); });
  q("[data-control='kind']").forEach(function (c) {
    c.addEventListener("change", function () {
      var on = q("[data-control='kind']").filter(function (x) { return x.checked; }).map(function (x) { return x.value; });
      state.kind = on.length === allKinds.length ? "" : on.join(",") || "none";
      apply();
    });
  });
  ["metric", "baseline"].forEach(function (name) {
    var el = control(name);
    if (el) el.addEventListener("change", function () {
      state[name] = el.value === el.getAttribute("data-default") ? "" : el.value;
      apply();
    });
  });
  window.addEventListener("hashchange", function () { state = readState(); apply(); });

  apply();

  // Plots: Vega-Lite specs inlined as JSON by the build; rendered with the vendored vega-embed.
  q("script.vl-spec").forEach(function (node) {
    if (typeof window.vegaEmbed !== "function") return;
    var spec = JSON.parse(node.textContent);
    var target = document.getElementById(node.getAttribute("data-target"));
    window.vegaEmbed(target, spec, {
      renderer: "svg",
      actions: { export: true, source: false, compiled: false, editor: false },
    }).catch(function (err) { console.error("plot " + target.id + ": " + err); });
  });
})();
