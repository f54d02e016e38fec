// medprobe leaderboard page script: an enhancement. The page already holds the unfiltered tables
// as HTML; this static file (it never contains data) reads the leaderboard views from the
// non-executable <script type="application/json" id="medprobe-data"> block, re-renders the tables
// with textContent only (names are data, never markup) in the same structure as
// src/report/html/leaderboard-table.tsx, and adds sorting (header buttons: click, Enter, Space)
// and filtering (modality, task type, protocol).
'use strict';
(function () {
  var dataEl = document.getElementById('medprobe-data');
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent || '{}');
  var tablesEl = document.getElementById('tables');
  var statusEl = document.getElementById('status');
  var form = document.getElementById('filters');
  // Per-table sort state survives re-renders caused by filter changes: protocol → {col, dir}.
  var sortState = {};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function fillSelect(select, values, labelAll) {
    select.textContent = '';
    select.appendChild(el('option', { value: 'all' }, labelAll));
    values.forEach(function (v) {
      select.appendChild(el('option', { value: v }, v));
    });
  }

  function modelLink(name) {
    var href = data.links.models[name];
    return href ? el('a', { href: href }, name) : document.createTextNode(name);
  }

  function datasetLink(name) {
    var href = data.links.datasets[name];
    return href ? el('a', { href: href }, name) : document.createTextNode(name);
  }

  // Column keys: 'pos', 'model', 't<i>' (task i), 'mean', 'borda'. Missing values sort last in both directions.
  function sortValue(row, key) {
    if (key === 'pos') return row.position;
    if (key === 'model') return row.model;
    if (key === 'mean') return row.meanRank;
    if (key === 'borda') return row.borda;
    var c = row.cells[Number(key.slice(1))];
    return c ? c.value : null;
  }

  function sortRows(rows, key, dir) {
    var sign = dir === 'ascending' ? 1 : -1;
    return rows.slice().sort(function (a, b) {
      var va = sortValue(a, key);
      var vb = sortValue(b, key);
      if (va === null && vb === null) return a.position - b.position;
      if (va === null) return 1;
      if (vb === null) return -1;
      if (va < vb) return -sign;
      if (va > vb) return sign;
      return a.position - b.position;
    });
  }

  // First activation of a column shows the best first: high scores and Borda descending, ranks and names ascending.
  function firstDirection(table, key) {
    if (key === 'pos' || key === 'model' || key === 'mean') return 'ascending';
    if (key === 'borda') return 'descending';
    return table.direction === 'lower' ? 'ascending' : 'descending';
  }

  function renderTable(table) {
    var state = sortState[table.protocol] || { col: 'pos', dir: 'ascending' };
    var section = el('section', { class: 'protocol', 'data-protocol': table.protocol });
    var t = el('table', { class: 'leaderboard' });
    var cap = el('caption');
    cap.appendChild(el('strong', null, table.protocol));
    cap.appendChild(document.createTextNode(' — test ' + table.metric + (table.headline ? ' of ' + table.headline : '') + ' (' + table.direction + ' is better); ' + table.ciNote + '.'));
    t.appendChild(cap);
    var thead = el('thead');
    var hr = el('tr');
    var cols = [{ key: 'pos', label: 'Rank' }, { key: 'model', label: 'Model' }];
    table.columns.forEach(function (c, i) {
      cols.push({ key: 't' + i, label: c.dataset, sub: c.modality + ' · ' + c.kind + ' · ' + c.dims + 'D', task: c });
    });
    cols.push({ key: 'mean', label: 'Mean rank (n)' }, { key: 'borda', label: 'Borda' });
    cols.forEach(function (c) {
      var th = el('th', { scope: 'col', 'aria-sort': state.col === c.key ? state.dir : 'none' });
      if (c.task) {
        th.setAttribute('data-modality', c.task.modality);
        th.setAttribute('data-kind', c.task.kind);
      }
      var b = el('button', { type: 'button', 'data-col': c.key }, c.label);
      if (c.sub) b.appendChild(el('span', { class: 'sub' }, c.sub));
      b.addEventListener('click', function () {
        var dir = state.col === c.key ? (state.dir === 'ascending' ? 'descending' : 'ascending') : firstDirection(table, c.key);
        sortState[table.protocol] = { col: c.key, dir: dir };
        var fresh = renderTable(table);
        section.replaceWith(fresh);
        var again = fresh.querySelector('button[data-col="' + c.key + '"]');
        if (again) again.focus();
        statusEl.textContent = 'Sorted ' + table.protocol + ' by ' + c.label + ', ' + dir + '.';
      });
      th.appendChild(b);
      hr.appendChild(th);
    });
    thead.appendChild(hr);
    t.appendChild(thead);
    var tbody = el('tbody');
    sortRows(table.rows, state.col, state.dir).forEach(function (row) {
      var tr = el('tr', { 'data-model': row.model });
      tr.appendChild(el('td', { class: 'num' }, row.position));
      var th = el('th', { scope: 'row' });
      th.appendChild(modelLink(row.model));
      tr.appendChild(th);
      row.cells.forEach(function (c) {
        var td = el('td', { class: 'num' + (c && c.value !== null ? '' : ' missing') });
        if (!c || c.value === null) {
          td.textContent = '—';
          td.setAttribute('title', c ? 'result file has no value for this metric' : 'no result');
        } else {
          td.textContent = c.text;
          if (c.ci) td.appendChild(el('span', { class: 'ci' }, ' ' + c.ci));
        }
        tr.appendChild(td);
      });
      tr.appendChild(el('td', { class: 'num' }, row.meanRankText));
      tr.appendChild(el('td', { class: 'num' }, row.bordaText));
      tbody.appendChild(tr);
    });
    t.appendChild(tbody);
    var wrap = el('div', { class: 'table-wrap' });
    wrap.appendChild(t);
    section.appendChild(wrap);
    var links = el('p', { class: 'tasks' });
    links.appendChild(document.createTextNode('Datasets: '));
    table.columns.forEach(function (c, i) {
      if (i) links.appendChild(document.createTextNode(', '));
      links.appendChild(datasetLink(c.dataset));
    });
    section.appendChild(links);
    return section;
  }

  function render() {
    var m = form.elements.namedItem('modality').value;
    var k = form.elements.namedItem('kind').value;
    var p = form.elements.namedItem('protocol').value;
    var tables = (data.views[m + '|' + k] || []).filter(function (t) {
      return p === 'all' || t.protocol === p;
    });
    tablesEl.textContent = '';
    tables.forEach(function (t) {
      tablesEl.appendChild(renderTable(t));
    });
    if (!tables.length) tablesEl.appendChild(el('p', { class: 'empty' }, 'No results match these filters.'));
    statusEl.textContent =
      tables.length + ' table(s) shown' + (m !== 'all' || k !== 'all' || p !== 'all' ? ' (filtered; ranks are recomputed over the shown tasks)' : '') + '.';
  }

  fillSelect(form.elements.namedItem('modality'), data.modalities, 'All modalities');
  fillSelect(form.elements.namedItem('kind'), data.kinds, 'All task types');
  fillSelect(form.elements.namedItem('protocol'), data.protocols, 'All protocols');
  form.addEventListener('change', render);
  form.addEventListener('submit', function (e) {
    e.preventDefault();
  });
  document.documentElement.classList.add('js');
  // The server-rendered tables stay as they are until the first filter or sort; the form needs this script.
  form.hidden = false;
  render();
})();
