(function () {
  "use strict";
  var table = document.getElementById("accounts");
  if (!table || !table.tHead) { return; }
  var heads = table.tHead.rows[0].cells;
  var body = table.tBodies[0];
  function value(row, i, numeric) {
    var cell = row.cells[i];
    var v = cell.getAttribute("data-sort");
    if (v === null) { v = cell.textContent; }
    if (v === "") { return null; }
    if (numeric) { var x = parseFloat(v); return isNaN(x) ? null : x; }
    return v.toLowerCase();
  }
  function sortBy(i) {
    var th = heads[i];
    var numeric = th.getAttribute("data-type") === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    for (var j = 0; j < heads.length; j++) { heads[j].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, i, numeric), y = value(b, i, numeric);
      if (x === y) { return 0; }
      if (x === null) { return 1; }   /* missing values last, whatever the direction */
      if (y === null) { return -1; }
      if (numeric) { return (x - y) * dir; }
      return x.localeCompare(y) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(i); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sortBy(i); } });
  });

  /* filters: each select names the column it reads (th[data-filter]); a row is shown when
     every chosen option equals that column's data-f. The totals of every combination come
     with the page (data-totals, worked out and formatted by kamtools), keyed by the filters
     named in data-keys ("kam|tier|band", and "|group" when the portfolio has groups). They
     count customers only, as the portfolio overview does: a group parent without orders of its
     own (its first cell marked data-customer="no") is shown but not counted, so "no account
     matches" when the rows shown are such parents only. */
  var box = document.getElementById("kam-filters");
  var totalsLine = document.getElementById("kam-totals");
  if (!box || !totalsLine) { return; }
  var selects = box.getElementsByTagName("select");
  var column = {};
  Array.prototype.forEach.call(heads, function (th, i) {
    var f = th.getAttribute("data-filter");
    if (f) { column[f] = i; }
  });
  var totals = JSON.parse(totalsLine.getAttribute("data-totals"));
  var keys = (totalsLine.getAttribute("data-keys") || "kam,tier,band").split(",");
  var none = document.getElementById("kam-none");
  function apply() {
    var chosen = {};
    Array.prototype.forEach.call(selects, function (s) { chosen[s.getAttribute("data-filter")] = s.value; });
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var keep = true;
      Object.keys(chosen).forEach(function (f) {
        if (chosen[f] !== "" && column[f] !== undefined && row.cells[column[f]].getAttribute("data-f") !== chosen[f]) { keep = false; }
      });
      row.hidden = !keep;
      if (keep && row.cells[0].getAttribute("data-customer") !== "no") { shown += 1; }
    });
    var key = keys.map(function (f) { return chosen[f] || ""; }).join("|");
    var line = totals[key] || totals.none;
    Array.prototype.forEach.call(totalsLine.querySelectorAll("[data-total]"), function (el) {
      el.textContent = line[parseInt(el.getAttribute("data-total"), 10)];
    });
    if (none) { none.hidden = shown > 0; }
  }
  Array.prototype.forEach.call(selects, function (s) { s.addEventListener("change", apply); });
  apply();  /* a browser that keeps form values on reload shows the same rows and totals */
})();
