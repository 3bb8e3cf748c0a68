// StreamForge dashboard: plain JavaScript over the edge's Server-Sent Events.
//
// Two connections per page (a browser opens at most six to one host over HTTP/1.1):
//  - /api/streams/all: phases, trials, deployments and models from the beginning, and the edges'
//    metrics from now on;
//  - /api/streams/metrics?workflow=ID: the selected workflow's training curves, from the beginning.
// EventSource reconnects by itself and sends the id of the last event it received
// (Last-Event-ID), from which the edge resumes: nothing is lost or repeated.
// The admin token is typed in by the user, kept in this page's memory only and sent only with
// rollout requests.
"use strict";

(() => {
  const EDGE_WINDOW_MS = 10_000;
  const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04",
    "#db2777", "#4b5563", "#65a30d"];
  const TERMINAL = new Set(["DONE", "FAILED", "CANCELLED"]);

  const state = {
    workflows: new Map(),   // id -> {id, transitions: [], phase, lastTime, failure}
    selected: null,         // the workflow whose curves and trials are shown
    pinned: false,          // true once the user picked one (else: follow the newest)
    runs: new Map(),        // run -> {loss: [[x, y]], val: [[x, y]], valName, epochAtStep: Map}
    trials: new Map(),      // jobId -> trial payload
    debug: [],              // debug-action payloads
    models: new Map(),      // model -> Map(key -> model event)
    deployments: new Map(), // model -> deployment
    edge: new Map(),        // model -> Map(version -> [{t, name, value, edge}])
    token: null,
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k === "style") Object.assign(e.style, v); // CSSOM: allowed by the CSP, unlike style=
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function num(v) {
    return typeof v === "number" ? v : Number(v); // "NaN", "Infinity" come as strings
  }

  function fmt(v, digits = 4) {
    if (v === null || v === undefined) return "";
    const n = num(v);
    if (!Number.isFinite(n)) return String(v);
    if (Number.isInteger(n)) return String(n);
    return n.toPrecision(digits);
  }

  function time(iso) {
    return iso ? new Date(iso).toLocaleTimeString() : "";
  }

  // ---- connections -------------------------------------------------------------------------

  const status = $("status");
  const open = new Set();

  function setStatus() {
    if (open.size >= 1 && mainSource && mainSource.readyState === EventSource.OPEN) {
      status.dataset.state = "live";
      status.textContent = "live";
    } else {
      status.dataset.state = "error";
      status.textContent = "reconnecting…";
    }
  }

  function connect(url, handlers) {
    const source = new EventSource(url);
    source.onopen = () => { open.add(source); setStatus(); };
    source.onerror = () => { open.delete(source); setStatus(); };
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (e) => {
        let data;
        try {
          data = JSON.parse(e.data);
        } catch (err) {
          console.warn("unreadable", name, "event", e.data);
          return;
        }
        handler(data);
      });
    }
    return source;
  }

  let mainSource = null;
  let curveSource = null;

  function start() {
    mainSource = connect(
      "/api/streams/all?include=phases,trials,deployments,models,metrics&source=edge" +
        "&from=metrics:latest",
      {
        phase: onPhase,
        trial: onTrial,
        "debug-action": onDebugAction,
        deployment: onDeployment,
        model: onModel,
        metrics: onEdgeMetrics,
      });
    setInterval(renderDeployments, 1000); // rates decay when traffic stops
  }

  function followCurves(workflow) {
    if (curveSource) {
      curveSource.close();
      open.delete(curveSource);
    }
    state.runs.clear();
    drawCharts();
    curveSource = workflow
      ? connect("/api/streams/metrics?workflow=" + encodeURIComponent(workflow), {metrics: onTrainerMetrics})
      : null;
  }

  // ---- workflows ---------------------------------------------------------------------------

  function onPhase(t) {
    let w = state.workflows.get(t.workflowId);
    if (!w) {
      w = {id: t.workflowId, transitions: [], phase: null, lastTime: 0, failure: null};
      state.workflows.set(t.workflowId, w);
    }
    w.transitions.push(t);
    w.phase = t.to;
    w.lastTime = Math.max(w.lastTime, Date.parse(t.time) || 0);
    if (t.to === "FAILED" || t.to === "CANCELLED") w.failure = t.reason;
    if (t.artifacts && t.artifacts.model) w.model = t.artifacts.model;
    if (!state.pinned) {
      let newest = null;
      for (const x of state.workflows.values()) if (!newest || x.lastTime >= newest.lastTime) newest = x;
      if (newest && newest.id !== state.selected) select(newest.id, false);
    }
    renderWorkflows();
  }

  function select(id, pinned) {
    state.pinned = state.pinned || pinned;
    if (id === state.selected) return;
    state.selected = id;
    $("curves-workflow").textContent = id;
    $("trials-workflow").textContent = id;
    followCurves(id);
    renderWorkflows();
    renderTrials();
  }

  function renderWorkflows() {
    const list = $("workflow-list");
    const sorted = [...state.workflows.values()].sort((a, b) => b.lastTime - a.lastTime);
    $("workflows-empty").hidden = sorted.length > 0;
    list.replaceChildren(...sorted.map((w) => {
      const chips = w.transitions.map((t, i) => el("span", {
        class: "phase " + t.to + (i === w.transitions.length - 1 && !TERMINAL.has(t.to) ? " current" : ""),
        title: time(t.time) + (t.reason ? " — " + t.reason : ""),
        "data-phase": t.to,
        text: t.to,
      }));
      return el("div", {
        class: "workflow",
        "data-workflow": w.id,
        "data-phase": w.phase,
        "data-selected": String(w.id === state.selected),
        onclick: () => select(w.id, true),
      },
      el("div", {class: "title"},
        el("span", {class: "id", text: w.id}),
        el("span", {class: "muted", text: w.phase + " · " + time(w.transitions[w.transitions.length - 1].time)})),
      el("div", {class: "timeline"}, ...chips),
      w.failure ? el("div", {class: "failure", text: w.failure}) : null);
    }));
  }

  // ---- training curves ---------------------------------------------------------------------

  function run(name) {
    let r = state.runs.get(name);
    if (!r) {
      r = {loss: [], val: [], valName: null, epochAtStep: new Map()};
      state.runs.set(name, r);
    }
    return r;
  }

  let drawPending = false;

  function onTrainerMetrics(points) {
    for (const p of points) {
      if (p.source === "edge") continue;
      const r = run(p.run);
      const scope = p.labels && p.labels.scope;
      if (p.name === "loss" && scope !== "epoch") {
        r.loss.push([p.step, num(p.value)]);
      } else if (p.name === "epoch") {
        r.epochAtStep.set(p.step, num(p.value));
      }
    }
    for (const p of points) {
      if (p.source === "edge") continue;
      if (p.name === "val_accuracy" || p.name === "val_rmse") {
        const r = run(p.run);
        r.valName = p.name;
        const epoch = r.epochAtStep.get(p.step);
        r.val.push([epoch === undefined ? p.step : epoch, num(p.value)]);
      }
    }
    if (!drawPending) {
      drawPending = true;
      requestAnimationFrame(() => { drawPending = false; drawCharts(); });
    }
  }

  function drawCharts() {
    const names = [...state.runs.keys()].sort();
    const color = (name) => COLORS[names.indexOf(name) % COLORS.length];
    const loss = names.map((n) => ({name: n, color: color(n), points: state.runs.get(n).loss}));
    const val = names.map((n) => ({name: n, color: color(n), points: state.runs.get(n).val}));
    const valNames = new Set(names.map((n) => state.runs.get(n).valName).filter(Boolean));
    $("chart-val-caption").textContent = (valNames.size ? [...valNames].join(", ") : "validation metric") + " by epoch";
    drawChart($("chart-loss"), loss);
    drawChart($("chart-val"), val);
    $("curve-legend").replaceChildren(...names.map((n) => {
      const r = state.runs.get(n);
      const last = r.loss.length ? r.loss[r.loss.length - 1][1] : null;
      const lastVal = r.val.length ? r.val[r.val.length - 1][1] : null;
      return el("li", {
        "data-run": n,
        "data-points": String(r.loss.length + r.val.length),
        "data-last-loss": last === null ? "" : String(last),
        "data-last-val": lastVal === null ? "" : String(lastVal),
      },
      el("span", {class: "swatch", style: {background: color(n)}}),
      el("span", {text: n}),
      el("span", {class: "muted", text:
        (last === null ? "" : "loss " + fmt(last)) + (lastVal === null ? "" : " · " + r.valName + " " + fmt(lastVal))}));
    }));
  }

  function drawChart(canvas, series) {
    const ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height;
    const pad = {l: 52, r: 12, t: 10, b: 26};
    ctx.clearRect(0, 0, w, h);
    let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity, count = 0;
    for (const s of series) {
      for (const [x, y] of s.points) {
        if (!Number.isFinite(y)) continue;
        count++;
        xmin = Math.min(xmin, x); xmax = Math.max(xmax, x);
        ymin = Math.min(ymin, y); ymax = Math.max(ymax, y);
      }
    }
    canvas.dataset.points = String(count);
    ctx.strokeStyle = "#cbd5e1";
    ctx.lineWidth = 1;
    ctx.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
    if (count === 0) {
      ctx.fillStyle = "#6b7280";
      ctx.font = "13px system-ui, sans-serif";
      ctx.fillText("waiting for metrics…", pad.l + 10, pad.t + 22);
      return;
    }
    if (xmax === xmin) { xmax = xmin + 1; }
    if (ymax === ymin) { ymax = ymin + Math.max(1e-9, Math.abs(ymin) * 0.05); ymin = ymin - Math.max(1e-9, Math.abs(ymin) * 0.05); }
    const X = (x) => pad.l + (x - xmin) / (xmax - xmin) * (w - pad.l - pad.r);
    const Y = (y) => h - pad.b - (y - ymin) / (ymax - ymin) * (h - pad.t - pad.b);
    ctx.fillStyle = "#6b7280";
    ctx.font = "11px system-ui, sans-serif";
    for (let i = 0; i <= 4; i++) {
      const y = ymin + (ymax - ymin) * i / 4;
      ctx.fillText(fmt(y, 3), 4, Y(y) + 4);
      ctx.strokeStyle = "#f1f5f9";
      ctx.beginPath(); ctx.moveTo(pad.l, Y(y)); ctx.lineTo(w - pad.r, Y(y)); ctx.stroke();
    }
    ctx.fillText(fmt(xmin, 4), pad.l, h - 8);
    ctx.fillText(fmt(xmax, 4), w - pad.r - 40, h - 8);
    for (const s of series) {
      const pts = s.points.filter(([, y]) => Number.isFinite(y)).sort((a, b) => a[0] - b[0]);
      if (!pts.length) continue;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = 1.6;
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
      ctx.stroke();
      if (pts.length === 1) {
        ctx.fillStyle = s.color;
        ctx.fillRect(X(pts[0][0]) - 2, Y(pts[0][1]) - 2, 4, 4);
      }
    }
  }

  // ---- trials ------------------------------------------------------------------------------

  function workflowOf(jobId) {
    if (!jobId) return null;
    const i = jobId.lastIndexOf(".trial-");
    if (i > 0) return jobId.slice(0, i);
    const j = jobId.lastIndexOf(".");
    return j > 0 ? jobId.slice(0, j) : jobId;
  }

  function onTrial(t) {
    state.trials.set(t.jobId || t.trialId, t);
    if (workflowOf(t.jobId) === state.selected) renderTrials();
  }

  function onDebugAction(a) {
    state.debug.push(a);
    if (state.debug.length > 500) state.debug.shift();
    if (workflowOf(a.jobId) === state.selected) renderTrials();
  }

  function renderTrials() {
    const rows = [...state.trials.values()]
      .filter((t) => workflowOf(t.jobId) === state.selected)
      .sort((a, b) => (a.index || 0) - (b.index || 0));
    $("trial-table").tBodies[0].replaceChildren(...rows.map((t) => {
      const seconds = t.endedAtMs && t.startedAtMs ? (t.endedAtMs - t.startedAtMs) / 1000 : null;
      return el("tr", {"data-trial": t.trialId, "data-status": t.status},
        el("td", {text: t.trialId}),
        el("td", {class: "st-" + t.status, text: t.status}),
        el("td", {class: "num", text: fmt(t.value)}),
        el("td", {class: "num", text: t.modelVersion === null || t.modelVersion === undefined ? "" : t.modelVersion}),
        el("td", {class: "num", text: seconds === null ? "" : seconds.toFixed(1)}),
        el("td", {text: t.description || ""}));
    }));
    $("debug-actions").replaceChildren(...state.debug
      .filter((a) => workflowOf(a.jobId) === state.selected)
      .map((a) => el("li", {text: a.jobId + " step " + a.step + ": " + a.action +
        (a.value === null || a.value === undefined ? "" : " " + fmt(a.value)) + " — " + (a.reason || "")})));
  }

  // ---- model registry ----------------------------------------------------------------------

  function onModel(e) {
    let versions = state.models.get(e.model);
    if (!versions) {
      versions = new Map();
      state.models.set(e.model, versions);
    }
    versions.set(e.key, e);
    renderModels();
    renderDeployments();
  }

  function renderModels() {
    const names = [...state.models.keys()].sort();
    $("models-empty").hidden = names.length > 0;
    $("model-list").replaceChildren(...names.map((m) => {
      const events = [...state.models.get(m).values()]
        .sort((a, b) => b.version - a.version || a.variant.localeCompare(b.variant));
      return el("div", {class: "model", "data-model": m},
        el("h3", {text: m}),
        el("table", {},
          el("thead", {}, el("tr", {}, ...["version", "variant", "status", "size", "metrics", "time"]
            .map((h) => el("th", {text: h})))),
          el("tbody", {}, ...events.map((e) => el("tr", {
            "data-version": e.version, "data-variant": e.variant, "data-status": e.status,
            title: e.reason || "",
          },
          el("td", {class: "num", text: e.version}),
          el("td", {text: e.variant + (e.parentVersion ? " (of v" + e.parentVersion + ")" : "")}),
          el("td", {class: "st-" + e.status, text: e.status}),
          el("td", {class: "num", text: e.sizeBytes ? (e.sizeBytes / 1024).toFixed(1) + " KiB" : ""}),
          el("td", {text: Object.entries(e.metrics || {}).map(([k, v]) => k + " " + fmt(v)).join(", ")}),
          el("td", {text: time(e.time)}))))));
    }));
  }

  // ---- canary and rollouts -----------------------------------------------------------------

  function onDeployment(d) {
    state.deployments.set(d.model, d);
    renderDeployments();
  }

  function onEdgeMetrics(points) {
    for (const p of points) {
      if (p.source !== "edge" || !p.labels) continue;
      const model = p.labels.model, version = p.labels.version;
      if (!model || !version) continue;
      let versions = state.edge.get(model);
      if (!versions) {
        versions = new Map();
        state.edge.set(model, versions);
      }
      let list = versions.get(version);
      if (!list) {
        list = [];
        versions.set(version, list);
      }
      list.push({t: Date.parse(p.time) || Date.now(), name: p.name, value: num(p.value), edge: p.labels.edge});
    }
    renderDeployments();
  }

  /** Per version over the last 10 s: requests per second, max p99 (ms), errors. */
  function edgeStats(model) {
    const out = new Map();
    const versions = state.edge.get(model);
    if (!versions) return out;
    const now = Date.now();
    for (const [version, list] of versions) {
      while (list.length && list[0].t < now - 5 * EDGE_WINDOW_MS) list.shift();
      const recent = list.filter((p) => p.t >= now - EDGE_WINDOW_MS);
      let count = 0, errors = 0, p99 = null, oldest = now;
      for (const p of recent) {
        oldest = Math.min(oldest, p.t);
        if (p.name === "request_count") count += p.value;
        else if (p.name === "error_count") errors += p.value;
        else if (p.name === "latency_p99_ms") p99 = p99 === null ? p.value : Math.max(p99, p.value);
      }
      const seconds = Math.min(EDGE_WINDOW_MS, Math.max(1000, now - oldest + 1000)) / 1000;
      out.set(version, {rate: count / seconds, count, errors, p99});
    }
    return out;
  }

  // One card per model, built once and then updated in place: the controls are never rebuilt, so
  // what the user types (and where the focus is) survives the updates of every second.
  const cards = new Map();

  function renderDeployments() {
    const models = new Set([...state.deployments.keys(), ...state.edge.keys()]);
    const names = [...models].sort();
    $("rollouts-empty").hidden = names.length > 0;
    const list = $("deployment-list");
    for (const model of names) {
      let card = cards.get(model);
      if (!card) {
        card = createCard(model);
        cards.set(model, card);
        const next = names.slice(names.indexOf(model) + 1).find((n) => cards.has(n) && cards.get(n).root.isConnected);
        list.insertBefore(card.root, next ? cards.get(next).root : null);
      }
      updateCard(model, card);
    }
  }

  function createCard(model) {
    const card = {
      title: el("h3"),
      stable: el("div", {class: "stable"}),
      canary: el("div", {class: "canary"}),
      decision: el("div", {class: "decision"}),
      rows: el("tbody"),
      weight: el("input", {type: "number", min: "0", max: "100", step: "any", class: "weight",
        placeholder: "weight %", "aria-label": "canary weight for " + model}),
      version: el("input", {type: "number", min: "1", step: "1", class: "canary-version",
        placeholder: "canary v", "aria-label": "canary version for " + model}),
    };
    card.controls = el("div", {class: "controls", hidden: state.token ? null : ""},
      card.version, card.weight,
      el("button", {type: "button", class: "set-weight", text: "Set weight", onclick: () => {
        const body = {action: "set-weight", weight: Number(card.weight.value)};
        if (card.version.value) body.canary_version = Number(card.version.value);
        rollout(model, body);
      }}),
      el("button", {type: "button", class: "promote", text: "Promote",
        onclick: () => rollout(model, {action: "promote"})}),
      el("button", {type: "button", class: "rollback", text: "Roll back",
        onclick: () => rollout(model, {action: "rollback"})}));
    card.root = el("div", {class: "deployment", "data-model": model},
      card.title,
      el("div", {class: "split", title: "traffic split"}, card.stable, card.canary),
      card.decision,
      el("table", {},
        el("thead", {}, el("tr", {}, ...["version", "role", "req/s", "p99 ms", "errors"].map((h) => el("th", {text: h})))),
        card.rows),
      card.controls);
    return card;
  }

  function updateCard(model, card) {
    const d = state.deployments.get(model);
    const stats = edgeStats(model);
    const weight = d ? num(d.canaryWeight) : 0;
    const canary = d && d.canaryVersion !== null && d.canaryVersion !== undefined ? d.canaryVersion : null;
    const stable = d && d.stableVersion !== null && d.stableVersion !== undefined ? d.stableVersion : null;
    const share = canary === null ? 0 : Math.max(0, Math.min(100, weight));
    const root = card.root;
    root.dataset.stable = stable === null ? "" : String(stable);
    root.dataset.canary = canary === null ? "" : String(canary);
    root.dataset.weight = String(share);
    root.dataset.mode = d ? d.mode : "";
    card.title.textContent = model + (d ? " — " + (d.mode === "SHADOW" ? "shadow" : "split") : "");
    card.stable.style.width = (100 - share) + "%";
    card.stable.textContent = stable === null ? "" : "v" + stable + " " + (100 - share).toFixed(1) + " %";
    card.canary.style.width = share + "%";
    card.canary.textContent = canary === null ? "" : "v" + canary + " " + share.toFixed(1) + " %";
    card.decision.textContent = d ? (d.decision || "") + " · " + time(d.time) + (d.reason ? " — " + d.reason : "") : "";
    card.version.placeholder = canary === null ? "canary v" : "v" + canary;

    const versions = new Set(stats.keys());
    if (stable !== null) versions.add(String(stable));
    if (canary !== null) versions.add(String(canary));
    const role = (v) => String(v) === String(canary) ? "canary" : String(v) === String(stable) ? "stable" : "";
    card.rows.replaceChildren(...[...versions].sort((a, b) => Number(b) - Number(a)).map((v) => {
      const s = stats.get(v) || {rate: 0, count: 0, errors: 0, p99: null};
      return el("tr", {"data-version": v, "data-role": role(v), "data-rate": s.rate.toFixed(3),
        "data-errors": String(s.errors)},
      el("td", {class: "num", text: v}),
      el("td", {text: role(v)}),
      el("td", {class: "num", text: s.rate.toFixed(1)}),
      el("td", {class: "num", text: s.p99 === null ? "" : s.p99.toFixed(2)}),
      el("td", {class: "num", text: s.errors + (s.count ? " (" + (100 * s.errors / s.count).toFixed(1) + " %)" : "")}));
    }));
  }

  async function rollout(model, body) {
    const message = $("rollout-message");
    if (!state.token) return;
    body.reason = "dashboard";
    try {
      const r = await fetch("/admin/models/" + encodeURIComponent(model) + "/rollout", {
        method: "POST",
        headers: {"content-type": "application/json", authorization: "Bearer " + state.token},
        body: JSON.stringify(body),
      });
      const answer = await r.json().catch(() => ({}));
      message.dataset.ok = String(r.ok);
      message.textContent = r.ok
        ? model + ": " + body.action + " requested (stable v" + answer.stable_version +
          (answer.canary_version ? ", canary v" + answer.canary_version + " at " + answer.canary_weight + " %" : "") + ")"
        : model + ": " + body.action + " refused (" + r.status + "): " + (answer.error || r.statusText);
    } catch (err) {
      message.dataset.ok = "false";
      message.textContent = model + ": " + body.action + " failed: " + err;
    }
  }

  // ---- admin token -------------------------------------------------------------------------

  function setToken(token) {
    state.token = token || null;
    $("admin-token").value = "";
    $("admin-token").hidden = !!state.token;
    $("admin-unlock").hidden = !!state.token;
    $("admin-lock").hidden = !state.token;
    for (const card of cards.values()) card.controls.hidden = !state.token;
  }

  $("admin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($("admin-token").value.trim());
  });
  $("admin-lock").addEventListener("click", () => setToken(null));

  drawCharts();
  start();
})();
