// recruitgraph explorer: filters, aggregation, search, details and the timeline over the
// network data that graph/viz/network.py puts into the page. Every text from the data goes
// into the document as text (textContent, DOM nodes), never as HTML.
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("explorer-data").textContent);
  const config = JSON.parse(document.getElementById("explorer-config").textContent);
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ indexes
  const nodeById = new Map(data.nodes.map((n) => [n.id, n]));
  const edgesByNode = new Map();
  for (const edge of data.edges) {
    for (const end of [edge.from, edge.to]) {
      if (!edgesByNode.has(end)) edgesByNode.set(end, []);
      edgesByNode.get(end).push(edge);
    }
  }
  const kindStyle = new Map(data.kinds.map((k) => [k.name, k]));
  const relationStyle = new Map(data.relations.map((r) => [r.name, r]));
  const confidenceRank = new Map(data.confidence.map((name, i) => [name, i + 1]));
  const months = monthsOf(data.span);
  const presentKinds = new Set(data.nodes.map((n) => n.kind));
  const presentRelations = new Set(data.edges.map((e) => e.type));

  const state = {
    from: 0,
    to: Math.max(0, months.length - 1),
    kinds: new Set(presentKinds),
    relations: new Set(presentRelations),
    minConfidence: 0,
    minAmount: null,
    datasets: new Set(data.datasets.map((d) => d.name)),
    sizeBy: "claims",
    widthBy: "count",
    expanded: new Set(), // actors whose every claim is drawn, whatever the filters
    opened: new Set(), // aggregates opened into their members
    timelineWindow: null,
  };

  // ------------------------------------------------------------------ helpers
  function monthsOf(span) {
    if (!span) return [];
    const out = [];
    let [y, m] = span.start.split("-").map(Number);
    const [ey, em] = span.end.split("-").map(Number);
    while (y < ey || (y === ey && m <= em)) {
      out.push(`${y}-${String(m).padStart(2, "0")}`);
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
    return out;
  }
  function monthEnd(month) {
    const [y, m] = month.split("-").map(Number);
    const day = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return `${month}-${String(day).padStart(2, "0")}`;
  }
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function safeUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }
  function number(value) {
    return Number(value).toLocaleString("en", { maximumFractionDigits: 2 });
  }
  function period(claim) {
    return claim.end_stated ? `${claim.start} – ${claim.end}` : `${claim.start} (to ${claim.end}, implied)`;
  }
  function label(id) {
    const node = nodeById.get(id);
    return node ? node.label : id;
  }

  // ------------------------------------------------------------------ filtering
  function claimPasses(claim) {
    if (!state.datasets.has(claim.dataset)) return false;
    if (months.length) {
      const lo = `${months[state.from]}-01`;
      const hi = monthEnd(months[state.to]);
      if (claim.start > hi || claim.end < lo) return false;
    }
    if (state.minConfidence && (confidenceRank.get(claim.confidence) || 0) < state.minConfidence) {
      return false;
    }
    if (state.minAmount !== null && !(claim.amount !== null && claim.amount >= state.minAmount)) {
      return false;
    }
    return true;
  }

  // The edges and actors that pass the filters, before aggregation.
  function filtered() {
    const edges = [];
    for (const edge of data.edges) {
      const forced = state.expanded.has(edge.from) || state.expanded.has(edge.to);
      let claims = edge.claims.filter(claimPasses);
      if (!forced) {
        if (!state.relations.has(edge.type)) continue;
        const a = nodeById.get(edge.from), b = nodeById.get(edge.to);
        if (!state.kinds.has(a.kind) || !state.kinds.has(b.kind)) continue;
      } else if (!claims.length) {
        claims = edge.claims.filter((c) => state.datasets.has(c.dataset));
      }
      if (claims.length) edges.push({ edge, claims });
    }
    const nodes = new Set();
    for (const { edge } of edges) { nodes.add(edge.from); nodes.add(edge.to); }
    return { edges, nodes };
  }

  // Past the budget: cohorts by country, then recruiters by region, then every kind by place.
  const AGGREGATION_STAGES = [["RecruitCohort"], ["Recruiter"], null];
  function aggregate(nodes) {
    const groupOf = new Map();
    if (nodes.size <= data.budget) return { groupOf, stage: 0 };
    let count = nodes.size, stage = 0;
    for (const kinds of AGGREGATION_STAGES) {
      stage += 1;
      const members = new Map();
      for (const id of nodes) {
        if (groupOf.has(id) || state.expanded.has(id)) continue;
        const node = nodeById.get(id);
        if (kinds && !kinds.includes(node.kind)) continue;
        if (state.opened.has(node.group_key)) continue;
        if (!members.has(node.group_key)) members.set(node.group_key, []);
        members.get(node.group_key).push(id);
      }
      for (const [key, ids] of members) {
        if (ids.length < 2) continue;
        for (const id of ids) groupOf.set(id, key);
        count -= ids.length - 1;
      }
      if (count <= data.budget) break;
    }
    return { groupOf, stage, count };
  }

  function sizeOf(id, claimsAt) {
    if (state.sizeBy === "claims") return claimsAt.get(id) || 0;
    const value = (nodeById.get(id).measures || {})[state.sizeBy];
    return value === undefined || value === null ? 0 : value;
  }

  // ------------------------------------------------------------------ tooltips (as text)
  function tooltip(lines) {
    const box = el("div", null, "tip");
    lines.forEach((line, i) => box.appendChild(el(i === 0 ? "strong" : "div", line)));
    return box;
  }
  function edgeTotals(claims) {
    const totals = new Map();
    for (const c of claims) {
      if (c.amount === null) continue;
      totals.set(c.currency || "?", (totals.get(c.currency || "?") || 0) + c.amount);
    }
    return [...totals].map(([cur, sum]) => `${number(sum)} ${cur}`).join(", ");
  }

  // ------------------------------------------------------------------ drawing
  const nodesView = new vis.DataSet();
  const edgesView = new vis.DataSet();
  const network = new vis.Network($("network"), { nodes: nodesView, edges: edgesView }, data.options);
  let drawn = { groups: new Map(), shown: 0, matched: 0, claims: 0 };

  function redraw() {
    const { edges, nodes } = filtered();
    const { groupOf, stage, count } = aggregate(nodes);
    const place = (id) => (groupOf.has(id) ? `group:${groupOf.get(id)}` : id);
    const claimsAt = new Map();
    const merged = new Map();
    let claimCount = 0;
    for (const { edge, claims } of edges) {
      claimCount += claims.length;
      for (const end of [edge.from, edge.to]) claimsAt.set(end, (claimsAt.get(end) || 0) + claims.length);
      const from = place(edge.from), to = place(edge.to);
      if (from === to && groupOf.has(edge.from)) continue; // inside one aggregate
      const key = `${from} ${to} ${edge.type}`;
      if (!merged.has(key)) merged.set(key, { id: key, from, to, type: edge.type, claims: [], edges: [] });
      const link = merged.get(key);
      for (const claim of claims) { link.claims.push(claim); link.edges.push(edge); }
    }
    const groups = new Map();
    const previous = network.getPositions();
    const visNodes = [];
    for (const id of nodes) {
      const node = nodeById.get(id);
      if (groupOf.has(id)) {
        const key = groupOf.get(id);
        if (!groups.has(key)) groups.set(key, { key, label: node.group_label, kind: node.kind, members: [] });
        groups.get(key).members.push(id);
        continue;
      }
      const at = previous[id] || { x: node.x, y: node.y };
      visNodes.push({
        id, label: node.label, shape: node.shape, color: node.color, x: at.x, y: at.y,
        value: sizeOf(id, claimsAt),
        title: tooltip([node.label, kindStyle.get(node.kind).label, node.code || "", `${claimsAt.get(id) || 0} claims shown`]),
        borderWidth: state.expanded.has(id) ? 3 : 1,
      });
    }
    for (const group of groups.values()) {
      const style = kindStyle.get(group.kind);
      let x = 0, y = 0, value = 0, claims = 0;
      for (const id of group.members) {
        const node = nodeById.get(id);
        x += node.x; y += node.y; value += sizeOf(id, claimsAt); claims += claimsAt.get(id) || 0;
      }
      const id = `group:${group.key}`;
      const at = previous[id] || { x: x / group.members.length, y: y / group.members.length };
      visNodes.push({
        id, label: `${group.label} (${group.members.length})`, shape: style.shape, color: style.colour,
        x: at.x, y: at.y, value, borderWidth: 3, shapeProperties: { borderDashes: [4, 3] },
        title: tooltip([`${group.label}`, `${group.members.length} ${style.label.toLowerCase()}s, aggregated`, `${claims} claims shown`]),
      });
    }
    const visEdges = [];
    for (const edge of merged.values()) {
      const style = relationStyle.get(edge.type);
      const value = state.widthBy === "amount"
        ? edge.claims.reduce((sum, c) => sum + (c.amount || 0), 0)
        : edge.claims.length;
      const totals = edgeTotals(edge.claims);
      visEdges.push({
        id: edge.id, from: edge.from, to: edge.to, value, dashes: style.dashes,
        color: { color: style.colour, highlight: style.colour, hover: style.colour, opacity: 0.75 },
        arrows: "to",
        title: tooltip([`${edge.type}: ${labelOf(edge.from)} → ${labelOf(edge.to)}`,
          `${edge.claims.length} claims`, totals ? `amounts: ${totals}` : ""]),
      });
    }
    nodesView.clear(); edgesView.clear();
    nodesView.add(visNodes); edgesView.add(visEdges);
    drawn = { groups, shown: visNodes.length, matched: nodes.size, claims: claimCount, merged };

    const stats = $("stats");
    stats.textContent = `${visNodes.length.toLocaleString("en")} nodes, ${visEdges.length.toLocaleString("en")} links, ` +
      `${claimCount.toLocaleString("en")} claims shown · ${data.nodes.length.toLocaleString("en")} actors in all`;
    stats.dataset.nodes = String(visNodes.length);
    stats.dataset.edges = String(visEdges.length);
    stats.dataset.claims = String(claimCount);
    const notice = $("notice");
    notice.replaceChildren();
    if (groups.size) {
      notice.appendChild(el("span",
        `${nodes.size.toLocaleString("en")} actors match the filters, more than this page draws at once ` +
        `(${data.budget.toLocaleString("en")}): ${describeStage(stage)} are drawn as ${groups.size.toLocaleString("en")} ` +
        `groups (dashed borders). Narrow the filters, or open a group from its details.`));
      if (count > data.budget) {
        notice.appendChild(el("span", ` Still ${count.toLocaleString("en")} nodes after grouping: drawing may be slow.`));
      }
      notice.dataset.aggregated = "true";
      notice.hidden = false;
    } else if (!edges.length) {
      notice.textContent = "No claim matches these filters.";
      notice.dataset.aggregated = "false";
      notice.hidden = false;
    } else {
      notice.dataset.aggregated = "false";
      notice.hidden = true;
    }
    const syntheticShown = edges.some(({ claims }) => claims.some((c) => syntheticDatasets.has(c.dataset)))
      || [...nodes].some((id) => nodeById.get(id).synthetic);
    $("synthetic-banner").hidden = !(syntheticShown || (data.synthetic && !edges.length));
  }
  const syntheticDatasets = new Set(data.datasets.filter((d) => d.synthetic).map((d) => d.name));
  function describeStage(stage) {
    return ["", "recruit cohorts (by country)", "recruit cohorts (by country) and recruiters (by region)",
      "actors (by kind and place)"][stage];
  }
  function labelOf(id) {
    if (id.startsWith("group:")) {
      const group = drawn.groups.get(id.slice(6));
      return group ? group.label : id;
    }
    return label(id);
  }

  // ------------------------------------------------------------------ details panel
  function claimItem(edge, claim) {
    const item = el("li", null, claimPasses(claim) ? "" : "filtered-out");
    const head = el("div", null, "claim-head");
    head.appendChild(el("strong", edge.type));
    head.appendChild(el("span", ` ${label(edge.from)} → ${label(edge.to)}`));
    item.appendChild(head);
    const facts = [period(claim)];
    if (claim.amount !== null) facts.push(`${number(claim.amount)} ${claim.currency || ""}`.trim());
    if (claim.count !== null) facts.push(`${number(claim.count)} people`);
    if (claim.purpose) facts.push(claim.purpose);
    facts.push(`confidence: ${claim.confidence || "not stated"}`);
    facts.push(`dataset: ${claim.dataset}`);
    if (claim.claim_id) facts.push(`claim ${claim.claim_id}`);
    item.appendChild(el("div", facts.join(" · "), "claim-facts"));
    const sources = el("ul", null, "sources");
    for (const source of claim.sources) {
      const li = el("li");
      const href = safeUrl(source.url);
      if (href) {
        const a = el("a", source.title || source.url);
        a.href = href; a.target = "_blank"; a.rel = "noopener noreferrer";
        li.appendChild(a);
      } else {
        li.textContent = source.title ? `${source.title} (${source.url})` : source.url;
      }
      sources.appendChild(li);
    }
    if (!claim.sources.length) sources.appendChild(el("li", "no source URL recorded"));
    item.appendChild(sources);
    return item;
  }

  let selected = null;
  function showDetails(id) {
    selected = id;
    const panel = $("details");
    const attributes = $("details-attributes");
    const list = $("details-claims");
    attributes.replaceChildren(); list.replaceChildren();
    const add = (term, value) => {
      if (value === undefined || value === null || value === "") return;
      attributes.appendChild(el("dt", term)); attributes.appendChild(el("dd", value));
    };
    let members;
    if (id.startsWith("group:")) {
      const group = drawn.groups.get(id.slice(6));
      if (!group) return;
      members = group.members;
      $("details-title").textContent = group.label;
      $("details-kind").textContent = `${members.length} actors drawn as one group`;
      add("members", members.map(label).sort().slice(0, 30).join("; ") + (members.length > 30 ? "; …" : ""));
      $("expand").textContent = "Open this group";
    } else {
      const node = nodeById.get(id);
      members = [id];
      $("details-title").textContent = node.label;
      $("details-kind").textContent = kindStyle.get(node.kind).label;
      add("identifier", node.id);
      add("tier", node.tier);
      add("place", node.code);
      if (node.aggregate) add("aggregate", "yes: stands for a group as a whole");
      if (node.synthetic) add("synthetic", "yes: generated, not from a source");
      for (const [measure, value] of Object.entries(node.measures || {})) {
        add(measure.replace("_", " "), number(value));
      }
      $("expand").textContent = state.expanded.has(id) ? "Hide extra neighbours" : "Expand neighbours";
    }
    const seen = new Set();
    let total = 0;
    const LIMIT = 300;
    for (const member of members) {
      for (const edge of edgesByNode.get(member) || []) {
        if (seen.has(edge.id)) continue;
        seen.add(edge.id);
        for (const claim of edge.claims) {
          total += 1;
          if (total <= LIMIT) list.appendChild(claimItem(edge, claim));
        }
      }
    }
    $("details-count").textContent = total > LIMIT ? `(${total}, first ${LIMIT} listed)` : `(${total})`;
    panel.hidden = false;
  }

  function showEdge(id) {
    const edge = drawn.merged.get(id);
    if (!edge) return;
    selected = null;
    $("details-title").textContent = `${edge.type}: ${labelOf(edge.from)} → ${labelOf(edge.to)}`;
    $("details-kind").textContent = "Claims behind this link (those shown under the filters)";
    $("details-attributes").replaceChildren();
    const list = $("details-claims");
    list.replaceChildren();
    edge.claims.forEach((claim, i) => list.appendChild(claimItem(edge.edges[i], claim)));
    $("details-count").textContent = `(${edge.claims.length})`;
    $("details").hidden = false;
  }

  network.on("click", (event) => {
    if (event.nodes.length) showDetails(event.nodes[0]);
    else if (event.edges.length) showEdge(event.edges[0]);
  });
  $("details-close").addEventListener("click", () => { $("details").hidden = true; selected = null; });
  $("expand").addEventListener("click", () => {
    if (!selected) return;
    if (selected.startsWith("group:")) {
      state.opened.add(selected.slice(6));
    } else if (state.expanded.has(selected)) {
      state.expanded.delete(selected);
    } else {
      state.expanded.add(selected);
    }
    const keep = selected.startsWith("group:") ? null : selected;
    redraw();
    if (keep) showDetails(keep);
    else $("details").hidden = true;
  });
  $("focus").addEventListener("click", () => { if (selected) centre(selected); });

  function centre(id) {
    network.selectNodes([id]);
    network.focus(id, { scale: 1.2, animation: { duration: 300, easingFunction: "easeInOutQuad" } });
  }

  // ------------------------------------------------------------------ search
  const datalist = $("search-labels");
  [...new Set(data.nodes.map((n) => n.label))].sort().slice(0, 5000)
    .forEach((text) => { const option = el("option"); option.value = text; datalist.appendChild(option); });
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = $("search-input").value.trim().toLowerCase();
    if (!wanted) return;
    const found = data.nodes.find((n) => n.label.toLowerCase() === wanted)
      || data.nodes.find((n) => n.label.toLowerCase().includes(wanted));
    const notice = $("notice");
    if (!found) {
      notice.textContent = `No actor's name contains “${$("search-input").value.trim()}”.`;
      notice.hidden = false;
      return;
    }
    if (!nodesView.get(found.id)) {
      // Hidden by a filter or inside an aggregate: draw it with all its claims.
      state.opened.add(found.group_key);
      if (!filtered().nodes.has(found.id)) state.expanded.add(found.id);
      redraw();
    }
    showDetails(found.id); // first: the panel narrows the canvas
    centre(found.id);
  });

  // ------------------------------------------------------------------ filter controls
  function checkboxes(container, items, chosen, describe, refresh = false) {
    container.replaceChildren();
    for (const item of items) {
      const row = el("label", null, "check");
      const box = el("input");
      box.type = "checkbox"; box.checked = chosen.has(item.name); box.value = item.name;
      box.addEventListener("change", () => {
        if (box.checked) chosen.add(item.name); else chosen.delete(item.name);
        changed(refresh);
      });
      row.appendChild(box);
      row.appendChild(describe(item));
      row.appendChild(el("span", item.label || item.name));
      container.appendChild(row);
    }
  }
  // The kinds and relations double as the legend: a swatch of each colour, shape and line.
  function buildChecks() {
    checkboxes($("kinds"), data.kinds.filter((k) => presentKinds.has(k.name)), state.kinds, (kind) => {
      const swatch = el("span", null, `swatch shape-${kind.shape}`);
      swatch.style.setProperty("--swatch", kind.colour);
      return swatch;
    });
    checkboxes($("relations"), data.relations.filter((r) => presentRelations.has(r.name)), state.relations, (relation) => {
      const line = el("span", null, "line");
      line.style.borderTopColor = relation.colour;
      line.style.borderTopStyle = relation.dashes ? "dashed" : "solid";
      return line;
    });
    checkboxes($("datasets"), data.datasets.map((d) => ({ ...d, label: d.synthetic ? `${d.name} (synthetic)` : d.name })),
      state.datasets, () => el("span"), true);
  }
  buildChecks();

  const confidence = $("min-confidence");
  confidence.appendChild(Object.assign(el("option", "any"), { value: "0" }));
  data.confidence.forEach((name, i) => confidence.appendChild(Object.assign(el("option", name), { value: String(i + 1) })));
  confidence.addEventListener("change", () => { state.minConfidence = Number(confidence.value); changed(); });
  $("min-amount").addEventListener("change", () => {
    const text = $("min-amount").value.trim();
    state.minAmount = text === "" || Number.isNaN(Number(text)) ? null : Number(text);
    changed();
  });

  const sizeBy = $("size-by");
  sizeBy.appendChild(Object.assign(el("option", "claims shown"), { value: "claims" }));
  data.measures.forEach((m) => sizeBy.appendChild(Object.assign(el("option", m.replace("_", " ")), { value: m })));
  sizeBy.addEventListener("change", () => { state.sizeBy = sizeBy.value; redraw(); });
  $("width-by").addEventListener("change", () => { state.widthBy = $("width-by").value; redraw(); });
  $("physics").addEventListener("change", () => network.setOptions({ physics: { enabled: $("physics").checked } }));
  $("fit").addEventListener("click", () => network.fit({ animation: { duration: 300 } }));

  const fromInput = $("period-from"), toInput = $("period-to");
  for (const input of [fromInput, toInput]) {
    input.max = String(Math.max(0, months.length - 1));
    input.disabled = !months.length;
    input.addEventListener("input", () => {
      state.from = Number(fromInput.value); state.to = Number(toInput.value);
      if (state.from > state.to) {
        if (input === fromInput) state.to = state.from; else state.from = state.to;
      }
      state.timelineWindow = null;
      changed();
    });
  }
  function syncPeriod() {
    fromInput.value = String(state.from); toInput.value = String(state.to);
    $("period-from-label").textContent = months[state.from] || "–";
    $("period-to-label").textContent = months[state.to] || "–";
  }
  function setPeriod(start, end) {
    const first = months.indexOf(start.slice(0, 7)), last = months.indexOf(end.slice(0, 7));
    state.from = first < 0 ? 0 : first;
    state.to = last < 0 ? months.length - 1 : last;
  }
  $("period-all").addEventListener("click", () => {
    state.from = 0; state.to = Math.max(0, months.length - 1); state.timelineWindow = null; changed();
  });
  $("reset").addEventListener("click", () => {
    state.from = 0; state.to = Math.max(0, months.length - 1);
    state.kinds = new Set(presentKinds); state.relations = new Set(presentRelations);
    state.datasets = new Set(data.datasets.map((d) => d.name));
    state.minConfidence = 0; state.minAmount = null; state.expanded.clear(); state.opened.clear();
    state.timelineWindow = null;
    confidence.value = "0"; $("min-amount").value = "";
    buildChecks();
    changed(true);
  });

  let pendingTimeline = null;
  // Every filter re-draws the network; the datasets also change the timeline (server only).
  function changed(datasetsChanged = false) {
    syncPeriod();
    redraw();
    drawTimeline();
    if (datasetsChanged) refreshTimeline();
  }

  // ------------------------------------------------------------------ timeline
  let timeline = data.timeline;
  const FIGURE_NAMES = {
    centralization_degree: "degree centralization",
    centralization_betweenness: "betweenness centralization",
    global_reaching_centrality: "global reaching centrality",
    krackhardt_hierarchy: "Krackhardt hierarchy",
    burden_shift_index: "burden-shift index (regional share of bonuses)",
    payer_concentration: "payer concentration (HHI)",
    federal_reach: "federal reach",
  };
  const figureSelect = $("timeline-figure");
  function figures() {
    if (!timeline || !timeline.windows.length) return [];
    const row = timeline.windows[0];
    return Object.keys(row).filter((k) => !["start", "end", "actors", "claims", "sampled_from"].includes(k)
      && (typeof row[k] === "number" || row[k] === null));
  }
  function fillFigures() {
    const current = figureSelect.value || "centralization_degree";
    figureSelect.replaceChildren();
    for (const name of figures()) {
      figureSelect.appendChild(Object.assign(el("option", FIGURE_NAMES[name] || name.replaceAll("_", " ")), { value: name }));
    }
    if (figures().includes(current)) figureSelect.value = current;
  }
  figureSelect.addEventListener("change", drawTimeline);

  function refreshTimeline() {
    if (config.api === null) return; // a file: the timeline it holds is the whole data's
    const params = new URLSearchParams({ window: "P12M", step: "P3M" });
    for (const name of state.datasets) params.append("dataset", name);
    if (!state.datasets.size) { timeline = { windows: [] }; drawTimeline(); return; }
    const request = fetch(`${config.api}/api/metrics/timeline?${params}`, { headers: { Accept: "application/json" } })
      .then((response) => response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`)));
    pendingTimeline = request;
    $("timeline-note").textContent = "loading…";
    request.then((result) => {
      if (pendingTimeline !== request) return;
      timeline = result; fillFigures(); drawTimeline();
    }).catch((error) => {
      if (pendingTimeline === request) $("timeline-note").textContent = `timeline not available (${error.message})`;
    });
  }

  function drawTimeline() {
    const svg = $("timeline-chart");
    svg.replaceChildren();
    const figure = figureSelect.value;
    const rows = timeline ? timeline.windows : [];
    const note = $("timeline-note");
    if (!rows.length || !figure) {
      note.textContent = timeline ? "no windows to show"
        : config.api === null ? "this file holds no timeline" : "loading…";
      return;
    }
    note.textContent = `${timeline.window} windows every ${timeline.step}; click a window to draw it`;
    const width = svg.clientWidth || 600, height = svg.clientHeight || 140;
    const pad = { left: 40, right: 10, top: 10, bottom: 24 };
    const values = rows.map((r) => r[figure]).filter((v) => typeof v === "number");
    // Scaled to the values shown (from 0), so that small figures still show their movement.
    // The figures are shares and indices in [0, 1]: the scale stops at 1 when they do.
    const top = Math.max(1e-9, ...values);
    const min = Math.min(0, ...values), max = top <= 1 ? Math.min(1, top * 1.1) : top * 1.1;
    const x = (i) => pad.left + (rows.length === 1 ? 0.5 : i / (rows.length - 1)) * (width - pad.left - pad.right);
    const y = (v) => pad.top + (1 - (v - min) / (max - min || 1)) * (height - pad.top - pad.bottom);
    const ns = "http://www.w3.org/2000/svg";
    const svgEl = (tag, attrs, text) => {
      const node = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    };
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("aria-label", `${FIGURE_NAMES[figure] || figure} over time`);
    for (const tick of [min, (min + max) / 2, max]) {
      svgEl("line", { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: "grid" });
      svgEl("text", { x: pad.left - 4, y: y(tick) + 4, class: "axis", "text-anchor": "end" }, number(tick));
    }
    const step = Math.max(1, Math.ceil(rows.length / 8));
    let path = "";
    rows.forEach((row, i) => {
      const band = (width - pad.left - pad.right) / Math.max(1, rows.length);
      const hit = svgEl("rect", {
        x: x(i) - band / 2, y: pad.top, width: band, height: height - pad.top - pad.bottom,
        class: state.timelineWindow === i ? "window selected" : "window", "data-index": i,
      });
      const tip = document.createElementNS(ns, "title");
      tip.textContent = `${row.start} – ${row.end}: ${row[figure] === null ? "no value" : number(row[figure])} (${row.claims} claims)`;
      hit.appendChild(tip);
      hit.addEventListener("click", () => {
        state.timelineWindow = i;
        setPeriod(row.start, row.end);
        changed();
      });
      if (i % step === 0) svgEl("text", { x: x(i), y: height - 6, class: "axis", "text-anchor": "middle" }, row.start.slice(0, 7));
      if (typeof row[figure] === "number") path += `${path ? "L" : "M"}${x(i)},${y(row[figure])}`;
    });
    if (path) svgEl("path", { d: path, class: "series" });
    rows.forEach((row, i) => {
      if (typeof row[figure] === "number") svgEl("circle", { cx: x(i), cy: y(row[figure]), r: 3, class: "point" });
    });
  }

  // ------------------------------------------------------------------ start
  syncPeriod();
  redraw();
  fillFigures();
  drawTimeline();
  if (!timeline) refreshTimeline();
  // Open on the largest connected component, where labels can be read; "Fit" shows all.
  const main = data.nodes.filter((n) => n.component === 0 && nodesView.get(n.id)).map((n) => n.id);
  network.fit(main.length ? { nodes: main } : undefined);
  network.once("afterDrawing", () => { document.body.dataset.ready = "true"; });
  // The chart is drawn to its size: again when the details panel or the window resizes it.
  new ResizeObserver(() => drawTimeline()).observe($("timeline-chart"));
  // For scripts and tests driving the page.
  window.explorer = { network, state, redraw, nodesView, edgesView, data };
})();
