// Trackside live boards: follows /events/<topic> (server-sent events; the browser reconnects by
// itself) and redraws with textContent only: a racer's name is text, never markup.
(function () {
  "use strict";
  var body = document.body, topic = body.dataset.topic;
  if (!topic) return;
  var mode = body.dataset.mode, kind = body.dataset.kind, maxRows = parseInt(body.dataset.rows || "0", 10);
  var lastTimes = null;

  function time(s) {
    if (s === null || s === undefined) return "\u2013";
    if (s < 60) return s.toFixed(3);
    var m = Math.floor(s / 60), r = (s - 60 * m).toFixed(3);
    return m + ":" + (r < 10 ? "0" : "") + r;
  }
  function clock(s) {
    if (s === null || s === undefined) return "\u2013:\u2013\u2013";
    var t = Math.max(0, Math.ceil(s - 0.001)), m = Math.floor(t / 60), r = t % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }
  function cells(r) {
    if (kind === "season") return [String(r.rank), r.name, r.points + " pts", r.races + " races"];
    var result = r.status === "ok" ? time(r.time_s) : r.status;
    if (r.result_laps !== null && r.result_laps !== undefined) result = r.result_laps + " laps";
    var gap = r.gap_s ? "+" + r.gap_s.toFixed(3) : "";
    var extra = kind === "race" ? r.points + " pts" : r.valid_laps + "/" + r.laps + " laps";
    return [String(r.rank), r.name, result, gap, extra];
  }
  function set(id, text) { var el = document.getElementById(id); if (el) el.textContent = text; }

  function drawRows(snap) {
    var tbody = document.getElementById("rows");
    if (!tbody) return;
    var rows = maxRows ? snap.rows.slice(0, maxRows) : snap.rows, times = {};
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = document.createElement("tr");
      times[r.racer] = r.time_s;
      if (lastTimes && lastTimes[r.racer] !== r.time_s) tr.className = "fresh";
      cells(r).forEach(function (c) { var td = document.createElement("td"); td.textContent = c; tr.appendChild(td); });
      frag.appendChild(tr);
    });
    if (!rows.length) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      tr.className = "empty"; td.colSpan = 5; td.textContent = "No results yet";
      tr.appendChild(td); frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    lastTimes = times;
  }
  function drawCurrent(cur) {
    set("cur-name", cur ? (cur.name || cur.racer) : "No racer on track");
    set("cur-left", clock(cur ? cur.time_left_s : null));
    set("cur-lap", time(cur ? cur.running_lap_s : null));
    set("cur-best", time(cur ? cur.best_lap_s : null));
    set("cur-laps", String(cur ? cur.laps : 0));
  }
  function draw(snap) {
    if (snap.gone) { set("status", snap.gone); return; }
    set("title", snap.title);
    if (mode !== "lower-third") drawRows(snap);
    if (kind === "raceday") drawCurrent(snap.current);
    set("status", "Live \u00b7 updated " + new Date().toLocaleTimeString());
    body.dataset.updates = String(parseInt(body.dataset.updates || "0", 10) + 1);
  }

  var source = new EventSource("/events/" + encodeURIComponent(topic));
  source.onmessage = function (e) { draw(JSON.parse(e.data)); };
  source.onerror = function () { set("status", "Reconnecting\u2026"); };
})();
