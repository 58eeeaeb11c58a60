/**
 * The live dashboard: one HTML page with its script and style inline, no front-end build step. It opens
 * an EventSource on /api/events: a `history` event with the samples of the last minutes, then a `sample`
 * (rates of the last second) and a `snapshot` (peers, sessions, CDRs, anomalies, rules) every second.
 * Charts are SVG drawn by hand. Every value from the network goes in with textContent, never as HTML.
 *
 * The script is kept in ES2017 without template literals (it lives inside one).
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>diamkit dashboard</title>
<style>
  :root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --mute:#6b7385; --line:#e3e6ec; --ok:#1f9d55; --warn:#d97706; --bad:#dc2626; --in:#2563eb; --out:#9333ea; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; align-items:center; gap:12px; padding:10px 20px; background:#1d2330; color:#fff; }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  header .sub { color:#aab2c5; font-size:13px; }
  #conn { margin-left:auto; font-size:12px; display:flex; align-items:center; gap:6px; }
  .dot { width:9px; height:9px; border-radius:50%; background:var(--mute); display:inline-block; }
  .dot.ok { background:var(--ok); } .dot.bad { background:var(--bad); } .dot.warn { background:var(--warn); }
  main { padding:16px 20px; display:grid; grid-template-columns: repeat(12, 1fr); gap:14px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
  .card h2 { font-size:12px; text-transform:uppercase; letter-spacing:.05em; color:var(--mute); margin:0 0 8px; font-weight:600; }
  .kpis { grid-column: span 12; display:grid; grid-template-columns: repeat(6, 1fr); gap:14px; }
  .kpi .v { font-size:24px; font-weight:600; font-variant-numeric: tabular-nums; }
  .kpi .l { color:var(--mute); font-size:12px; }
  .w6 { grid-column: span 6; } .w4 { grid-column: span 4; } .w8 { grid-column: span 8; } .w12 { grid-column: span 12; }
  @media (max-width: 1000px) { .w6,.w4,.w8 { grid-column: span 12; } .kpis { grid-template-columns: repeat(3, 1fr); } }
  svg.chart { width:100%; height:180px; display:block; }
  svg.chart text { font-size:10px; fill:var(--mute); }
  .legend { display:flex; flex-wrap:wrap; gap:10px; font-size:12px; color:var(--mute); margin-top:4px; min-height:18px; }
  .legend i { display:inline-block; width:10px; height:3px; margin-right:4px; vertical-align:middle; }
  table { width:100%; border-collapse:collapse; font-size:12.5px; }
  th { text-align:left; color:var(--mute); font-weight:600; border-bottom:1px solid var(--line); padding:4px 6px; white-space:nowrap; }
  td { border-bottom:1px solid var(--line); padding:4px 6px; font-variant-numeric: tabular-nums; max-width:320px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
  tr:last-child td { border-bottom:none; }
  .state { font-weight:600; } .state.open { color:var(--ok); } .state.closed { color:var(--bad); } .state.other { color:var(--warn); }
  .empty { color:var(--mute); font-style:italic; padding:6px; }
  .pill { display:inline-block; padding:0 6px; border-radius:9px; background:#eef1f6; margin:1px 2px; font-size:11.5px; }
  .pill.bad { background:#fde8e8; color:#9b1c1c; }
</style>
</head>
<body>
<header>
  <h1>diamkit</h1><span class="sub">Diameter terminator / simulated CDF</span>
  <span id="conn"><span class="dot" id="conn-dot"></span><span id="conn-text">connecting</span></span>
</header>
<main>
  <section class="kpis">
    <div class="card kpi"><div class="v" id="kpi-peers">–</div><div class="l">peers open</div></div>
    <div class="card kpi"><div class="v" id="rate-in">–</div><div class="l">messages/s in</div></div>
    <div class="card kpi"><div class="v" id="rate-out">–</div><div class="l">messages/s out</div></div>
    <div class="card kpi"><div class="v" id="kpi-latency">–</div><div class="l">answer latency p99</div></div>
    <div class="card kpi"><div class="v" id="kpi-sessions">–</div><div class="l">open sessions</div></div>
    <div class="card kpi"><div class="v" id="kpi-cdrs">–</div><div class="l">CDRs</div></div>
  </section>
  <section class="card w6"><h2>Messages per second</h2><svg class="chart" id="chart-rate"></svg><div class="legend" id="legend-rate"></div></section>
  <section class="card w6"><h2>Answers sent per second, by Result-Code</h2><svg class="chart" id="chart-rc"></svg><div class="legend" id="legend-rc"></div></section>
  <section class="card w12"><h2>Peers</h2><table id="peers"><thead><tr><th>Origin-Host</th><th>State</th><th>Watchdog</th><th>Connection</th><th>Realm</th><th>Product</th><th>Applications</th><th>Requests in</th><th>Requests out</th><th>Pending</th></tr></thead><tbody></tbody></table></section>
  <section class="card w8"><h2>Latest CDRs</h2><table id="cdrs"><thead><tr><th>Seq</th><th>Closed</th><th>Kind</th><th>Session-Id</th><th>Part</th><th>Duration</th><th>Cause</th><th>Served</th><th>Anomalies</th></tr></thead><tbody></tbody></table></section>
  <section class="card w4"><h2>Answer latency (ms)</h2><svg class="chart" id="chart-latency"></svg><div class="legend" id="legend-latency"></div></section>
  <section class="card w8"><h2>Open sessions</h2><table id="sessions"><thead><tr><th>Session-Id</th><th>Origin-Host</th><th>Opened</th><th>Last seen</th><th>Last record</th><th>Anomalies</th></tr></thead><tbody></tbody></table></section>
  <section class="card w4"><h2>Anomalies</h2><table id="anomalies"><thead><tr><th>Kind</th><th>Count</th></tr></thead><tbody></tbody></table></section>
  <section class="card w12"><h2>Behaviour rules</h2><table id="rules"><thead><tr><th>Id</th><th>Match</th><th>Action</th><th>Hits</th><th>Last hit</th></tr></thead><tbody></tbody></table></section>
</main>
<script>
(function () {
  'use strict';
  var WINDOW_MS = 5 * 60 * 1000;
  var samples = [];
  var token = new URLSearchParams(location.search).get('access_token');
  function withToken(path) { return token ? path + (path.indexOf('?') < 0 ? '?' : '&') + 'access_token=' + encodeURIComponent(token) : path; }
  function $(id) { return document.getElementById(id); }
  function fmt(n) {
    if (n === null || n === undefined) return '–';
    if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
    if (n >= 1e4) return (n / 1e3).toFixed(1) + 'k';
    return String(Math.round(n * 10) / 10);
  }
  function time(iso) { if (!iso) return ''; var d = new Date(iso); return d.toLocaleTimeString([], { hour12: false }); }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined && text !== null) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function fillTable(id, rows, cols, emptyText) {
    var tb = $(id).tBodies[0];
    var frag = document.createDocumentFragment();
    if (!rows.length) { var tr0 = el('tr'); var td0 = el('td', emptyText, 'empty'); td0.colSpan = cols; tr0.appendChild(td0); frag.appendChild(tr0); }
    rows.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (c) { if (c instanceof Node) { var td = el('td'); td.appendChild(c); tr.appendChild(td); } else tr.appendChild(el('td', c)); });
      frag.appendChild(tr);
    });
    tb.replaceChildren(frag);
  }
  function pills(list, bad) { var s = el('span'); (list || []).forEach(function (a) { s.appendChild(el('span', a, bad ? 'pill bad' : 'pill')); }); return s; }

  // ---- charts --------------------------------------------------------------------------------------
  var SVGNS = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs) { var e = document.createElementNS(SVGNS, tag); for (var k in attrs) e.setAttribute(k, attrs[k]); return e; }
  function niceMax(v) { if (v <= 0) return 1; var p = Math.pow(10, Math.floor(Math.log10(v))); var m = v / p; return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p; }
  function drawChart(svg, series, legend) {
    var w = svg.clientWidth || 600, h = svg.clientHeight || 180;
    var padL = 44, padR = 8, padT = 8, padB = 20;
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    // The last five minutes, or less while there is less history (at least one minute).
    var now = Date.now(), first = samples.length ? samples[0].t : now;
    var t0 = Math.max(now - WINDOW_MS, Math.min(first, now - 60000)), span = now - t0;
    var max = 0;
    series.forEach(function (s) { s.points.forEach(function (p) { if (p[0] >= t0 && p[1] > max) max = p[1]; }); });
    max = niceMax(max * 1.1);
    var kids = [];
    function x(t) { return padL + (w - padL - padR) * (t - t0) / span; }
    function y(v) { return padT + (h - padT - padB) * (1 - v / max); }
    for (var i = 0; i <= 4; i++) {
      var v = max * i / 4, yy = y(v);
      kids.push(svgEl('line', { x1: padL, x2: w - padR, y1: yy, y2: yy, stroke: '#e3e6ec' }));
      var lab = svgEl('text', { x: padL - 6, y: yy + 3, 'text-anchor': 'end' }); lab.textContent = fmt(v); kids.push(lab);
    }
    for (var m = 0; m <= 5; m++) {
      var ago = Math.round(span * (5 - m) / 5 / 1000);
      var tl = svgEl('text', { x: x(now - ago * 1000), y: h - 5, 'text-anchor': m === 0 ? 'start' : m === 5 ? 'end' : 'middle' });
      tl.textContent = m === 5 ? 'now' : ago < 120 ? '-' + ago + ' s' : '-' + Math.round(ago / 60) + ' min'; kids.push(tl);
    }
    series.forEach(function (s) {
      var pts = s.points.filter(function (p) { return p[0] >= t0; }).map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); });
      if (pts.length === 1) pts.push(pts[0]);
      var attrs = { points: pts.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 1.8, 'stroke-linejoin': 'round', 'data-series': s.name };
      // A dashed line lets one drawn under it show where both are equal (messages in = out).
      if (s.dash) attrs['stroke-dasharray'] = '6 4';
      if (pts.length) kids.push(svgEl('polyline', attrs));
    });
    svg.replaceChildren.apply(svg, kids);
    if (legend) {
      var lf = document.createDocumentFragment();
      series.forEach(function (s) { var it = el('span'); var sw = el('i'); sw.style.background = s.color; it.appendChild(sw); it.appendChild(document.createTextNode(s.name)); lf.appendChild(it); });
      legend.replaceChildren(lf);
    }
  }
  var RC_COLORS = { 2: ['#1f9d55', '#16a34a', '#65a30d'], 3: ['#d97706', '#ea580c'], 4: ['#ca8a04', '#a16207'], 5: ['#dc2626', '#b91c1c', '#be185d', '#7c2d12'] };
  function rcColor(code, i) { var c = RC_COLORS[String(code).charAt(0)] || ['#64748b']; return c[i % c.length]; }
  function redraw() {
    $('chart-rate').dataset.samples = String(samples.length);
    drawChart($('chart-rate'), [
      { name: 'in', color: 'var(--in)', points: samples.map(function (s) { return [s.t, s.rx]; }) },
      { name: 'out', color: 'var(--out)', dash: true, points: samples.map(function (s) { return [s.t, s.tx]; }) }
    ], $('legend-rate'));
    var codes = {};
    samples.forEach(function (s) { for (var k in s.rc) codes[k] = true; });
    var byClass = {};
    var rcSeries = Object.keys(codes).sort().map(function (code) {
      var cls = code.charAt(0); byClass[cls] = (byClass[cls] || 0) + 1;
      return { name: code, color: rcColor(code, byClass[cls] - 1), points: samples.map(function (s) { return [s.t, s.rc[code] || 0]; }) };
    });
    drawChart($('chart-rc'), rcSeries, $('legend-rc'));
    drawChart($('chart-latency'), [
      { name: 'p50', color: '#0891b2', points: samples.filter(function (s) { return s.p50 !== null; }).map(function (s) { return [s.t, s.p50 * 1000]; }) },
      { name: 'p99', color: '#db2777', points: samples.filter(function (s) { return s.p99 !== null; }).map(function (s) { return [s.t, s.p99 * 1000]; }) }
    ], $('legend-latency'));
    var last = samples[samples.length - 1];
    if (last) {
      $('rate-in').textContent = fmt(last.rx);
      $('rate-out').textContent = fmt(last.tx);
      $('kpi-latency').textContent = last.p99 === null ? '–' : (last.p99 * 1000).toFixed(last.p99 < 0.01 ? 2 : 1) + ' ms';
    }
  }

  // ---- state ---------------------------------------------------------------------------------------
  var RECORD = { 1: 'EVENT', 2: 'START', 3: 'INTERIM', 4: 'STOP' };
  function stateClass(s) { return /Open$/.test(s) ? 'open' : s === 'Closed' ? 'closed' : 'other'; }
  function describeMatch(m) { if (!m) return 'every request'; return Object.keys(m).map(function (k) { return k + '=' + JSON.stringify(m[k]); }).join(' '); }
  function describeAction(a) { return Object.keys(a || {}).map(function (k) { return a[k] === true ? k : k + '=' + JSON.stringify(a[k]); }).join(' '); }
  function render(snap) {
    var open = snap.peers.filter(function (p) { return /Open$/.test(p.state); }).length;
    $('kpi-peers').textContent = open + ' / ' + snap.peerCount;
    fillTable('peers', snap.peers.map(function (p) {
      return [p.originHost || p.key, el('span', p.state, 'state ' + stateClass(p.state)), p.watchdog, p.connection || '', p.originRealm || '', p.productName || '',
        p.applications.join(', '), p.requestsIn, p.requestsOut, p.pending];
    }), 10, 'no peer connected');
    fillTable('rules', snap.rules.map(function (r) { return [r.id, describeMatch(r.spec.match), describeAction(r.spec.action), r.hits + (r.exhausted ? ' (limit)' : ''), time(r.lastHitAt)]; }), 5, 'no behaviour rule');
    var c = snap.cdf;
    if (!c) {
      $('kpi-sessions').textContent = 'no CDF'; $('kpi-cdrs').textContent = '–';
      fillTable('cdrs', [], 9, 'running without the CDF (--no-cdf)');
      fillTable('sessions', [], 6, 'running without the CDF (--no-cdf)');
      fillTable('anomalies', [], 2, '–');
      return;
    }
    $('kpi-sessions').textContent = fmt(c.openSessions);
    $('kpi-cdrs').textContent = fmt(c.cdrsBuilt);
    fillTable('cdrs', c.cdrs.map(function (r) {
      return [r.seq, time(r.closed), r.kind, r.sessionId, r.part === null ? '' : r.part, r.duration + ' s', r.cause, r.served, pills(r.anomalies, true)];
    }), 9, c.error ? 'store: ' + c.error : 'no CDR yet');
    fillTable('sessions', c.sessions.map(function (s) {
      return [s.subSessionId === undefined ? s.sessionId : s.sessionId + ' [' + s.subSessionId + ']', s.originHost, time(s.openedAt), time(s.lastSeenAt),
        (RECORD[s.recordType] || s.recordType) + ' ' + s.lastRecordNumber, pills(s.anomalies, true)];
    }), 6, c.openSessions ? 'sessions not yet committed' : 'no open session');
    fillTable('anomalies', Object.keys(c.anomalies).sort().map(function (k) { return [k, c.anomalies[k]]; }), 2, 'none');
  }

  // ---- the stream ----------------------------------------------------------------------------------
  function status(cls, text) { $('conn-dot').className = 'dot ' + cls; $('conn-text').textContent = text; }
  var es = new EventSource(withToken('/api/events'));
  es.addEventListener('open', function () { status('ok', 'live'); });
  es.addEventListener('error', function () { status(es.readyState === 2 ? 'bad' : 'warn', es.readyState === 2 ? 'disconnected' : 'reconnecting'); });
  es.addEventListener('history', function (e) { samples = JSON.parse(e.data); redraw(); });
  es.addEventListener('sample', function (e) {
    samples.push(JSON.parse(e.data));
    var cut = Date.now() - 2 * WINDOW_MS; while (samples.length && samples[0].t < cut) samples.shift();
    redraw();
  });
  es.addEventListener('snapshot', function (e) { render(JSON.parse(e.data)); document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1); });
  window.addEventListener('resize', redraw);
})();
</script>
</body>
</html>
`;
