// mutexlab space-time diagram. Draws the events embedded in #data into the
// SVG, only those in the visible time window; see dataJSON in html.go for
// the data layout. No dependencies, no network.
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('data').textContent);
  var LEFT = D.geom.left, TOP = D.geom.top, LH = D.geom.laneH, RIGHT = 14;
  var L = D.lanes.length, EV = D.ev, E = EV.length / 6;
  var MS = D.msgs, MW = 8, M = MS.length / MW, BR = D.bars, B = BR.length / 4;
  var VC = D.vc;
  var DETAIL = 1500; // at most this many events in view are drawn one by one
  var LABELS = 1500; // at most this many get their labels, as many as fit
  var HIT = 8;       // hover distance in pixels

  function byId(id) { return document.getElementById(id); }
  var svg = byId('svg'), tip = byId('tip'), status = byId('status');
  var gAxis = byId('axis'), gConc = byId('conc'), gViol = byId('viol'), gBars = byId('bars');
  var gArrows = byId('arrows'), gEvents = byId('events'), gHl = byId('hl'), gStall = byId('stall');
  var clipRect = byId('clip-rect');

  function lane(i) { return EV[i * 6]; }
  function kind(i) { return D.kinds[EV[i * 6 + 1]]; }
  function tRel(i) { return EV[i * 6 + 2]; }
  function lc(i) { return EV[i * 6 + 3]; }
  function line(i) { return EV[i * 6 + 4]; }
  function text(i) { var s = EV[i * 6 + 5]; return s < 0 ? '' : D.strs[s]; }
  function vc(i, q) { return VC[i * L + q]; }
  function laneID(q) { return q >= 0 && q < L ? D.lanes[q][0] : '?'; }
  function laneY(q) { return TOP + q * LH + LH / 2; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function f1(x) { return Math.round(x * 10) / 10; }
  function cls(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, '_'); }

  // Events of each lane in order (the data lists events by t): the vector
  // clock's own entry of laneEv[q][k] is k+1.
  var laneEv = [], q, i, m, b;
  for (q = 0; q < L; q++) laneEv.push([]);
  for (i = 0; i < E; i++) laneEv[lane(i)].push(i);

  var msgOf = new Int32Array(E).fill(-1), barOf = new Int32Array(E).fill(-1);
  function mf(m, k) { return MS[m * MW + k]; } // 0 send 1 recv 2 drop 3 type 4 ts 5 seq 6 from 7 to
  for (m = 0; m < M; m++) for (var k = 0; k < 3; k++) if (mf(m, k) >= 0) msgOf[mf(m, k)] = m;
  for (b = 0; b < B; b++) {
    barOf[BR[b * 4 + 1]] = b;
    if (BR[b * 4 + 2] >= 0) barOf[BR[b * 4 + 2]] = b;
  }
  var badEv = new Uint8Array(E), badBar = new Uint8Array(B);
  D.viol.forEach(function (v) {
    v.ev.forEach(function (i) {
      badEv[i] = 1;
      if (barOf[i] >= 0) badBar[barOf[i]] = 1;
    });
  });
  // The Lamport timestamp is written once per run of equal clocks on a lane.
  var lcFirst = new Uint8Array(E);
  laneEv.forEach(function (a) {
    for (var j = 0; j < a.length; j++) lcFirst[a[j]] = j === 0 || lc(a[j]) !== lc(a[j - 1]) ? 1 : 0;
  });

  // Positions in both layouts. Lamport layout: x orders events by their
  // clocks, and each clock value is a column as wide as the most events
  // one lane has at that value: a critical section's prints share the
  // clock of its entry, so a section is as wide as its events rather than
  // a tick, and a broadcast's sends stand side by side.
  var pos = { wall: new Float64Array(E), lamport: new Float64Array(E) };
  for (i = 0; i < E; i++) pos.wall[i] = tRel(i);
  var lcWidth = new Map();
  laneEv.forEach(function (a) {
    var cnt = new Map();
    a.forEach(function (i) {
      var v = lc(i), c = (cnt.get(v) || 0) + 1;
      cnt.set(v, c);
      if (c > (lcWidth.get(v) || 0)) lcWidth.set(v, c);
    });
  });
  var colVal = Array.from(lcWidth.keys()).sort(function (a, b) { return a - b; });
  var colStart = [], lcBase = new Map(), acc = 0;
  colVal.forEach(function (v) { lcBase.set(v, acc); colStart.push(acc); acc += lcWidth.get(v); });
  laneEv.forEach(function (a) {
    var cnt = new Map();
    a.forEach(function (i) {
      var v = lc(i), c = cnt.get(v) || 0;
      cnt.set(v, c + 1);
      pos.lamport[i] = lcBase.get(v) + c;
    });
  });
  // colAt returns the column at Lamport-layout position p.
  function colAt(p) {
    var lo = 0, hi = colStart.length - 1;
    if (hi < 0) return -1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (colStart[mid] <= p) lo = mid; else hi = mid - 1;
    }
    return lo;
  }
  function lcAt(p) { var k = colAt(p); return k < 0 ? 0 : colVal[k]; }
  function sortedBy(P, idx) {
    return Int32Array.from(idx).sort(function (a, b) { return P[a] - P[b] || a - b; });
  }
  var all = new Int32Array(E);
  for (i = 0; i < E; i++) all[i] = i;
  var order = {}, laneOrder = {};
  ['wall', 'lamport'].forEach(function (md) {
    order[md] = sortedBy(pos[md], all);
    laneOrder[md] = laneEv.map(function (a) { return sortedBy(pos[md], a); });
  });
  // lower returns the first k with P[arr[k]] >= x.
  function lower(arr, P, x) {
    var lo = 0, hi = arr.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (P[arr[mid]] < x) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  var mode = 'wall', P = pos.wall, v0 = 0, v1 = 1, scale = 1;
  var hover = -1, pinned = -1, dotMap = null, concEls = [];
  function extent() {
    var o = order[mode];
    if (!E) return [0, 1];
    return [P[o[0]], P[o[E - 1]]];
  }
  function minSpan() { return mode === 'wall' ? 1000 : 2; }
  function fit() {
    var ex = extent(), span = Math.max(ex[1] - ex[0], minSpan());
    v0 = ex[0] - span * 0.03;
    v1 = ex[0] + span * 1.03;
  }
  var W = 1000; // the SVG's width in pixels, measured at each render
  function plotW() { return Math.max(60, W - LEFT - RIGHT); }
  function X(p) { return LEFT + (p - v0) * scale; }
  function setView(a, z) {
    var ex = extent(), full = Math.max(ex[1] - ex[0], minSpan()) * 3, span = z - a;
    span = Math.min(Math.max(span, minSpan()), full);
    var c = (a + z) / 2;
    v0 = c - span / 2;
    v1 = c + span / 2;
  }
  function zoom(factor, at) {
    if (at === undefined) at = (v0 + v1) / 2;
    setView(at - (at - v0) * factor, at + (v1 - at) * factor);
    // keep the point under the cursor in place after clamping
    var s = v1 - v0, frac = (at - v0) / s;
    if (isFinite(frac)) { v0 = at - frac * s; v1 = v0 + s; }
  }

  // ---- drawing ----
  // Labels are placed greedily: one that would overlap a label already
  // placed is left out (hovering still tells everything).
  // The placed boxes are kept in a grid of 64x16 pixel cells.
  var boxes = new Map();
  function place(x, y, w, h) {
    var x0 = x - w / 2, x1 = x0 + w, y0 = y - h, cells = [], cx, cy, k;
    for (cx = Math.floor(x0 / 64); cx <= Math.floor(x1 / 64); cx++) {
      for (cy = Math.floor(y0 / 16); cy <= Math.floor(y / 16); cy++) {
        var key = cx + ',' + cy, list = boxes.get(key);
        if (!list) { list = []; boxes.set(key, list); }
        for (k = 0; k < list.length; k++) {
          var b = list[k];
          if (x0 < b[2] && b[0] < x1 && y0 < b[3] && b[1] < y) return false;
        }
        cells.push(list);
      }
    }
    var box = [x0, y0, x1, y];
    cells.forEach(function (list) { list.push(box); });
    return true;
  }
  function niceStep(x) {
    var e = Math.pow(10, Math.floor(Math.log10(x))), f = x / e;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e;
  }
  function fmtTime(ns, step) {
    var units = [[1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']];
    for (var u = 0; u < units.length; u++) {
      if (step >= units[u][0] / 10 || u === units.length - 1) {
        var d = Math.max(0, Math.ceil(-Math.log10(step / units[u][0]) - 1e-9));
        return (ns / units[u][0]).toFixed(Math.min(d, 6)) + ' ' + units[u][1];
      }
    }
  }
  function drawAxis() {
    var out = ['<line class="axis-line" x1="' + LEFT + '" y1="' + (TOP - 1) + '" x2="100%" y2="' + (TOP - 1) + '"/>'];
    out.push('<text class="axis-label" x="8" y="' + (TOP - 12) + '">' + (mode === 'wall' ? 'wall time' : 'Lamport time') + '</text>');
    var bottom = TOP + L * LH, ticks = [];
    if (mode === 'wall') {
      var step = niceStep((v1 - v0) / Math.max(2, plotW() / 110));
      for (var p = Math.ceil(v0 / step) * step, n = 0; p <= v1 && n < 200; p += step, n++) ticks.push([p, fmtTime(p, step)]);
    } else if (colVal.length) {
      // A tick at the first column of each step of clock values.
      var lo = lcAt(v0), hi = lcAt(v1), lstep = Math.max(1, Math.round(niceStep((hi - lo + 1) / Math.max(2, plotW() / 110)))), last = -1;
      for (var v = Math.ceil(lo / lstep) * lstep, n2 = 0; v <= hi && n2 < 200; v += lstep, n2++) {
        var k = lcBase.has(v) ? colAt(lcBase.get(v)) : colVal.findIndex(function (x) { return x >= v; });
        if (k < 0 || colVal[k] >= v + lstep || k === last) continue;
        last = k;
        ticks.push([colStart[k], String(colVal[k])]);
      }
    }
    var prevX = -1e9;
    ticks.forEach(function (tk) {
      var x = f1(X(tk[0]));
      if (x < LEFT + 8 || x > W - 8 || x - prevX < 36) return; // a label cut by an edge or crowding another: left out
      prevX = x;
      out.push('<g class="tick"><line x1="' + x + '" y1="' + (TOP - 5) + '" x2="' + x + '" y2="' + bottom + '"/><text x="' + x +
        '" y="' + (TOP - 12) + '">' + esc(tk[1]) + '</text></g>');
    });
    gAxis.innerHTML = out.join('');
  }
  // clampX keeps a label of width w centred at x inside the plot.
  function clampX(x, w) { return Math.min(Math.max(x, LEFT + w / 2 + 2), W - w / 2 - 2); }
  function barEnd(b) {
    var ex = BR[b * 4 + 2];
    return ex >= 0 ? P[ex] : extent()[1];
  }
  function drawBars(detail, labels, lo, hi) {
    var out = [], dense = [];
    for (var b = 0; b < B; b++) {
      var q = BR[b * 4], en = BR[b * 4 + 1], ex = BR[b * 4 + 2], round = BR[b * 4 + 3];
      var a = P[en], z = barEnd(b);
      if (z < lo || a > hi) continue;
      var x0 = f1(X(a)), w = f1(Math.max(2, X(z) - X(a))), y = laneY(q) - 6;
      if (!detail && !badBar[b]) {
        dense.push('M' + x0 + ' ' + y + 'h' + w + 'v12h' + (-w) + 'z');
        continue;
      }
      out.push('<rect class="bar' + (ex < 0 ? ' open' : '') + (badBar[b] ? ' bad' : '') + '" data-b="' + b + '" x="' + x0 +
        '" y="' + y + '" width="' + w + '" height="12"/>');
      var rl = 'r' + round, lw = rl.length * 6 + 2, lx = f1(clampX(+x0 + lw / 2, lw) - lw / 2);
      if (labels && round > 0 && place(lx + lw / 2, y + 23, lw, 10)) {
        out.push('<text class="bar-label" x="' + lx + '" y="' + (y + 23) + '">' + rl + '</text>');
      }
    }
    if (dense.length) out.unshift('<path class="dense-bars" d="' + dense.join('') + '"/>');
    gBars.innerHTML = out.join('');
  }
  function typeName(t) { return D.types[t] ? D.types[t][0] : '?'; }
  function typeColor(t) { return D.types[t] ? D.types[t][1] : '#888'; }
  function drawArrows(detail, labels, lo, hi) {
    var out = [], dense = {};
    for (var m = 0; m < M; m++) {
      var s = mf(m, 0), r = mf(m, 1), d = mf(m, 2), t = mf(m, 3), end = r >= 0 ? r : d;
      var col = typeColor(t), x1, y1, x2, y2;
      if (s >= 0 && end >= 0) {
        var ps = P[s], pe = P[end];
        if (Math.max(ps, pe) < lo || Math.min(ps, pe) > hi) continue;
        x1 = X(ps); y1 = laneY(lane(s)); x2 = X(pe); y2 = laneY(lane(end));
        if (!detail) {
          (dense[t] = dense[t] || []).push('M' + f1(x1) + ' ' + y1 + 'L' + f1(x2) + ' ' + y2);
          continue;
        }
        var dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy) || 1;
        x2 -= dx / len * 4.5; y2 -= dy / len * 4.5;
        out.push('<line class="arrow' + (r < 0 ? ' dropped' : '') + '" data-m="' + m + '" x1="' + f1(x1) + '" y1="' + y1 +
          '" x2="' + f1(x2) + '" y2="' + f1(y2) + '" stroke="' + col + '" marker-end="url(#ah' + t + ')"/>');
        var mw = typeName(t).length * 6.2 + 4, mx = clampX((x1 + x2) / 2, mw);
        if (labels && place(mx, (y1 + y2) / 2 - 2, mw, 11)) {
          out.push('<text class="mlabel" x="' + f1(mx) + '" y="' + f1((y1 + y2) / 2 - 3) + '" fill="' + col + '">' +
            esc(typeName(t)) + '</text>');
        }
      } else if (detail) {
        // one end is missing: a short dashed stub toward the other lane
        var own = s >= 0 ? s : end, p = P[own];
        if (p < lo || p > hi) continue;
        var other = s >= 0 ? mf(m, 7) : mf(m, 6), oy = other >= 0 ? laneY(other) : laneY(lane(own)) - LH / 2;
        var x = X(p), y = laneY(lane(own)), sy = Math.sign(oy - y) * Math.min(Math.abs(oy - y), LH * 0.6);
        if (s >= 0) { x1 = x; y1 = y; x2 = x + 28; y2 = y + sy; } else { x1 = x - 28; y1 = y + sy; x2 = x; y2 = y; }
        out.push('<line class="stub" data-m="' + m + '" x1="' + f1(x1) + '" y1="' + f1(y1) + '" x2="' + f1(x2) + '" y2="' + f1(y2) +
          '" stroke="' + col + '"/>');
        var sl = typeName(t) + (s >= 0 ? ' ?' : ''), sw = sl.length * 6.2 + 4;
        var sx = clampX(s >= 0 ? x2 + 4 + sw / 2 : x1 - 4 - sw / 2, sw);
        if (labels && place(sx, s >= 0 ? y2 : y1, sw, 11)) {
          out.push('<text class="mlabel" x="' + f1(sx) + '" y="' + f1(s >= 0 ? y2 : y1) + '" fill="' + col + '">' + esc(sl) + '</text>');
        }
      }
    }
    Object.keys(dense).forEach(function (t) {
      out.unshift('<path class="dense-arrows" stroke="' + typeColor(+t) + '" d="' + dense[t].join('') + '"/>');
    });
    gArrows.innerHTML = out.join('');
  }
  function drawEvents(a, z, detail, labels) {
    var ord = order[mode], out = [];
    if (!detail) {
      var paths = [], last = [];
      for (var q = 0; q < L; q++) { paths.push([]); last.push(-1e9); }
      for (var k = a; k < z; k++) {
        var i = ord[k], q2 = lane(i), x = Math.round(X(P[i]) * 2) / 2;
        if (x === last[q2]) continue;
        last[q2] = x;
        paths[q2].push('M' + x + ' ' + (laneY(q2) - 5) + 'v10');
      }
      paths.forEach(function (p) { if (p.length) out.push('<path class="dense" d="' + p.join('') + '"/>'); });
      gEvents.innerHTML = out.join('');
      return;
    }
    for (var k2 = a; k2 < z; k2++) {
      var j = ord[k2], kd = kind(j), xj = f1(X(P[j])), yj = laneY(lane(j));
      out.push('<circle class="ev k-' + cls(kd) + (badEv[j] ? ' bad' : '') + '" data-e="' + j + '" cx="' + xj + '" cy="' + yj +
        '" r="' + (kd === 'print' ? 2.2 : 4) + '"/>');
      if (kd === 'drop') {
        out.push('<path class="cross" d="M' + (xj - 5) + ' ' + (yj - 5) + 'l10 10m0 -10l-10 10"/>');
      }
      var lw2 = String(lc(j)).length * 5.6 + 3, lx2 = f1(clampX(+xj, lw2));
      if (labels && lcFirst[j] && place(lx2, yj - 7, lw2, 10)) {
        out.push('<text class="lc" x="' + lx2 + '" y="' + (yj - 8) + '">' + lc(j) + '</text>');
      }
    }
    gEvents.innerHTML = out.join('');
  }
  // violationRange is the time span of a violation's events, critical
  // sections included.
  function violationRange(v) {
    var lo = Infinity, hi = -Infinity;
    v.ev.forEach(function (i) {
      lo = Math.min(lo, P[i]); hi = Math.max(hi, P[i]);
      var b = barOf[i];
      if (b >= 0) { lo = Math.min(lo, P[BR[b * 4 + 1]]); hi = Math.max(hi, barEnd(b)); }
    });
    return [lo, hi];
  }
  // drawViolations draws each root cause as a red band over its lanes,
  // numbered as in the panel; what follows from it shows as red events.
  // Its label is placed before any other, so no clock covers it.
  function drawViolations() {
    var out = [];
    D.viol.forEach(function (v, vi) {
      if (!v.ev.length || v.follows >= 0 || isStall(v)) return;
      var r = violationRange(v), x0 = X(r[0]) - 7, w = Math.max(14, X(r[1]) - X(r[0]) + 14);
      var lanes = v.lanes.length ? v.lanes : v.ev.map(lane);
      lanes = lanes.slice().sort(function (a, b) { return a - b; });
      var title = '<title>' + esc(v.num + ': ' + v.text) + '</title>';
      for (var j = 0; j < lanes.length;) {
        var k = j;
        while (k + 1 < lanes.length && lanes[k + 1] <= lanes[k] + 1) k++;
        out.push('<rect class="vband" data-v="' + vi + '" x="' + f1(x0) + '" y="' + (TOP + lanes[j] * LH + 2) + '" width="' + f1(w) +
          '" height="' + ((lanes[k] - lanes[j] + 1) * LH - 4) + '">' + title + '</rect>');
        j = k + 1;
      }
      // The number goes just left of the band, where it covers no clock;
      // inside its corner when the band starts at the plot's edge.
      var label = '⚠ ' + v.num, lw = label.length * 7 + 6, ly = TOP + lanes[0] * LH + 13;
      var lx = x0 - lw / 2 - 2 >= LEFT + lw / 2 ? x0 - lw / 2 - 2 : clampX(Math.max(x0, LEFT) + lw / 2 + 2, lw);
      if (X(r[1]) + 7 >= LEFT && x0 <= W && place(lx, ly + 1, lw, 13)) {
        out.push('<text class="vlabel" data-v="' + vi + '" x="' + f1(lx - lw / 2) + '" y="' + ly + '">' + label + title + '</text>');
      }
    });
    gViol.innerHTML = out.join('');
  }

  // ---- the stall: who waits for whom when the run stopped ----
  // Edges are [from lane, to lane, what, block event, on the cycle]: the
  // waiting node's lane points at the lane of the node it waits for, right
  // after the last block, a deadlock's cycle in bold.
  // A wait on no one in particular (a TOKEN from anyone) has no lane to
  // point at (to = -1): it is said in words only.
  var ST = D.stall && D.stall.edges.length ? D.stall : null;
  var stallBlocks = new Set();
  if (ST) ST.edges.forEach(function (e) { if (e[3] >= 0) stallBlocks.add(e[3]); });
  // stallPos is where the run stopped: its last event before the exits
  // (a real run ends a stall 1.5 s later).
  // In the Lamport layout the exits come after it (their clocks are the
  // nodes' last): the waits are drawn past them.
  function stallPos() {
    var p = -Infinity;
    for (var k = 0; k < E; k++) if (mode === 'lamport' || kind(k) !== 'exit') p = Math.max(p, P[k]);
    return isFinite(p) ? p : extent()[1];
  }
  // isStall tells the stall's own finding: all its events are the blocks
  // of the stall. It is drawn as the waits, not as a band.
  function isStall(v) {
    return ST && v.ev.length > 0 && v.ev.every(function (i) { return stallBlocks.has(i); });
  }
  var WAIT_GAP = 13; // pixels between two wait arrows
  function drawStall() {
    if (!ST) return;
    var all = ST.edges.slice().sort(function (a, b) { return (b[4] ? 1 : 0) - (a[4] ? 1 : 0); });
    var edges = all.filter(function (e) { return e[1] >= 0; });
    var x0 = X(stallPos()) + 18, out = [], minL = L, maxL = -1, from = {};
    all.forEach(function (e) {
      minL = Math.min(minL, e[0], e[1] >= 0 ? e[1] : e[0]); maxL = Math.max(maxL, e[0], e[1]);
      (from[e[0]] = from[e[0]] || []).push(e);
    });
    var title = '<title>' + esc((ST.cycle ? '' : 'stalled: ') + ST.text) + '</title>';
    out.push('<line class="stop-line" x1="' + f1(x0 - 9) + '" y1="' + (TOP + minL * LH + 3) + '" x2="' + f1(x0 - 9) + '" y2="' +
      (TOP + (maxL + 1) * LH - 3) + '">' + title + '</line>');
    edges.forEach(function (e, k) {
      var x = f1(x0 + k * WAIT_GAP), ya = laneY(e[0]), yb = laneY(e[1]), sgn = yb > ya ? 1 : -1;
      out.push('<circle class="wait-from' + (e[4] ? ' cycle' : '') + '" cx="' + x + '" cy="' + ya + '" r="2.6"/>');
      out.push('<line class="wait' + (e[4] ? ' cycle' : '') + '" x1="' + x + '" y1="' + ya + '" x2="' + x + '" y2="' + (yb - sgn * 5) +
        '" marker-end="url(#ahwait)"><title>' + esc(laneID(e[0]) + ' waits for ' + e[2] + ' from ' + laneID(e[1])) + '</title></line>');
    });
    // One line of words per waiting lane, right of the arrows, if it fits.
    var xt = x0 + edges.length * WAIT_GAP + 4;
    // The stall's number, as in the panel, and what it is, left of the stop.
    var num = '';
    D.viol.forEach(function (v) { if (!num && v.follows < 0 && isStall(v)) num = '⚠ ' + v.num + ' '; });
    var head = num + (ST.cycle ? 'deadlock' : 'stalled'), hw = head.length * 6.6 + 6, hx = x0 - 14 - hw / 2;
    if (hx - hw / 2 >= LEFT && place(hx, TOP + minL * LH + 12, hw, 12)) {
      out.push('<text class="stall-head" x="' + f1(x0 - 14) + '" y="' + (TOP + minL * LH + 11) + '" style="text-anchor:end">' + esc(head) + title + '</text>');
    }
    Object.keys(from).forEach(function (q) {
      var es = from[q], what = es[0][2], who = es.filter(function (e) { return e[1] >= 0; }).map(function (e) { return laneID(e[1]); }).join(',');
      var text = 'waits for ' + what + (who ? ' from ' + who : ''), w = text.length * 6 + 6, y = laneY(+q) - 5;
      if (xt + w <= W - 2 && xt >= LEFT && place(xt + w / 2, y + 1, w, 12)) {
        out.push('<text class="wait-label" x="' + f1(xt) + '" y="' + y + '">' + esc(text) + '</text>');
      }
    });
    gStall.innerHTML = out.join('');
  }

  // ---- opening on the failure ----
  // focusFailure shows where the run went wrong: a stall's last steps with
  // room on the right for who waits for whom, or the first root cause.
  function focusFailure() {
    var root = document.documentElement;
    if (ST) {
      var hi = stallPos(), ord = order[mode], k = lower(ord, P, hi + 1e-9);
      var lo = P[ord[Math.max(0, k - 30)]], span = Math.max(hi - lo, minSpan() * 4);
      // The waits take about (edges + 14) * WAIT_GAP pixels right of the stop.
      var room = Math.min(0.6, ((ST.edges.length + 16) * WAIT_GAP) / plotW());
      setView(lo - span * 0.04, hi + (span * 1.04) * room / (1 - room));
      root.setAttribute('data-focus', 'stall');
      return;
    }
    for (var vi = 0; vi < D.viol.length; vi++) {
      var v = D.viol[vi];
      if (v.follows < 0 && v.ev.length) {
        focusViolation(v);
        root.setAttribute('data-focus', 'violation');
        return;
      }
    }
    fit();
    root.setAttribute('data-focus', 'all');
  }
  function focusViolation(v) {
    var r = violationRange(v), span = Math.max(r[1] - r[0], minSpan() * 4);
    setView(r[0] - span * 0.4, r[1] + span * 0.4);
  }

  // ---- concurrency ----
  // concurrent returns, per lane, the range [c0, c1) of laneEv indices of
  // the events concurrent with i: those after the last one that happened
  // before i (vc(i, q) of them) and before the first one that i happened
  // before (found by binary search on the lane's view of i's process).
  function concurrent(i) {
    var p = lane(i), own = vc(i, p), res = [];
    for (var q = 0; q < L; q++) {
      if (q === p) { res.push(null); continue; }
      var a = laneEv[q], c0 = Math.min(vc(i, q), a.length), lo = c0, hi = a.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (vc(a[mid], p) >= own) hi = mid; else lo = mid + 1;
      }
      res.push(lo > c0 ? [c0, lo] : null);
    }
    return res;
  }
  function clearConc() {
    concEls.forEach(function (el) { el.classList.remove('conc'); });
    concEls = [];
  }
  function drawHighlight() {
    clearConc();
    gConc.innerHTML = '';
    gHl.innerHTML = '';
    var i = pinned >= 0 ? pinned : hover;
    emit('select', i);
    if (i < 0) return 0;
    if (!dotMap) {
      dotMap = new Map();
      gEvents.querySelectorAll('[data-e]').forEach(function (el) { dotMap.set(+el.getAttribute('data-e'), el); });
    }
    var out = [], total = 0;
    concurrent(i).forEach(function (r, q) {
      if (!r) return;
      var a = laneEv[q], pa = P[a[r[0]]], pz = P[a[r[1] - 1]];
      total += r[1] - r[0];
      var x0 = X(Math.min(pa, pz)) - 6, x1 = X(Math.max(pa, pz)) + 6;
      out.push('<rect class="conc-band" x="' + f1(x0) + '" y="' + (laneY(q) - 12) + '" width="' + f1(x1 - x0) + '" height="24"/>');
      if (dotMap.size) {
        for (var j = r[0]; j < r[1]; j++) {
          var el = dotMap.get(a[j]);
          if (el) { el.classList.add('conc'); concEls.push(el); }
        }
      }
    });
    gConc.innerHTML = out.join('');
    gHl.innerHTML = '<circle class="sel" cx="' + f1(X(P[i])) + '" cy="' + laneY(lane(i)) + '" r="8"/>';
    return total;
  }

  // ---- tooltip ----
  function fmtNs(ns) {
    if (Math.abs(ns) >= 1e9) return (ns / 1e9).toFixed(6) + ' s';
    if (Math.abs(ns) >= 1e6) return (ns / 1e6).toFixed(3) + ' ms';
    if (Math.abs(ns) >= 1e3) return (ns / 1e3).toFixed(3) + ' µs';
    return ns + ' ns';
  }
  function vcText(i) {
    var parts = [];
    for (var q = 0; q < L; q++) {
      var v = vc(i, q);
      if (L <= 12 || v) parts.push(JSON.stringify(laneID(q)) + ':' + v);
    }
    return '{' + parts.join(',') + '}';
  }
  function msgJSON(m) {
    var s = mf(m, 0), pay = D.pay[m] || {};
    return '{"type":' + JSON.stringify(typeName(mf(m, 3))) + ',"sender":' + JSON.stringify(laneID(mf(m, 6))) + ',"ts":' + mf(m, 4) +
      ',"payload":' + JSON.stringify(pay) + '}' + (s < 0 ? ' (send not in the trace)' : '');
  }
  function describe(i) {
    var kd = kind(i), m = msgOf[i], b = barOf[i], tx = text(i);
    switch (kd) {
      case 'send': return 'send ' + typeName(mf(m, 3)) + ' → ' + laneID(mf(m, 7));
      case 'recv': return 'recv ' + typeName(mf(m, 3)) + ' ← ' + laneID(mf(m, 6));
      case 'drop': return 'drop ' + typeName(mf(m, 3)) + ' from ' + laneID(mf(m, 6));
      case 'cs_enter': return 'enters the critical section' + (b >= 0 && BR[b * 4 + 3] ? ', round ' + BR[b * 4 + 3] : '');
      case 'cs_exit': return 'leaves the critical section' + (b >= 0 && BR[b * 4 + 3] ? ', round ' + BR[b * 4 + 3] : '');
      case 'print': return 'prints “' + tx + '”';
      case 'block': return 'waits: ' + tx;
      case 'unblock': return 'runs again';
      case 'finish': return 'has finished its rounds';
      default: return kd + (tx ? ': ' + tx : '');
    }
  }
  // vname names a violation as the panel does: its root's number, and
  // "follows from" for a consequence.
  function vname(v) { return v.follows >= 0 ? D.viol[v.follows].num + ' (follows from it)' : String(v.num); }
  function eventTip(i, conc) {
    var h = '<div class="h">' + esc(laneID(lane(i)) + ' · ' + describe(i)) + '</div>';
    h += '<div class="m">trace line ' + line(i) + ' · t = ' + esc(fmtNs(tRel(i))) + '</div>';
    h += '<div>Lamport clock <b>' + lc(i) + '</b></div>';
    h += '<div>vector clock <code>' + esc(vcText(i)) + '</code></div>';
    var m = msgOf[i];
    if (m >= 0) {
      h += '<div>message' + (mf(m, 5) ? ' #' + mf(m, 5) + ' on ' + esc(laneID(mf(m, 6)) + '→' + laneID(mf(m, 7))) : '') +
        (mf(m, 1) < 0 && mf(m, 2) < 0 ? ' <span class="bad">(never received)</span>' : '') + '<pre>' + esc(msgJSON(m)) + '</pre></div>';
    }
    h += '<div>concurrent with <b>' + conc + '</b> event' + (conc === 1 ? '' : 's') + (conc ? ' (highlighted)' : '') + '</div>';
    D.viol.forEach(function (v) {
      if (v.ev.indexOf(i) >= 0) h += '<div class="bad">⚠ ' + vname(v) + ': ' + esc(v.text) + '</div>';
    });
    return h;
  }
  function showTip(html, cx, cy) {
    tip.innerHTML = html;
    tip.hidden = false;
    var w = tip.offsetWidth, hgt = tip.offsetHeight;
    var x = cx + 16, y = cy + 16;
    if (x + w > window.innerWidth - 4) x = Math.max(4, cx - w - 16);
    if (y + hgt > window.innerHeight - 4) y = Math.max(4, cy - hgt - 16);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.hidden = true; }

  // ---- render ----
  var pending = false;
  function render() {
    pending = false;
    W = svg.getBoundingClientRect().width || svg.clientWidth || W;
    scale = plotW() / (v1 - v0);
    clipRect.setAttribute('width', Math.max(0, W - LEFT));
    var margin = 24 / scale, lo = v0 - margin, hi = v1 + margin, ord = order[mode];
    var a = lower(ord, P, lo), z = lower(ord, P, hi), n = z - a;
    var detail = n <= DETAIL, labels = n <= LABELS;
    boxes = new Map();
    drawAxis();
    // Labels are placed in order of importance: the failures first.
    drawViolations();
    gStall.innerHTML = '';
    drawStall();
    drawEvents(a, z, detail, labels);
    drawBars(detail, labels, lo, hi);
    drawArrows(detail, labels, lo, hi);
    dotMap = null;
    drawHighlight();
    var range = mode === 'wall' ? fmtNs(Math.max(0, v0)) + ' – ' + fmtNs(v1) : 'Lamport ' + lcAt(Math.max(0, v0)) + ' – ' + lcAt(v1);
    status.className = detail ? '' : 'compact';
    status.textContent = (ST ? (ST.cycle ? '' : 'stalled: ') + ST.text + ' · ' : '') + range + ' · ' + n + ' of ' + E + ' events in view' +
      (detail ? '' : ' · compact drawing: zoom in (wheel or +) to see single events and hover them');
    var root = document.documentElement;
    root.setAttribute('data-mode', mode);
    root.setAttribute('data-detail', detail ? '1' : '0');
    root.setAttribute('data-ready', '1');
    emit('render');
  }
  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(render); }
  }

  // ---- interaction ----
  function svgPoint(e) {
    var r = svg.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }
  function nearest(x, y) {
    var q = Math.floor((y - TOP) / LH);
    if (q < 0 || q >= L || x < LEFT) return -1;
    var arr = laneOrder[mode][q], p = v0 + (x - LEFT) / scale, k = lower(arr, P, p), best = -1, bd = HIT;
    for (var c = Math.max(0, k - 1); c <= Math.min(arr.length - 1, k); c++) {
      var d = Math.abs(X(P[arr[c]]) - x);
      if (d <= bd) { bd = d; best = arr[c]; }
    }
    return best;
  }
  var drag = null;
  svg.addEventListener('mousedown', function (e) {
    if (e.button !== 0) return;
    drag = { x: e.clientX, v0: v0, v1: v1, moved: false };
    e.preventDefault();
  });
  window.addEventListener('mousemove', function (e) {
    if (drag) {
      var dx = e.clientX - drag.x;
      if (Math.abs(dx) > 3) { drag.moved = true; svg.classList.add('dragging'); }
      if (drag.moved) {
        v0 = drag.v0 - dx / scale;
        v1 = drag.v1 - dx / scale;
        hideTip();
        schedule();
        return;
      }
    }
    if (e.target !== svg && !svg.contains(e.target)) {
      if (hover >= 0 && pinned < 0) { hover = -1; drawHighlight(); hideTip(); }
      return;
    }
    var pt = svgPoint(e), i = nearest(pt[0], pt[1]);
    if (i !== hover) {
      hover = i;
      if (pinned < 0) {
        var n = drawHighlight();
        if (i >= 0) showTip(eventTip(i, n), e.clientX, e.clientY);
      }
    }
    if (pinned >= 0) return;
    if (i >= 0) {
      showTip(tip.innerHTML, e.clientX, e.clientY);
    } else {
      var m = e.target.getAttribute && e.target.getAttribute('data-m');
      var v = e.target.getAttribute && e.target.getAttribute('data-v');
      if (m !== null && m !== undefined) {
        showTip('<div class="h">' + esc(laneID(mf(+m, 6)) + ' → ' + laneID(mf(+m, 7)) + ' ' + typeName(mf(+m, 3))) + '</div><pre>' +
          esc(msgJSON(+m)) + '</pre>', e.clientX, e.clientY);
      } else if (v !== null && v !== undefined) {
        showTip('<div class="bad">⚠ ' + vname(D.viol[+v]) + ': ' + esc(D.viol[+v].text) + '</div>', e.clientX, e.clientY);
      } else {
        hideTip();
      }
    }
  });
  window.addEventListener('mouseup', function (e) {
    if (!drag) return;
    var moved = drag.moved;
    drag = null;
    svg.classList.remove('dragging');
    if (moved) return;
    // a click: pin or unpin the hovered event
    pinned = hover >= 0 && pinned !== hover ? hover : -1;
    var n = drawHighlight();
    if (pinned >= 0) showTip(eventTip(pinned, n), e.clientX, e.clientY); else hideTip();
  });
  svg.addEventListener('wheel', function (e) {
    if (svgPoint(e)[0] < LEFT) return; // over the names: scroll the page
    e.preventDefault();
    var dx = e.deltaX, dy = e.deltaY;
    if (e.deltaMode === 1) { dx *= 16; dy *= 16; }
    if (e.shiftKey || Math.abs(dx) > Math.abs(dy)) {
      var d = (Math.abs(dx) > Math.abs(dy) ? dx : dy) / scale;
      v0 += d; v1 += d;
    } else {
      var pt = svgPoint(e);
      zoom(Math.exp(dy * 0.0015), v0 + (pt[0] - LEFT) / scale);
    }
    hideTip();
    schedule();
  }, { passive: false });
  function setMode(md) {
    if (md === mode) return;
    mode = md;
    P = pos[mode];
    hover = -1;
    hideTip();
    W = svg.getBoundingClientRect().width || W;
    focusFailure();
    render();
  }
  document.querySelectorAll('input[name=mode]').forEach(function (el) {
    el.checked = el.value === mode;
    el.addEventListener('change', function () { if (el.checked) setMode(el.value); });
  });
  byId('zoom-in').addEventListener('click', function () { zoom(0.5); render(); });
  byId('zoom-out').addEventListener('click', function () { zoom(2); render(); });
  byId('zoom-fit').addEventListener('click', function () { fit(); render(); });
  document.addEventListener('keydown', function (e) {
    if (e.target && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) && e.target.type !== 'radio') return;
    var s = v1 - v0;
    switch (e.key) {
      case '+': case '=': zoom(0.5); break;
      case '-': case '_': zoom(2); break;
      case '0': fit(); break;
      case 'ArrowLeft': v0 -= s * 0.2; v1 -= s * 0.2; break;
      case 'ArrowRight': v0 += s * 0.2; v1 += s * 0.2; break;
      case 'Escape': pinned = -1; hover = -1; drawHighlight(); hideTip(); return;
      default: return;
    }
    e.preventDefault();
    render();
  });
  document.querySelectorAll('#violations li[data-v]').forEach(function (li) {
    li.addEventListener('click', function (e) {
      e.stopPropagation(); // a consequence's click is its own, not its root's
      if (e.target.closest && e.target.closest('summary')) return; // folding, not focusing
      var vi = +li.getAttribute('data-v'), v = D.viol[vi];
      if (!v || !v.ev.length) return;
      focusViolation(v);
      render();
      var root = v.follows >= 0 ? v.follows : vi;
      gViol.querySelectorAll('[data-v="' + root + '"]').forEach(function (el) { el.classList.add('flash'); });
      svg.scrollIntoView({ block: 'nearest' });
    });
  });
  window.addEventListener('resize', schedule);

  // Hooks for the step panel (state.js, state.go): it hears what is
  // selected and drawn, and pins events.
  var hooks = { select: [], render: [] };
  function emit(name, x) { if (hooks) hooks[name].forEach(function (f) { f(x); }); }
  window.mutexlabDiagram = {
    data: D, laneEv: laneEv, lane: lane, laneY: laneY, laneID: laneID, describe: describe, line: line,
    on: function (name, f) { hooks[name].push(f); },
    pinned: function () { return pinned; },
    x: function (i) { return X(P[i]); },
    plot: byId('plot'), width: function () { return W; },
    // pin pins event i (-1: none), bringing it into view.
    pin: function (i) {
      pinned = i;
      hover = -1;
      hideTip();
      if (i >= 0 && (P[i] < v0 || P[i] > v1)) {
        var s = v1 - v0;
        v0 = P[i] - s / 2;
        v1 = P[i] + s / 2;
      }
      render();
    }
  };

  W = svg.getBoundingClientRect().width || W;
  focusFailure();
  render();
})();
