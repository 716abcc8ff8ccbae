"""The fleet page's style sheet and script, inlined into the page (no external asset, so it
works offline) and allowed by the page's own Content-Security-Policy through their hashes.
Python strings, not files: a module run outside the worker process gets only Python files."""

from __future__ import annotations

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.summary li { border: 1px solid #c8c8c8; border-radius: 4px; padding: .3rem .7rem; }
.controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d0d0d0; padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; position: sticky; top: 0; }
tbody th { background: none; position: static; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort=ascending] button::after { content: " \\25B2"; }
th[aria-sort=descending] button::after { content: " \\25BC"; }
ul.plain { margin: 0; padding: 0; list-style: none; }
.mark { font-weight: bold; white-space: nowrap; }
.ok { color: #14662c; }
.bad { color: #a3161a; }
.warn { color: #7a4a00; }
.unknown { color: #4a4a4a; }
tr.needs-action td:first-child { border-left: 4px solid #a3161a; }
.error, .fix { margin: .3rem 0 0; max-width: 32rem; }
td ul.plain li { max-width: 24rem; }
meter { width: 7rem; }
.small { font-size: 12px; color: #4a4a4a; }
"""

SCRIPT = """
(function () {
  var table = document.getElementById('fleet');
  var body = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var statusFilter = document.getElementById('status-filter');
  var search = document.getElementById('search');
  var shown = document.getElementById('shown');
  function apply() {
    var status = statusFilter.value, needle = search.value.trim().toLowerCase(), count = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var wanted = status === '' || (status === 'needs-action'
        ? row.getAttribute('data-needs-action') === 'true' : row.getAttribute('data-status') === status);
      var found = needle === '' || row.getAttribute('data-search').indexOf(needle) !== -1;
      row.hidden = !(wanted && found);
      if (!row.hidden) { count += 1; }
    });
    shown.textContent = shown.getAttribute('data-template')
      .replace('{shown}', count).replace('{total}', body.rows.length);
  }
  function key(row, column, numeric) {
    var value = row.cells[column].getAttribute('data-sort');
    if (!numeric) { return value; }
    return value === '' ? -Infinity : parseFloat(value);
  }
  headers.forEach(function (th, column) {
    var button = th.querySelector('button');
    if (!button) { return; }
    button.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      var numeric = th.getAttribute('data-type') === 'number';
      headers.forEach(function (other) {
        if (other.querySelector('button')) { other.setAttribute('aria-sort', 'none'); }
      });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, column, numeric), y = key(b, column, numeric);
        var order = numeric ? (x < y ? -1 : x > y ? 1 : 0) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  statusFilter.addEventListener('change', apply);
  search.addEventListener('input', apply);
  apply();
})();
"""
