// mutexlab step panel: a slider through the run's events and, when the
// trace recorded it, every node's algorithm state at the selected event,
// what that event changed highlighted. See state.go for the data; the
// diagram (diagram.js) tells what is hovered or pinned.
(function () {
  'use strict';

  var G = window.mutexlabDiagram;
  if (!G) return;
  var S = JSON.parse(document.getElementById('state').textContent);
  var D = G.data, E = D.ev.length / 6, L = D.lanes.length;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  // Per lane, the events that carry a state, in order, with the state.
  var stLane = [], q;
  for (q = 0; q < L; q++) stLane.push([]);
  S.st.forEach(function (row) {
    var st = {};
    for (var k = 1; k < row.length; k += 2) st[S.strs[row[k]]] = S.strs[row[k + 1]];
    stLane[G.lane(row[0])].push([row[0], st]);
  });
  var hasState = S.st.length > 0;
  // stateAt returns [the entry of lane q at or before event i, its index].
  function stateAt(q, i) {
    var a = stLane[q], lo = 0, hi = a.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (a[mid][0] <= i) lo = mid + 1; else hi = mid;
    }
    return lo - 1;
  }

  // ---- the panel ----
  var sec = document.createElement('section');
  sec.id = 'steps';
  sec.innerHTML =
    '<div class="steprow">' +
    '<button type="button" id="step-prev" title="previous event (,)">◀</button>' +
    '<input type="range" id="step-slider" min="0" max="' + Math.max(0, E - 1) + '" value="0" aria-label="step through the run">' +
    '<button type="button" id="step-next" title="next event (.)">▶</button>' +
    '<span id="step-label"></span></div>' +
    '<div id="state-panel"></div>';
  var wrap = document.getElementById('wrap');
  wrap.parentNode.insertBefore(sec, wrap.nextSibling);
  var slider = document.getElementById('step-slider'), label = document.getElementById('step-label');
  var panel = document.getElementById('state-panel');

  var cur = S.mark.length ? S.mark[S.mark.length - 1] : E - 1;
  var markSet = {};
  S.mark.forEach(function (i) { markSet[i] = true; });

  function show(i, how) {
    if (i < 0 || i >= E) { panel.innerHTML = ''; label.textContent = ''; return; }
    var own = G.lane(i);
    label.innerHTML = 'event <b>' + (i + 1) + '</b> of ' + E + ' · line ' + G.line(i) + ' · <b>' +
      esc(G.laneID(own)) + '</b> ' + esc(G.describe(i)) + (how ? ' <span class="how">(' + how + ')</span>' : '');
    if (!hasState) {
      panel.innerHTML = '<p class="nostate">This trace has no algorithm state: a simulated run records it with --state ' +
        '(explore, replay, debug).</p>';
      return;
    }
    var h = ['<table><thead><tr><th>node</th><th>algorithm state after this event (changed by it: highlighted)</th></tr></thead><tbody>'];
    for (var p = 0; p < L; p++) {
      var k = stateAt(p, i);
      var row = '<tr class="' + (p === own ? 'own' : '') + '" data-node="' + esc(G.laneID(p)) + '"><th>' + esc(G.laneID(p)) + '</th><td>';
      if (k < 0) {
        h.push(row + '<span class="none">no state yet</span></td></tr>');
        continue;
      }
      var st = stLane[p][k][1], prev = null;
      // What event i changed: its own state against the node's previous
      // one. Other nodes are shown as they were.
      if (p === own && stLane[p][k][0] === i) prev = k > 0 ? stLane[p][k - 1][1] : {};
      var keys = Object.keys(st).sort(), cells = [];
      keys.forEach(function (key) {
        var changed = prev && prev[key] !== st[key];
        cells.push('<span class="fld' + (changed ? ' chg' : '') + '"' + (changed && key in prev ? ' title="was ' + esc(prev[key]) + '"' : '') +
          '><span class="k">' + esc(key) + '</span> = ' + esc(st[key]) + '</span>');
      });
      if (prev) Object.keys(prev).forEach(function (key) {
        if (!(key in st)) cells.push('<span class="fld gone"><span class="k">' + esc(key) + '</span> removed</span>');
      });
      h.push(row + cells.join(' ') + '</td></tr>');
    }
    h.push('</tbody></table>');
    panel.innerHTML = h.join('');
  }

  G.on('select', function (i) {
    var pinned = G.pinned();
    if (pinned >= 0) {
      cur = pinned;
      slider.value = cur;
      show(cur, 'pinned');
    } else if (i >= 0) {
      show(i, 'hovered');
    } else {
      show(cur, 'slider');
    }
  });

  // The step marker: a line at the slider's event, the run after it
  // dimmed, the marked step's events ringed.
  var gMark = document.createElementNS('http://www.w3.org/2000/svg', 'g');
  gMark.id = 'stepmark';
  G.plot.insertBefore(gMark, G.plot.firstChild);
  function drawMark() {
    if (cur < 0 || cur >= E) { gMark.innerHTML = ''; return; }
    var x = Math.round(G.x(cur) * 10) / 10, top = D.geom.top, h = L * D.geom.laneH;
    var out = ['<rect class="future" x="' + (x + 6) + '" y="' + top + '" width="' + Math.max(0, G.width() - x) + '" height="' + h + '"/>',
      '<line class="stepline" x1="' + x + '" y1="' + (top - 4) + '" x2="' + x + '" y2="' + (top + h) + '"/>'];
    S.mark.forEach(function (i) {
      out.push('<circle class="markring" cx="' + (Math.round(G.x(i) * 10) / 10) + '" cy="' + G.laneY(G.lane(i)) + '" r="11"/>');
    });
    gMark.innerHTML = out.join('');
  }
  G.on('render', drawMark);

  function go(i) {
    cur = Math.max(0, Math.min(E - 1, i));
    slider.value = cur;
    G.pin(cur);
  }
  slider.addEventListener('input', function () { go(+slider.value); });
  document.getElementById('step-prev').addEventListener('click', function () { go(cur - 1); });
  document.getElementById('step-next').addEventListener('click', function () { go(cur + 1); });
  document.addEventListener('keydown', function (e) {
    if (e.target && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) && e.target !== slider) return;
    if (e.key === ',') { go(cur - 1); e.preventDefault(); }
    if (e.key === '.') { go(cur + 1); e.preventDefault(); }
  });

  slider.value = cur;
  if (S.mark.length) {
    G.pin(cur);
  } else {
    drawMark();
    show(cur, 'slider');
  }
  document.documentElement.setAttribute('data-steps', '1');
})();
