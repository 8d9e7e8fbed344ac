// The graph widget's browser side (an anywidget module). It draws what Python sends and reports what the
// user does; every decision (what to draw, aggregation, positions for big graphs, details) is Python's:
// workbench/widgets/graph_view.py. Nothing is fetched from a network: the vis-network module arrives from
// Python in a custom message, once a page, and is imported from a Blob URL.
//
// Test hook: after each drawing the widget's element has data-tcw-graph="ready", data-nodes, data-edges
// and data-drawn-ms; window.tcwGraphs holds every vis Network on the page (network.body.container is its
// canvas' box inside the element).

const LIBRARY = "__tcwVisNetwork";
const LIBRARY_WAIT_MS = 60000;
const PLAY_STEP_MS = 700;
const SEND_WINDOW_MS = 250;
const DAY_MS = 86400000;
const MENU = [["expand", "展开 expand"], ["pin", "固定/取消 pin"], ["hide", "隐藏 hide"]];

function library(model) {
  if (window[LIBRARY]) return window[LIBRARY];
  const loading = new Promise((resolve, reject) => {
    const answer = (msg) => {
      if (!msg || msg.type !== "library") return;
      clearTimeout(timer);
      model.off("msg:custom", answer);
      const url = URL.createObjectURL(new Blob([msg.text], { type: "text/javascript" }));
      import(/* webpackIgnore: true */ url).then(resolve, reject).finally(() => URL.revokeObjectURL(url));
    };
    const timer = setTimeout(() => {
      model.off("msg:custom", answer);
      reject(new Error("the kernel did not send vis-network"));
    }, LIBRARY_WAIT_MS);
    model.on("msg:custom", answer);
    model.send({ type: "need-library" });
  });
  window[LIBRARY] = loading;
  loading.catch(() => {
    if (window[LIBRARY] === loading) delete window[LIBRARY];
  });
  return loading;
}

function element(tag, className, parent) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (parent) parent.appendChild(made);
  return made;
}

function build(el, height) {
  el.classList.add("tcw-graph-view");
  el.dataset.tcwGraph = "loading";
  const ui = { legend: element("div", "tcw-legend", el), status: element("div", "tcw-status", el) };
  ui.wrap = element("div", "tcw-canvas-wrap", el);
  ui.canvas = element("div", "tcw-canvas", ui.wrap);
  ui.canvas.style.height = height;
  ui.menu = element("div", "tcw-menu", ui.wrap);
  ui.menu.hidden = true;
  for (const [action, text] of MENU) {
    const button = element("button", "tcw-menu-" + action, ui.menu);
    button.type = "button";
    button.dataset.action = action;
    button.textContent = text;
  }
  ui.bar = element("div", "tcw-timebar", el);
  ui.bar.hidden = true;
  ui.histogram = element("canvas", "tcw-histogram", ui.bar);
  const ranges = element("div", "tcw-ranges", ui.bar);
  ui.from = element("input", "tcw-time-from", ranges);
  ui.to = element("input", "tcw-time-to", ranges);
  for (const input of [ui.from, ui.to]) input.type = "range";
  ui.from.title = "起始日 from";
  ui.to.title = "结束日 until";
  const row = element("div", "tcw-time-row", ui.bar);
  ui.play = element("button", "tcw-play", row);
  ui.play.type = "button";
  ui.all = element("button", "tcw-time-all", row);
  ui.all.type = "button";
  ui.all.textContent = "全部时间 all time";
  ui.label = element("span", "tcw-time-label", row);
  setPlayText(ui, false);
  return ui;
}

function setPlayText(ui, playing) {
  ui.play.textContent = playing ? "⏸ 暂停 pause" : "▶ 播放 play";
}

function registry() {
  if (!window.tcwGraphs) window.tcwGraphs = [];
  return window.tcwGraphs;
}

function forget(network) {
  const all = registry();
  const at = all.indexOf(network);
  if (at >= 0) all.splice(at, 1);
}

// the drawing

function draw(view, msg) {
  stopPlaying(view);
  const started = performance.now();
  view.timeline = msg.timeline;
  view.edgeLabels = msg.edge_labels;
  view.statusText = msg.status || "";
  view.ui.legend.innerHTML = msg.legend || ""; // built and escaped by Python
  view.ui.status.textContent = view.statusText;
  view.nodeTimes = new Map(msg.nodes.filter((n) => n.t !== undefined).map((n) => [n.id, n.t]));
  view.edgeTimes = new Map(msg.edges.filter((e) => e.ts).map((e) => [e.id, e]));
  setUpTimebar(view, msg.window);
  view.timeHidden = new Set();
  const nodes = msg.nodes.map(({ t, ...node }) => {
    const hidden = t !== undefined && outside(view, t);
    if (hidden) view.timeHidden.add(node.id);
    return { ...node, hidden };
  });
  const edges = msg.edges.map(({ ts, unit, n, ...edge }) => (ts ? { ...edge, ...countedEdge(view, { ts, unit, n }) } : edge));
  if (!view.network || msg.mode === "replace") replaceData(view, nodes, edges, msg.options);
  else mergeData(view, nodes, edges, msg);
  whenDrawn(view, started, nodes.length, edges.length);
}

function replaceData(view, nodes, edges, options) {
  if (view.network) {
    forget(view.network);
    view.network.destroy();
  }
  view.nodes = new view.vis.DataSet(nodes);
  view.edges = new view.vis.DataSet(edges);
  view.network = new view.vis.Network(view.ui.canvas, { nodes: view.nodes, edges: view.edges }, options);
  registry().push(view.network);
  wire(view);
}

function mergeData(view, nodes, edges, msg) {
  const positions = view.network.getPositions();
  const centre = (msg.focus && positions[msg.focus]) || { x: 0, y: 0 };
  const wanted = new Set(nodes.map((n) => n.id));
  view.nodes.remove(view.nodes.getIds().filter((id) => !wanted.has(id)));
  const placed = nodes.map((node) => {
    if (!msg.physics) return node;
    const { x, y, ...rest } = node;
    if (positions[node.id]) return rest; // stays where it is
    const angle = Math.random() * 2 * Math.PI;
    return { ...rest, x: centre.x + 60 * Math.cos(angle), y: centre.y + 60 * Math.sin(angle) };
  });
  const keep = new Set(edges.map((e) => e.id));
  view.edges.remove(view.edges.getIds().filter((id) => !keep.has(id)));
  view.network.setOptions(msg.options);
  view.nodes.update(placed);
  view.edges.update(edges);
}

function whenDrawn(view, started, nodes, edges) {
  let done = false;
  const report = () => {
    if (done) return;
    done = true;
    clearTimeout(fallback);
    const ms = Math.round(performance.now() - started);
    Object.assign(view.el.dataset, { tcwGraph: "ready", nodes: String(nodes), edges: String(edges), drawnMs: String(ms) });
    view.ui.status.textContent = `${view.statusText}；绘制 ${ms} ms / drawn in ${ms} ms`;
    view.model.send({ type: "drawn", ms, nodes, edges });
  };
  const fallback = setTimeout(report, 30000); // nothing painted (hidden tab): say so anyway
  view.el.dataset.tcwGraph = "drawing";
  view.network.once("afterDrawing", report);
  view.network.redraw();
}

function wire(view) {
  const { network, model } = view;
  network.on("click", (params) => {
    hideMenu(view);
    if (params.nodes.length) model.send({ type: "click", node: String(params.nodes[0]) });
  });
  network.on("doubleClick", (params) => {
    if (params.nodes.length) model.send({ type: "dblclick", node: String(params.nodes[0]) });
  });
  network.on("oncontext", (params) => {
    params.event.preventDefault();
    const node = network.getNodeAt(params.pointer.DOM);
    if (node === undefined) return hideMenu(view);
    network.selectNodes([node]);
    showMenu(view, String(node), params.pointer.DOM);
  });
  network.on("dragStart", () => hideMenu(view));
  select(view);
}

function select(view) {
  const node = view.model.get("selected");
  if (!view.network) return;
  if (node && view.nodes.get(node)) view.network.selectNodes([node]);
  else view.network.unselectAll();
}

function showMenu(view, node, at) {
  const menu = view.ui.menu;
  menu.dataset.node = node;
  menu.style.left = `${at.x}px`;
  menu.style.top = `${at.y}px`;
  menu.hidden = false;
}

function hideMenu(view) {
  view.ui.menu.hidden = true;
}

// the time bar

function dayIndex(timeline, iso) {
  return Math.round((Date.parse(iso) - Date.parse(timeline.start)) / DAY_MS);
}

function dayText(timeline, index) {
  return new Date(Date.parse(timeline.start) + index * DAY_MS).toISOString().slice(0, 10);
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

function setUpTimebar(view, window) {
  const { timeline, ui } = view;
  ui.bar.hidden = !timeline;
  if (!timeline) {
    view.range = [0, 0];
    return;
  }
  const last = timeline.days - 1;
  for (const input of [ui.from, ui.to]) Object.assign(input, { min: 0, max: last, step: 1 });
  const since = window && window[0] ? dayIndex(timeline, window[0]) : 0;
  const until = window && window[1] ? dayIndex(timeline, window[1]) : last;
  view.range = [since, until]; // may reach past the drawn days: what Python's window says
  showRange(view);
}

function full(view) {
  return !view.timeline || (view.range[0] <= 0 && view.range[1] >= view.timeline.days - 1);
}

function outside(view, t) {
  return !full(view) && (t < view.range[0] || t > view.range[1]);
}

function countedEdge(view, edge) {
  const shown = full(view) ? edge.n : edge.ts.filter((t) => !outside(view, t)).length;
  const change = { hidden: shown === 0 };
  if (view.edgeLabels) change.label = `${edge.unit} ×${shown}`;
  return change;
}

function showRange(view) {
  const { timeline, ui } = view;
  const last = timeline.days - 1;
  ui.from.value = String(clamp(view.range[0], 0, last));
  ui.to.value = String(clamp(view.range[1], 0, last));
  const events = timeline.counts.reduce((sum, count, day) => sum + (outside(view, day) ? 0 : count), 0);
  const total = timeline.counts.reduce((sum, count) => sum + count, 0);
  const span = full(view) ? "全部时间 all time" : `${dayText(timeline, view.range[0])} — ${dayText(timeline, view.range[1])}`;
  ui.label.textContent = `${span} · 事件 events ${events}/${total}`;
  paintHistogram(view);
}

function paintHistogram(view) {
  const { timeline, ui } = view;
  const canvas = ui.histogram;
  const ratio = window.devicePixelRatio || 1;
  const width = (canvas.clientWidth || 600) * ratio;
  const height = (canvas.clientHeight || 40) * ratio;
  Object.assign(canvas, { width, height });
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, width, height);
  const most = Math.max(1, ...timeline.counts);
  const bar = width / timeline.days;
  timeline.counts.forEach((count, day) => {
    if (!count) return;
    context.fillStyle = outside(view, day) ? "#c9d4e3" : "#1f77b4";
    const tall = Math.max(2 * ratio, (height - 2) * (count / most));
    context.fillRect(day * bar, height - tall, Math.max(bar - 1, 1), tall);
  });
}

function applyWindow(view) {
  showRange(view);
  if (!view.nodes) return;
  const nodes = [];
  for (const [id, t] of view.nodeTimes) {
    const hidden = outside(view, t);
    if (hidden === view.timeHidden.has(id)) continue;
    if (hidden) view.timeHidden.add(id);
    else view.timeHidden.delete(id);
    nodes.push({ id, hidden });
  }
  const edges = [];
  for (const [id, edge] of view.edgeTimes) edges.push({ id, ...countedEdge(view, edge) });
  view.nodes.update(nodes);
  view.edges.update(edges);
}

function sendWindow(view) {
  clearTimeout(view.sendTimer);
  view.sendTimer = setTimeout(() => {
    const { timeline } = view;
    const last = timeline.days - 1;
    const [since, until] = view.range;
    view.model.send({ type: "window", since: since <= 0 ? null : dayText(timeline, since),
                      until: until >= last ? null : dayText(timeline, until) });
  }, SEND_WINDOW_MS);
}

function moved(view, which) {
  let since = Number(view.ui.from.value);
  let until = Number(view.ui.to.value);
  if (since > until) {
    if (which === "from") until = since;
    else since = until;
  }
  view.range = [since, until];
  applyWindow(view);
  sendWindow(view);
}

function togglePlay(view) {
  if (view.playing) return stopPlaying(view);
  const { timeline } = view;
  if (!timeline) return;
  const last = timeline.days - 1;
  const step = timeline.days > 120 ? 7 : 1;
  const width = full(view) ? step : Math.max(1, view.range[1] - view.range[0] + 1);
  if (full(view) || view.range[1] >= last) view.range = [0, width - 1];
  applyWindow(view);
  sendWindow(view);
  setPlayText(view.ui, true);
  view.playing = setInterval(() => {
    if (view.range[1] >= last) return stopPlaying(view);
    const since = view.range[0] + step;
    view.range = [since, Math.min(since + width - 1, last)];
    applyWindow(view);
    sendWindow(view);
  }, PLAY_STEP_MS);
}

function stopPlaying(view) {
  if (view.playing) clearInterval(view.playing);
  view.playing = null;
  setPlayText(view.ui, false);
}

// the widget

function controls(view) {
  const { ui, model } = view;
  ui.menu.addEventListener("click", (event) => {
    const action = event.target.dataset && event.target.dataset.action;
    if (action) model.send({ type: action, node: ui.menu.dataset.node });
    hideMenu(view);
  });
  ui.from.addEventListener("input", () => moved(view, "from"));
  ui.to.addEventListener("input", () => moved(view, "to"));
  ui.play.addEventListener("click", () => togglePlay(view));
  ui.all.addEventListener("click", () => {
    stopPlaying(view);
    view.range = [0, view.timeline.days - 1];
    applyWindow(view);
    sendWindow(view);
  });
}

function listen(view) {
  const { model, ui } = view;
  const handlers = {
    "msg:custom": (msg) => {
      if (!msg) return;
      if (msg.type === "graph") {
        if (view.vis) draw(view, msg);
        else view.pending = msg;
      } else if (msg.type === "window" && view.timeline) {
        setUpTimebar(view, msg.window);
        applyWindow(view);
      }
    },
    "change:selected": () => select(view),
    "change:height": () => { ui.canvas.style.height = model.get("height"); },
  };
  for (const [name, handler] of Object.entries(handlers)) model.on(name, handler);
  return () => { for (const [name, handler] of Object.entries(handlers)) model.off(name, handler); };
}

function render({ model, el }) {
  const view = { model, el, ui: build(el, model.get("height")), vis: null, network: null, nodes: null, edges: null,
                 pending: null, timeline: null, range: [0, 0], nodeTimes: new Map(), edgeTimes: new Map(),
                 timeHidden: new Set(), playing: null };
  const stopListening = listen(view);
  controls(view);
  model.send({ type: "ready" }); // Python answers with the current drawing
  library(model).then((vis) => {
    view.vis = vis;
    if (view.pending) draw(view, view.pending);
    view.pending = null;
  }).catch((error) => {
    el.dataset.tcwGraph = "failed";
    view.ui.status.textContent = `无法加载 vis-network / could not load vis-network: ${error}`;
  });
  return () => {
    stopPlaying(view);
    clearTimeout(view.sendTimer);
    stopListening();
    if (view.network) {
      forget(view.network);
      view.network.destroy();
    }
  };
}

export default { render };
