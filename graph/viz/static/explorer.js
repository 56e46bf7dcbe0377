// recruitgraph explorer: filters, aggregation, search, details and the timeline over the
// network data that graph/viz/network.py puts into the page. Every text from the data goes
// into the document as text (textContent, DOM nodes), never as HTML.
//
// The level (organization | government) and the basis (all claims | reports only) are the
// server's filters: the served page asks /api/viz again with `level=` and `basis=` and swaps
// the data in, keeping the other filters. A file (`recruitgraph viz --out`) cannot ask: it
// holds one level, and filters the basis by itself (its claims carry their basis).
"use strict";

(function () {
  let data = JSON.parse(document.getElementById("explorer-data").textContent);
  const config = JSON.parse(document.getElementById("explorer-config").textContent);
  const $ = (id) => document.getElementById(id);
  const served = config.api !== null;
  const REPORT = "report"; // the basis that `basis=report` keeps (graph.analysis.projection)

  // ------------------------------------------------------------------ indexes
  let nodeById, edgesByNode, kindStyle, relationStyle, basisStyle, confidenceRank, months;
  let presentKinds, presentRelations, syntheticDatasets;
  function index() {
    nodeById = new Map(data.nodes.map((n) => [n.id, n]));
    edgesByNode = new Map();
    for (const edge of data.edges) {
      for (const end of [edge.from, edge.to]) {
        if (!edgesByNode.has(end)) edgesByNode.set(end, []);
        edgesByNode.get(end).push(edge);
      }
    }
    kindStyle = new Map(data.kinds.map((k) => [k.name, k]));
    relationStyle = new Map(data.relations.map((r) => [r.name, r]));
    basisStyle = new Map(data.bases.map((b) => [b.name, b]));
    confidenceRank = new Map(data.confidence.map((name, i) => [name, i + 1]));
    months = monthsOf(data.span);
    presentKinds = new Set(data.nodes.map((n) => n.kind));
    presentRelations = new Set(data.edges.map((e) => e.type));
    syntheticDatasets = new Set(data.datasets.filter((d) => d.synthetic).map((d) => d.name));
  }
  index();

  const state = {
    level: data.filter.level || "organization",
    basis: data.filter.basis === REPORT ? REPORT : "all",
    from: 0,
    to: Math.max(0, months.length - 1),
    kinds: new Set(presentKinds),
    relations: new Set(presentRelations),
    minConfidence: 0,
    minAmount: null,
    datasets: new Set(data.datasets.map((d) => d.name)),
    sizeBy: "claims",
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
  // The shapes of the kinds as SVG, and links to sources (shared.js, with the aggregate view).
  const { svgNode, SHAPES: SVG_SHAPES, shapeSwatch, safeUrl } = window.explorerShared;
  function number(value) {
    return Number(value).toLocaleString("en", { maximumFractionDigits: 2 });
  }
  function capitalised(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  function period(claim) {
    return claim.end_stated ? `${claim.start} – ${claim.end}` : `${claim.start} (to ${claim.end}, implied)`;
  }
  function label(id) {
    const node = nodeById.get(id);
    return node ? node.label : id;
  }
  function isReport(claim) {
    return claim.basis === REPORT;
  }
  function basisWords(name) {
    const style = basisStyle.get(name);
    return style ? style.legend : name;
  }
  // "400,000 RUB per recruit", "2,000,000,000 RUB total": an amount is never shown without
  // its currency and whether it is a per-recruit level or a total.
  function amountText(claim) {
    const money = `${number(claim.amount)} ${claim.currency || "(currency not stated)"}`;
    const basis = claim.amount_basis ? data.vocabulary.amount_basis[claim.amount_basis] || claim.amount_basis : null;
    return basis ? `${money} ${basis}` : `${money} (per recruit or total: not stated)`;
  }
  // A relation type in the ontology's words ("Funding flow"), never its class name.
  function relationText(type) {
    const style = relationStyle.get(type);
    return style && style.label ? style.label : type;
  }
  function purposeText(purpose) {
    return data.vocabulary.purpose[purpose] || purpose.replaceAll("_", " ");
  }
  // How many actors a rolled-up node carries the claims of (itself included): 1 unless the
  // government level or an analysts' merge rolled others into it.
  function standsFor(node) {
    return (node.stands_for || []).length;
  }
  function standsForText(node) {
    const n = standsFor(node);
    if (n < 2) return "";
    return state.level === "government" ? `${n} organizations` : `${n} merged actors`;
  }
  function levelWords(level = state.level, basis = state.basis) {
    return `${capitalised(level)} level · ${basis === REPORT ? "reports only" : "all claims"}`;
  }

  // ------------------------------------------------------------------ filtering
  function claimPasses(claim) {
    if (!state.datasets.has(claim.dataset)) return false;
    if (state.basis === REPORT && !isReport(claim)) return false;
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
        // Expanding brings back what the filters hide, but never the datasets or the basis
        // the reader left out.
        claims = edge.claims.filter((c) => state.datasets.has(c.dataset) && (state.basis !== REPORT || isReport(c)));
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
    lines.filter((line) => line).forEach((line, i) => box.appendChild(el(i === 0 ? "strong" : "div", line)));
    return box;
  }
  // A node's tooltip, and the same lines as one sentence for the keyboard's list of nodes.
  function described(lines) {
    return { title: tooltip(lines), words: lines.filter((line) => line).join(", ") };
  }
  // The amounts of a link, per currency and amount basis, as ranges: never summed, since
  // per-recruit levels do not add up, and totals of several claims may count one budget twice.
  function amountRanges(claims) {
    const ranges = new Map();
    for (const c of claims) {
      if (c.amount === null) continue;
      const key = `${c.currency || "(currency not stated)"}|${c.amount_basis || ""}`;
      const range = ranges.get(key) || { ...c, min: c.amount, max: c.amount, n: 0 };
      range.min = Math.min(range.min, c.amount); range.max = Math.max(range.max, c.amount); range.n += 1;
      ranges.set(key, range);
    }
    return [...ranges.values()].map((r) => {
      const text = amountText({ ...r, amount: r.min });
      if (r.min === r.max) return r.n > 1 ? `${text} (${r.n} claims)` : text;
      return `${number(r.min)}–${amountText({ ...r, amount: r.max })} (${r.n} claims)`;
    }).join("; ");
  }

  // ------------------------------------------------------------------ drawing
  const nodesView = new vis.DataSet();
  const edgesView = new vis.DataSet();
  const network = new vis.Network($("network"), { nodes: nodesView, edges: edgesView }, data.options);
  // The links for the keyboard (links.js): moving selects the link, Enter opens its claims.
  const linkKeys = window.linkList($("link-list"), $("link-active"),
    (id) => { network.selectEdges([id]); network.redraw(); }, (id) => showEdge(id));
  let drawn = { groups: new Map(), shown: 0, matched: 0, claims: 0, merged: new Map(), edges: [] };

  // Links between the same two nodes (another relation type, another basis, the other
  // direction) are bent apart, so that none hides another.
  function spread(visEdges) {
    const byPair = new Map();
    for (const edge of visEdges) {
      const pair = edge.from < edge.to ? `${edge.from} ${edge.to}` : `${edge.to} ${edge.from}`;
      if (!byPair.has(pair)) byPair.set(pair, []);
      byPair.get(pair).push(edge);
    }
    for (const siblings of byPair.values()) {
      siblings.forEach((edge, i) => {
        if (i === 0 || edge.from === edge.to) return;
        edge.smooth = { enabled: true, type: i % 2 ? "curvedCW" : "curvedCCW", roundness: 0.18 * Math.ceil(i / 2) };
      });
    }
  }

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
      const key = `${from} ${to} ${edge.type} ${edge.basis}`;
      if (!merged.has(key)) merged.set(key, { id: key, from, to, type: edge.type, basis: edge.basis, claims: [], edges: [] });
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
      const rolled = standsForText(node);
      visNodes.push({
        // No vis label: the page draws the captions itself (drawLabels), where they fit.
        id, caption: rolled ? [node.short_label || node.label, rolled] : [node.short_label || node.label],
        shape: node.shape, color: node.color, x: at.x, y: at.y,
        value: sizeOf(id, claimsAt),
        ...described([node.label, kindStyle.get(node.kind).label, node.code || "",
          rolled ? `stands for ${rolled}` : "", `${claimsAt.get(id) || 0} claims shown`]),
        borderWidth: state.expanded.has(id) || rolled ? 3 : 1,
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
        id, caption: [group.label, `${group.members.length} actors`], shape: style.shape, color: style.colour,
        x: at.x, y: at.y, value, borderWidth: 3, shapeProperties: { borderDashes: [4, 3] },
        ...described([`${group.label}`, `${group.members.length} ${style.label.toLowerCase()}s, aggregated`, `${claims} claims shown`]),
      });
    }
    const visEdges = [];
    for (const edge of merged.values()) {
      const style = relationStyle.get(edge.type);
      const basis = basisStyle.get(edge.basis);
      const amounts = amountRanges(edge.claims);
      visEdges.push({
        id: edge.id, from: edge.from, to: edge.to,
        // The width: the number of claims (amounts of several currencies, or per-recruit
        // levels and totals, do not add up).
        value: edge.claims.length,
        dashes: basis ? basis.dashes : true,
        color: { color: style.colour, highlight: style.colour, hover: style.colour, opacity: 0.75 },
        arrows: { to: { enabled: true, type: style.arrow } },
        title: tooltip([`${relationText(edge.type)}: ${labelOf(edge.from)} → ${labelOf(edge.to)}`,
          basisWords(edge.basis),
          `${edge.claims.length} ${edge.claims.length === 1 ? "claim" : "claims"}`,
          amounts ? `amounts: ${amounts}` : ""]),
      });
    }
    visEdges.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    spread(visEdges);
    nodesView.clear(); edgesView.clear();
    nodesView.add(visNodes); edgesView.add(visEdges);
    rankLabels(visNodes, visEdges);
    drawn = { groups, shown: visNodes.length, matched: nodes.size, claims: claimCount, merged, edges };
    listNodes();
    linkKeys.update(visEdges.map((edge) => {
      const link = merged.get(edge.id);
      const n = link.claims.length;
      return { id: edge.id, words: `${labelOf(link.from)}, ${relationText(link.type).toLowerCase()} to ` +
        `${labelOf(link.to)}: ${n} ${n === 1 ? "claim" : "claims"} (${basisWords(link.basis)})` };
    }));

    const stats = $("stats");
    const assessments = edges.reduce((n, { claims }) => n + claims.filter((c) => !isReport(c)).length, 0);
    stats.textContent = `${visNodes.length.toLocaleString("en")} nodes, ${visEdges.length.toLocaleString("en")} links, ` +
      `${claimCount.toLocaleString("en")} claims shown (${assessments.toLocaleString("en")} assessments)` +
      ` · ${data.nodes.length.toLocaleString("en")} actors in all`;
    stats.dataset.nodes = String(visNodes.length);
    stats.dataset.edges = String(visEdges.length);
    stats.dataset.claims = String(claimCount);
    stats.dataset.assessments = String(assessments);
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
    showView();
    saveView();
  }
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
  // The level and basis drawn, in the header and on the body (for scripts and tests).
  function showView() {
    $("view").textContent = levelWords();
    document.body.dataset.level = state.level;
    document.body.dataset.basis = state.basis;
  }

  // ------------------------------------------------------------------ labels
  // The page draws the node captions itself, after vis-network has drawn the network: at a
  // fixed size on screen (never below LABEL.min px, whatever the zoom), and only where a
  // caption does not cover one already placed. Captions are placed in order of importance
  // (the node pointed at or selected, then the most links drawn, then the most claims), so that at a
  // distant zoom the hubs keep their names and the leaves show theirs on zooming in; every
  // name is in the node's tooltip and details. Placed again on every draw (zoom, drag).
  // `hubs`: the most important captions, which may cover another node's shape where no place
  // beside their own is clear of them (a hub is ringed by its leaves; it must keep its name).
  const LABEL = { min: 11, base: 13, max: 16, gap: 3, pad: 2, lineHeight: 1.2, hubs: 8 };
  const LABEL_FONT = getComputedStyle(document.body).fontFamily || "sans-serif";
  let labelOrder = []; // [{ id, lines }] most important first
  let placedLabels = []; // the captions of the last draw, in the canvas's CSS pixels

  function rankLabels(visNodes, visEdges) {
    const links = new Map();
    for (const edge of visEdges) {
      for (const end of [edge.from, edge.to]) links.set(end, (links.get(end) || 0) + 1);
    }
    const weight = (node) => [links.get(node.id) || 0, node.value || 0];
    labelOrder = visNodes.map((node) => ({ id: node.id, lines: node.caption, weight: weight(node) }))
      .sort((a, b) => b.weight[0] - a.weight[0] || b.weight[1] - a.weight[1] || (a.id < b.id ? -1 : 1));
  }

  // The rectangles taken so far (captions, and the nodes' own shapes, tagged with their node),
  // by cells of a coarse grid: a new caption is checked against those near it only, and may
  // touch its own node's shape but no other.
  function labelGrid(cell = 64) {
    const cells = new Map();
    const keys = (r) => {
      const out = [];
      for (let x = Math.floor(r.left / cell); x <= Math.floor(r.right / cell); x++) {
        for (let y = Math.floor(r.top / cell); y <= Math.floor(r.bottom / cell); y++) out.push(`${x},${y}`);
      }
      return out;
    };
    return {
      free(r, own, captionsOnly = false) {
        return keys(r).every((key) => (cells.get(key) || []).every((o) => o.node === own ||
          (captionsOnly && o.node !== null) ||
          r.right <= o.left || o.right <= r.left || r.bottom <= o.top || o.bottom <= r.top));
      },
      add(r) {
        for (const key of keys(r)) { if (!cells.has(key)) cells.set(key, []); cells.get(key).push(r); }
      },
    };
  }

  function drawLabels(ctx) {
    const canvas = network.canvas; // vis-network's own: its pixel ratio
    const ratio = (canvas && canvas.pixelRatio) || window.devicePixelRatio || 1;
    const box = $("network");
    const width = box.clientWidth, height = box.clientHeight;
    const font = Math.max(LABEL.min, Math.min(LABEL.max, LABEL.base * network.getScale()));
    const line = font * LABEL.lineHeight;
    // The node under the pointer and the selected ones are named first, whatever their rank.
    const selected = new Set(network.getSelectedNodes());
    if (hovered !== null) selected.add(hovered);
    if (active !== null && networkBox.matches(":focus-visible")) selected.add(active);
    const order = [...labelOrder.filter((l) => selected.has(l.id)), ...labelOrder.filter((l) => !selected.has(l.id))];
    const positions = network.getPositions(order.map((l) => l.id));
    const grid = labelGrid();
    const shapes = new Map();
    for (const label of order) {
      if (!positions[label.id]) continue;
      const shape = network.getBoundingBox(label.id);
      const a = network.canvasToDOM({ x: shape.left, y: shape.top });
      const b = network.canvasToDOM({ x: shape.right, y: shape.bottom });
      if (b.x < 0 || b.y < 0 || a.x > width || a.y > height) continue;
      const r = { left: a.x, top: a.y, right: b.x, bottom: b.y, node: label.id };
      shapes.set(label.id, r);
      grid.add(r);
    }
    const placed = [];
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = `${font}px ${LABEL_FONT}`;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.lineJoin = "round";
    order.forEach((label, rank) => {
      const shape = shapes.get(label.id);
      if (!shape) return;
      const centre = network.canvasToDOM(positions[label.id]);
      const top = { x: shape.left, y: shape.top }, bottom = { x: shape.right, y: shape.bottom };
      const textWidth = Math.max(...label.lines.map((text) => ctx.measureText(text).width));
      const w = textWidth + 2 * LABEL.pad, h = label.lines.length * line;
      // Beneath the node, else above it, else to its right or left.
      const candidates = [
        { left: centre.x - w / 2, top: bottom.y + LABEL.gap },
        { left: centre.x - w / 2, top: top.y - LABEL.gap - h },
        { left: bottom.x + LABEL.gap, top: centre.y - h / 2 },
        { left: top.x - LABEL.gap - w, top: centre.y - h / 2 },
      ];
      const hub = rank < LABEL.hubs || selected.has(label.id);
      const tries = hub ? [false, true].flatMap((captionsOnly) => candidates.map((c) => ({ ...c, captionsOnly })))
        : candidates;
      for (const c of tries) {
        const r = { left: c.left, top: c.top, right: c.left + w, bottom: c.top + h, node: null };
        if (r.left < 0 || r.top < 0 || r.right > width || r.bottom > height
          || !grid.free(r, label.id, c.captionsOnly)) continue;
        grid.add(r);
        placed.push({ id: label.id, text: label.lines.join("\n"), font, left: r.left, top: r.top, right: r.right, bottom: r.bottom });
        label.lines.forEach((text, i) => {
          const x = r.left + w / 2, y = r.top + i * line + (line - font) / 2;
          ctx.lineWidth = 3; ctx.strokeStyle = "rgba(255,255,255,0.9)";
          ctx.strokeText(text, x, y);
          ctx.fillStyle = i === 0 ? "#1d2329" : "#5f6b76";
          ctx.fillText(text, x, y);
        });
        break;
      }
    });
    ctx.restore();
    placedLabels = placed;
  }
  let hovered = null;
  network.on("hoverNode", (event) => { hovered = event.node; network.redraw(); });
  network.on("blurNode", () => { hovered = null; network.redraw(); });
  network.on("afterDrawing", drawLabels);

  // The captions drawn, in the page's CSS pixels (for tests and scripts): each with its
  // node, text, font size on screen and rectangle.
  function labelBoxes() {
    const box = $("network").getBoundingClientRect();
    return placedLabels.map((r) => ({
      id: r.id, text: r.text, font: r.font,
      left: box.left + r.left, top: box.top + r.top, right: box.left + r.right, bottom: box.top + r.bottom,
    }));
  }

  // ------------------------------------------------------------------ details panel
  function claimItem(edge, claim) {
    const assessment = !isReport(claim);
    const item = el("li", null, ["claim", assessment ? "assessment" : "report", claimPasses(claim) ? "" : "filtered-out"].join(" ").trim());
    item.dataset.claim = claim.claim_id || claim.id;
    const head = el("div", null, "claim-head");
    head.appendChild(el("strong", relationText(claim.type || edge.type)));
    head.appendChild(el("span", assessment ? "assessment" : "report", `badge ${assessment ? "badge-assessment" : "badge-report"}`));
    // The claim's own parties; at the government level they differ from the drawn ends.
    const subject = claim.subject_label || label(claim.subject || edge.from);
    const object = claim.object_label || label(claim.object || edge.to);
    head.appendChild(el("span", ` ${subject} → ${object}`, "parties"));
    item.appendChild(head);
    if ((claim.subject && claim.subject !== edge.from) || (claim.object && claim.object !== edge.to)) {
      item.appendChild(el("div", `drawn as ${label(edge.from)} → ${label(edge.to)}`, "claim-drawn"));
    }
    item.appendChild(el("p", claim.note || "(no note recorded)", claim.note ? "claim-note" : "claim-note missing"));
    const facts = [`basis: ${basisWords(claim.basis)}`, period(claim)];
    if (claim.amount !== null) facts.push(amountText(claim));
    if (claim.count !== null) facts.push(`${number(claim.count)} people`);
    if (claim.purpose) facts.push(purposeText(claim.purpose));
    if (claim.foreigners !== null && claim.foreigners !== undefined) {
      facts.push(claim.foreigners ? "covers foreigners" : "does not cover foreigners");
    }
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
      if (!node) { panel.hidden = true; selected = null; return; }
      members = [id];
      $("details-title").textContent = node.label;
      $("details-kind").textContent = kindStyle.get(node.kind).label;
      add("identifier", node.id);
      add("tier", node.tier);
      add("place", node.code);
      const rolled = standsForText(node);
      if (rolled) {
        add("stands for", `${rolled}: ${node.stands_for.map((actor) => actor.label).join("; ")}`);
      }
      if (node.part_of) add("part of", label(node.part_of));
      if (node.aggregate) add("aggregate", "yes: stands for a group as a whole");
      if (node.synthetic) add("synthetic", "yes: generated, not from a source");
      for (const [measure, value] of Object.entries(node.measures || {})) {
        add(measure.replaceAll("_", " "), number(value));
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
          if (state.basis === REPORT && !isReport(claim)) continue; // not even greyed out
          total += 1;
          if (total <= LIMIT) list.appendChild(claimItem(edge, claim));
        }
      }
    }
    $("details-count").textContent = total > LIMIT ? `(${total}, first ${LIMIT} listed)` : `(${total})`;
    panel.hidden = false;
    saveView();
    markActive();
  }

  function showEdge(id) {
    const edge = drawn.merged.get(id);
    if (!edge) return;
    selected = null;
    saveView();
    $("details-title").textContent = `${relationText(edge.type)}: ${labelOf(edge.from)} → ${labelOf(edge.to)}`;
    $("details-kind").textContent = `${capitalised(basisWords(edge.basis))}: the claims behind this link (those shown under the filters)`;
    $("details-attributes").replaceChildren();
    const list = $("details-claims");
    list.replaceChildren();
    edge.claims.forEach((claim, i) => list.appendChild(claimItem(edge.edges[i], claim)));
    $("details-count").textContent = `(${edge.claims.length})`;
    $("details").hidden = false;
  }

  network.on("click", (event) => {
    if (event.nodes.length) { active = event.nodes[0]; showDetails(event.nodes[0]); }
    else if (event.edges.length) showEdge(event.edges[0]);
  });
  $("details-close").addEventListener("click", () => { $("details").hidden = true; selected = null; saveView(); markActive(); });
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

  // ------------------------------------------------------------------ keyboard
  // The network is a listbox for the keyboard and for screen readers: its options (visually
  // hidden, one per node drawn, in the captions' order of importance: most links first) say
  // what each node is; the arrow keys move the focus between them, which the canvas shows as
  // a ring (and the node's caption), Enter or Space opens the details a click opens, Escape
  // closes them, and typing jumps to the next actor whose name starts so.
  const networkBox = $("network");
  const visFrame = networkBox.querySelector(".vis-network");
  visFrame.removeAttribute("tabindex"); // vis-network's own focus stop does nothing here
  visFrame.setAttribute("aria-hidden", "true");
  const nodeOptions = el("div", null, "visually-hidden");
  nodeOptions.setAttribute("role", "presentation");
  networkBox.appendChild(nodeOptions);
  let keyOrder = []; // node ids, as the options list them
  let active = null; // the node the keyboard is on
  const optionId = (i) => `network-option-${i}`;

  // Called on every redraw: the order of the nodes drawn. Their options are written when
  // the page is idle, or at once when the keyboard needs them: writing a thousand of them
  // would slow every filter's redraw by a tenth of a second.
  let optionsStale = false;
  function listNodes() {
    keyOrder = labelOrder.map((l) => l.id);
    if (active !== null && !keyOrder.includes(active)) active = null;
    optionsStale = true;
    (window.requestIdleCallback || setTimeout)(writeOptions);
  }
  function writeOptions() {
    if (!optionsStale) return;
    optionsStale = false;
    nodeOptions.replaceChildren(...keyOrder.map((id, i) => {
      const option = el("div", nodesView.get(id).words);
      option.id = optionId(i);
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(id === selected));
      option.dataset.node = id;
      return option;
    }));
    markActive();
  }
  function markActive() {
    writeOptions();
    const i = keyOrder.indexOf(active);
    if (i < 0) networkBox.removeAttribute("aria-activedescendant");
    else networkBox.setAttribute("aria-activedescendant", optionId(i));
    $("network-active").textContent = i < 0 ? "" : `${nodesView.get(active).words} (${i + 1} of ${keyOrder.length}).`;
    for (const option of nodeOptions.children) option.setAttribute("aria-selected", String(option.dataset.node === selected));
  }
  function setActive(id) {
    active = id;
    markActive();
    if (id === null) { network.redraw(); return; }
    // Brought into view if it is off the canvas (or under its edge), at the same zoom.
    const at = network.canvasToDOM(network.getPositions([id])[id]);
    const margin = 40;
    if (at.x < margin || at.y < margin || at.x > networkBox.clientWidth - margin || at.y > networkBox.clientHeight - margin) {
      network.moveTo({ position: network.getPositions([id])[id], scale: network.getScale() });
    }
    network.redraw();
  }
  const TYPING_PAUSE = 800; // ms between keys that still spell one name
  const typed = { text: "", at: 0 };
  function typeAhead(key) {
    const now = Date.now();
    typed.text = now - typed.at > TYPING_PAUSE ? key : typed.text + key;
    typed.at = now;
    const start = keyOrder.indexOf(active);
    // The same letter again steps on through the names that start with it.
    const from = typed.text.length === 1 ? start + 1 : Math.max(0, start);
    for (let k = 0; k < keyOrder.length; k++) {
      const id = keyOrder[(from + k) % keyOrder.length];
      const words = nodesView.get(id).words.toLowerCase();
      if (words.startsWith(typed.text)) return id;
    }
    return null;
  }
  function openActive() {
    network.selectNodes([active]);
    showDetails(active);
    markActive();
    network.redraw();
    // Said to screen readers, whose focus stays on the network.
    $("network-said").textContent = `Details of ${$("details-title").textContent} ${$("details-count").textContent
    } claims, beside the network.`;
  }
  function clearSelection() {
    $("network-said").textContent = $("details").hidden ? "" : "Details closed.";
    network.unselectAll();
    $("details").hidden = true;
    selected = null;
    saveView();
    markActive();
    network.redraw();
  }
  networkBox.addEventListener("focus", () => {
    // A click focuses the network too: it moves nothing (the keys do, from the node clicked).
    if (!keyOrder.length || !networkBox.matches(":focus-visible")) return;
    if (active === null) setActive(selected && keyOrder.includes(selected) ? selected : keyOrder[0]);
    else network.redraw();
  });
  networkBox.addEventListener("blur", () => network.redraw());
  networkBox.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || !keyOrder.length) return;
    const i = keyOrder.indexOf(active);
    const last = keyOrder.length - 1;
    const moves = {
      ArrowDown: i + 1, ArrowRight: i + 1, ArrowUp: i - 1, ArrowLeft: i - 1,
      PageDown: i + 10, PageUp: i - 10, Home: 0, End: last,
    };
    // A space while a name is being typed is part of the name, else it opens the node.
    const typing = Date.now() - typed.at <= TYPING_PAUSE;
    if (event.key in moves) {
      setActive(keyOrder[Math.max(0, Math.min(last, i < 0 ? 0 : moves[event.key]))]);
    } else if ((event.key === "Enter" || (event.key === " " && !typing)) && active !== null) {
      openActive();
    } else if (event.key === "Escape") {
      clearSelection();
    } else if (event.key.length === 1) {
      const found = typeAhead(event.key.toLowerCase());
      if (found !== null) setActive(found);
    } else {
      return;
    }
    event.preventDefault();
  });
  // Escape in the details panel closes it and gives the keyboard back to the network.
  $("details").addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    clearSelection();
    networkBox.focus();
  });
  // The ring around the node in focus, drawn over the network while the keyboard is on it:
  // white under blue, so that it shows on any node colour and on the white ground.
  function drawFocus(ctx) {
    if (active === null || document.activeElement !== networkBox || !nodesView.get(active)) return;
    const shape = network.getBoundingBox(active);
    const a = network.canvasToDOM({ x: shape.left, y: shape.top });
    const b = network.canvasToDOM({ x: shape.right, y: shape.bottom });
    const ratio = (network.canvas && network.canvas.pixelRatio) || window.devicePixelRatio || 1;
    const centre = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    const radius = Math.max(b.x - a.x, b.y - a.y) / 2 + 6;
    ctx.save();
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    for (const [colour, width] of [["#ffffff", 7], ["#0b5cad", 3.5]]) {
      ctx.beginPath();
      ctx.arc(centre.x, centre.y, radius, 0, 2 * Math.PI);
      ctx.lineWidth = width; ctx.strokeStyle = colour;
      ctx.stroke();
    }
    ctx.restore();
  }
  network.on("afterDrawing", drawFocus);

  // ------------------------------------------------------------------ search
  // An actor's node drawn (opened from its group or expanded where it is hidden), its
  // details shown and centred.
  function show(found) {
    if (!nodesView.get(found.id)) {
      // Hidden by a filter or inside an aggregate: draw it with all its claims.
      state.opened.add(found.group_key);
      if (!filtered().nodes.has(found.id)) state.expanded.add(found.id);
      redraw();
    }
    showDetails(found.id); // first: the panel narrows the canvas
    centre(found.id);
  }
  function fillSearch() {
    const datalist = $("search-labels");
    datalist.replaceChildren();
    [...new Set(data.nodes.map((n) => n.label))].sort().slice(0, 5000)
      .forEach((text) => { const option = el("option"); option.value = text; datalist.appendChild(option); });
  }
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = $("search-input").value.trim().toLowerCase();
    if (!wanted) return;
    const found = data.nodes.find((n) => n.label.toLowerCase() === wanted)
      || data.nodes.find((n) => n.label.toLowerCase().includes(wanted))
      // At the government level an organization is found in the node it is rolled into.
      || data.nodes.find((n) => (n.stands_for || []).some((a) => a.label.toLowerCase().includes(wanted)));
    const notice = $("notice");
    if (!found) {
      notice.textContent = `No actor's name contains “${$("search-input").value.trim()}”.`;
      notice.hidden = false;
      return;
    }
    show(found);
  });

  // ------------------------------------------------------------------ filter controls
  function checkboxes(container, items, chosen, describe) {
    container.replaceChildren();
    for (const item of items) {
      const row = el("label", null, "check");
      const box = el("input");
      box.type = "checkbox"; box.checked = chosen.has(item.name); box.value = item.name;
      box.addEventListener("change", () => {
        if (box.checked) chosen.add(item.name); else chosen.delete(item.name);
        changed();
      });
      row.appendChild(box);
      row.appendChild(describe(item));
      row.appendChild(el("span", item.label || item.name));
      container.appendChild(row);
    }
  }
  // A short line as the page draws it: the relation type's colour and arrowhead, or a basis's
  // dashes (grey: the dashes alone tell the basis, whatever the colour).
  function lineSwatch(colour, arrow, dashed) {
    const svg = svgNode("svg", { width: 30, height: 12, viewBox: "0 0 30 12", class: "line", "aria-hidden": "true" });
    svg.appendChild(svgNode("line", { x1: 1, y1: 6, x2: arrow ? 21 : 29, y2: 6, stroke: colour, "stroke-width": 2.5,
      "stroke-dasharray": dashed ? "4 3" : "none" }));
    const filled = { fill: colour, stroke: colour };
    const heads = {
      arrow: () => svgNode("polygon", { points: "20,2 28,6 20,10", ...filled }),
      vee: () => svgNode("polygon", { points: "19,2 28,6 19,10 22,6", ...filled }),
      circle: () => svgNode("circle", { cx: 24, cy: 6, r: 3.5, ...filled }),
      diamond: () => svgNode("polygon", { points: "20,6 24,2 28,6 24,10", ...filled }),
      bar: () => svgNode("line", { x1: 24, y1: 1, x2: 24, y2: 11, stroke: colour, "stroke-width": 2.5 }),
      box: () => svgNode("rect", { x: 20, y: 2, width: 8, height: 8, ...filled }),
      inv_triangle: () => svgNode("polygon", { points: "28,2 20,6 28,10", ...filled }),
    };
    if (arrow) svg.appendChild((heads[arrow] || heads.arrow)());
    return svg;
  }
  // The kinds and relations double as the legend: a swatch of each colour, shape and line.
  function buildChecks() {
    checkboxes($("kinds"), data.kinds.filter((k) => presentKinds.has(k.name)), state.kinds, shapeSwatch);
    checkboxes($("relations"), data.relations.filter((r) => presentRelations.has(r.name)), state.relations,
      (relation) => lineSwatch(relation.colour, relation.arrow, false));
    checkboxes($("datasets"), data.datasets.map((d) => ({ ...d, label: d.synthetic ? `${d.name} (synthetic)` : d.name })),
      state.datasets, () => el("span"));
  }

  // ------------------------------------------------------------------ level and basis
  function radios(container, name, items, chosen, disabled, onChange) {
    container.replaceChildren();
    for (const item of items) {
      const row = el("label", null, "check");
      const input = el("input");
      input.type = "radio"; input.name = name; input.value = item.value;
      input.checked = item.value === chosen;
      input.disabled = disabled(item.value);
      input.addEventListener("change", () => { if (input.checked) onChange(item.value); });
      row.appendChild(input);
      row.appendChild(el("span", item.label));
      container.appendChild(row);
    }
  }
  function syncChoices() {
    for (const input of document.querySelectorAll("#level input")) input.checked = input.value === state.level;
    for (const input of document.querySelectorAll("#basis input")) input.checked = input.value === state.basis;
  }
  function buildViewControls() {
    // A file holds one level, and the basis it was written with: what it cannot show is
    // disabled, and the note says how to get it.
    const fileLevel = data.filter.level || "organization";
    const fileBasis = data.filter.basis === REPORT ? REPORT : "all";
    radios($("level"), "level", data.levels.map((level) => ({ value: level, label: capitalised(level) })), state.level,
      (level) => !served && level !== fileLevel, (level) => { state.level = level; reload(); });
    radios($("basis"), "basis", [{ value: "all", label: "All claims" }, { value: REPORT, label: "Reports only" }], state.basis,
      (basis) => !served && fileBasis === REPORT && basis !== REPORT,
      (basis) => { state.basis = basis; served ? reload() : changed(); });
    const notes = [];
    if (!served) {
      const other = data.levels.filter((level) => level !== fileLevel);
      notes.push(`This file holds the ${fileLevel} level; for the ${other.join(", ")} level write another with ` +
        `recruitgraph viz --level ${other[0] || fileLevel}.`);
      if (fileBasis === REPORT) notes.push("It holds reports only (written with --basis report).");
    }
    $("level-note").textContent = notes.join(" ");
    $("level-note").hidden = !notes.length;
    const legend = $("bases");
    legend.replaceChildren();
    for (const basis of data.bases) {
      const row = el("div", null, "check legend-row");
      row.appendChild(lineSwatch("#5f6b76", null, basis.dashes));
      const words = el("span", basis.legend);
      words.title = basis.definition;
      row.appendChild(words);
      legend.appendChild(row);
    }
  }

  // The server's filters of this page (its own query, less the view's parameters) with the
  // level and basis chosen.
  function serverParams() {
    const params = new URLSearchParams(window.location.search);
    for (const name of ["window", "step", "level", "basis", "focus", ...VIEW_PARAMS]) params.delete(name);
    params.set("level", state.level);
    params.set("basis", state.basis);
    return params;
  }
  // The server's filters with the page's own kinds, relations, confidence and datasets, so
  // that what the server computes (the timeline, the GEXF export) is over the claims drawn.
  // The period is left to the caller (the timeline's axis is time). Null: nothing passes.
  function filterParams() {
    if (!state.kinds.size || !state.relations.size || !state.datasets.size) return null;
    const params = serverParams();
    const subset = (name, chosen, present) => {
      if (chosen.size === present.size) return; // all: the server's own (the page's query)
      params.delete(name);
      for (const item of chosen) params.append(name, item);
    };
    subset("kinds", state.kinds, presentKinds);
    subset("relations", state.relations, presentRelations);
    params.delete("dataset");
    for (const name of state.datasets) params.append("dataset", name);
    if (state.minConfidence) params.set("min_confidence", data.confidence[state.minConfidence - 1]);
    if (state.minAmount !== null) params.set("min_amount", String(state.minAmount));
    return params;
  }

  // ------------------------------------------------------------------ the view in the URL
  // Everything the reader chose is kept in the query under names the server does not read
  // (the server's own filters there choose the data the page holds), so that reloading or
  // sharing the address opens the same view. Kinds, relations and datasets are kept as the
  // ones left out: a kind new in the data shows.
  const VIEW_PARAMS = ["from", "to", "hide_kind", "hide_relation", "hide_dataset", "confidence", "amount",
    "size", "selected", "zoom", "x", "y", "figure", "timeline_window"];
  const asked = new URLSearchParams(window.location.search);
  function viewParams() {
    const params = serverParams();
    if (months.length && (state.from > 0 || state.to < months.length - 1)) {
      params.set("from", months[state.from]); params.set("to", months[state.to]);
    }
    const left = (name, present, chosen) => { for (const item of present) if (!chosen.has(item)) params.append(name, item); };
    left("hide_kind", presentKinds, state.kinds);
    left("hide_relation", presentRelations, state.relations);
    left("hide_dataset", data.datasets.map((d) => d.name), state.datasets);
    if (state.minConfidence) params.set("confidence", data.confidence[state.minConfidence - 1]);
    if (state.minAmount !== null) params.set("amount", String(state.minAmount));
    if (state.sizeBy !== "claims") params.set("size", state.sizeBy);
    if (selected) params.set("selected", selected);
    const centre = network.getViewPosition();
    params.set("zoom", network.getScale().toFixed(3));
    params.set("x", String(Math.round(centre.x))); params.set("y", String(Math.round(centre.y)));
    const figure = figureSelect.value || chosenFigure; // the chosen one, while a timeline loads
    if (figure) params.set("figure", figure);
    if (state.timelineWindow !== null) params.set("timeline_window", String(state.timelineWindow));
    return params;
  }
  function saveView() {
    try {
      window.history.replaceState(null, "", `${window.location.pathname}?${viewParams()}`);
    } catch (error) {
      // A page in a notebook's frame (about:srcdoc) has no address of its own to keep.
    }
  }
  let savingMove = null; // zooming and dragging fire many events: the address follows once they stop
  function saveViewSoon() {
    clearTimeout(savingMove);
    savingMove = setTimeout(saveView, 200);
  }
  // The filters of the address, before the first drawing (selection and zoom once drawn).
  function restoreFilters() {
    for (const name of asked.getAll("hide_kind")) state.kinds.delete(name);
    for (const name of asked.getAll("hide_relation")) state.relations.delete(name);
    for (const name of asked.getAll("hide_dataset")) state.datasets.delete(name);
    state.minConfidence = data.confidence.indexOf(asked.get("confidence")) + 1;
    const amount = asked.get("amount");
    state.minAmount = amount !== null && amount.trim() !== "" && !Number.isNaN(Number(amount)) ? Number(amount) : null;
    if (asked.has("from") || asked.has("to")) setPeriod(asked.get("from") || "", asked.get("to") || "");
    if (["claims", ...data.measures].includes(asked.get("size"))) state.sizeBy = asked.get("size");
    if (asked.has("timeline_window")) state.timelineWindow = Number(asked.get("timeline_window"));
    chosenFigure = asked.get("figure");
    confidence.value = String(state.minConfidence);
    $("min-amount").value = state.minAmount === null ? "" : String(state.minAmount);
  }
  function restoreSelectionAndZoom(then) {
    const id = asked.get("selected");
    if (id && nodesView.get(id)) { network.selectNodes([id]); showDetails(id); }
    const zoom = Number(asked.get("zoom")), x = Number(asked.get("x")), y = Number(asked.get("y"));
    // Two frames on, once the panel has narrowed the canvas: vis-network rescales the view
    // when its canvas is resized, which would undo a zoom set now.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (zoom > 0 && Number.isFinite(x) && Number.isFinite(y)) network.moveTo({ position: { x, y }, scale: zoom });
      saveView();
      then();
    }));
  }

  let pendingData = null;
  function reload() {
    if (!served) return;
    const params = serverParams();
    const request = fetch(`${config.api}/api/viz?${params}`, { headers: { Accept: "application/json" } })
      .then((response) => response.ok ? response.json()
        : response.json().then((body) => Promise.reject(new Error(body.error || `HTTP ${response.status}`)),
          () => Promise.reject(new Error(`HTTP ${response.status}`))));
    pendingData = request;
    document.body.dataset.loading = "true";
    for (const input of document.querySelectorAll("#level input, #basis input")) input.disabled = true;
    $("view").textContent = `loading ${levelWords()}…`;
    request.then((next) => {
      if (pendingData !== request) return;
      const level = next.filter.level || "organization";
      const basis = next.filter.basis === REPORT ? REPORT : "all";
      if (level !== state.level || basis !== state.basis) {
        throw new Error(`the server answered with the ${levelWords(level, basis).toLowerCase()}`);
      }
      swap(next);
    }).catch((error) => {
      if (pendingData !== request) return;
      state.level = data.filter.level || "organization";
      state.basis = data.filter.basis === REPORT ? REPORT : "all";
      syncChoices();
      showView();
      saveView();
      refreshTimeline(); // of the view still drawn, if another was asked for meanwhile
      const notice = $("notice");
      notice.textContent = `Could not load that view (${error.message}); still showing the ${levelWords().toLowerCase()}.`;
      notice.hidden = false;
    }).finally(() => {
      if (pendingData !== request) return;
      pendingData = null;
      for (const input of document.querySelectorAll("#level input, #basis input")) input.disabled = false;
      document.body.dataset.loading = "false";
    });
  }

  // Another level or basis from the server: the reader's other choices are kept (what was
  // left unchecked stays unchecked; the period stays the same months).
  function swap(next) {
    const levelChanged = (next.filter.level || "organization") !== (data.filter.level || "organization");
    const unchecked = {
      kinds: [...presentKinds].filter((k) => !state.kinds.has(k)),
      relations: [...presentRelations].filter((r) => !state.relations.has(r)),
      datasets: data.datasets.map((d) => d.name).filter((d) => !state.datasets.has(d)),
    };
    const whole = state.from === 0 && state.to === months.length - 1;
    const [fromMonth, toMonth] = [months[state.from], months[state.to]];
    data = next;
    index();
    state.kinds = new Set([...presentKinds].filter((k) => !unchecked.kinds.includes(k)));
    state.relations = new Set([...presentRelations].filter((r) => !unchecked.relations.includes(r)));
    state.datasets = new Set(data.datasets.map((d) => d.name).filter((d) => !unchecked.datasets.includes(d)));
    if (whole || !months.length) {
      state.from = 0; state.to = Math.max(0, months.length - 1);
    } else {
      setPeriod(`${fromMonth}-01`, `${toMonth}-01`);
    }
    if (levelChanged) {
      // Other nodes: nothing of the old level kept open.
      state.expanded.clear(); state.opened.clear();
    }
    // Reports only draws a part of what was drawn: it stays where it was. Anything else is
    // drawn where the server's layout of that level and basis puts it (the same data always
    // opens the same way).
    const relayout = levelChanged || state.basis !== REPORT;
    if (relayout) { nodesView.clear(); edgesView.clear(); }
    buildChecks();
    fillSizes();
    fillSearch();
    setupPeriod();
    syncPeriod();
    redraw();
    if (selected && nodeById.has(selected) && !levelChanged) showDetails(selected);
    else { $("details").hidden = true; selected = null; }
    if (relayout) fitMain();
    // The timeline of the new view: the server's (asked for now), never the old one's.
    timeline = data.timeline;
    timelineView = { level: state.level, basis: state.basis };
    timelineQuery = null;
    fillFigures();
    drawTimeline();
    refreshTimeline();
    saveView();
  }

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
  function fillSizes() {
    sizeBy.replaceChildren();
    sizeBy.appendChild(Object.assign(el("option", "claims shown"), { value: "claims" }));
    data.measures.forEach((m) => sizeBy.appendChild(Object.assign(el("option", m.replaceAll("_", " ")), { value: m })));
    if (!["claims", ...data.measures].includes(state.sizeBy)) state.sizeBy = "claims";
    sizeBy.value = state.sizeBy;
  }
  sizeBy.addEventListener("change", () => { state.sizeBy = sizeBy.value; redraw(); });
  $("physics").addEventListener("change", () => network.setOptions({ physics: { enabled: $("physics").checked } }));
  $("fit").addEventListener("click", () => network.fit({ animation: { duration: 300 } }));

  const fromInput = $("period-from"), toInput = $("period-to");
  function setupPeriod() {
    for (const input of [fromInput, toInput]) {
      input.max = String(Math.max(0, months.length - 1));
      input.disabled = !months.length;
    }
  }
  for (const input of [fromInput, toInput]) {
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
    // Said in words to screen readers ("April 2024"), not as the slider's index.
    if (months.length) {
      fromInput.setAttribute("aria-valuetext", monthWords(months[state.from]));
      toInput.setAttribute("aria-valuetext", monthWords(months[state.to]));
    }
  }
  function setPeriod(start, end) {
    const first = months.indexOf(start.slice(0, 7)), last = months.indexOf(end.slice(0, 7));
    state.from = first < 0 ? 0 : first;
    state.to = last < 0 ? Math.max(0, months.length - 1) : last;
    if (state.from > state.to) state.from = state.to;
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
    changed();
  });

  let pendingTimeline = null;
  // Every filter re-draws the network and the timeline; the timeline is asked for again when
  // the filters it is computed with changed (refreshTimeline knows).
  function changed() {
    syncPeriod();
    redraw();
    drawTimeline();
    refreshTimeline();
  }

  // ------------------------------------------------------------------ timeline
  let timeline = data.timeline;
  // The level and basis the timeline was computed on: the file's own, or those it was asked with.
  let timelineView = { level: state.level, basis: state.basis };
  const FIGURE_NAMES = {
    centralization_degree: "degree centralization",
    centralization_betweenness: "betweenness centralization",
    global_reaching_centrality: "global reaching centrality",
    krackhardt_hierarchy: "Krackhardt hierarchy",
    burden_share_median: "burden share per recruit (median of regions)",
    regional_share_of_bonus_claims: "regional share of bonus claims",
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
    const current = chosenFigure || figureSelect.value || "centralization_degree";
    figureSelect.replaceChildren();
    for (const name of figures()) {
      figureSelect.appendChild(Object.assign(el("option", FIGURE_NAMES[name] || name.replaceAll("_", " ")), { value: name }));
    }
    if (figures().includes(current)) figureSelect.value = current;
  }
  let chosenFigure = null; // kept while another view's timeline loads
  figureSelect.addEventListener("change", () => { chosenFigure = figureSelect.value; drawTimeline(); saveView(); });

  let timelineQuery = null; // the query of the timeline shown or asked for
  function refreshTimeline() {
    if (!served) return; // a file: the timeline it holds is the whole data's
    const params = filterParams();
    const query = params ? `${params}&window=P12M&step=P3M` : "";
    if (query === timelineQuery) return;
    timelineQuery = query;
    const view = { level: state.level, basis: state.basis };
    if (!params) { pendingTimeline = null; timeline = { windows: [] }; timelineView = view; drawTimeline(); return; }
    const request = fetch(`${config.api}/api/metrics/timeline?${query}`, { headers: { Accept: "application/json" } })
      .then((response) => response.ok ? response.json() : Promise.reject(new Error(`HTTP ${response.status}`)));
    pendingTimeline = request;
    $("timeline-note").textContent = "loading…";
    request.then((result) => {
      if (pendingTimeline !== request) return;
      timeline = result; timelineView = view; fillFigures(); drawTimeline();
    }).catch((error) => {
      if (pendingTimeline !== request) return;
      timelineQuery = null; // asked again on the next change
      $("timeline-note").textContent = `timeline not available (${error.message})`;
    });
  }

  function drawTimeline() {
    const svg = $("timeline-chart");
    svg.replaceChildren();
    const figure = figureSelect.value;
    const rows = timeline ? timeline.windows : [];
    const note = $("timeline-note");
    if (!rows.length || !figure) {
      describeWindow([], figure);
      note.textContent = timeline ? "no windows to show"
        : served ? "loading…" : "this file holds no timeline";
      return;
    }
    const differs = timelineView.basis !== state.basis || timelineView.level !== state.level;
    note.textContent = `${timeline.window} windows every ${timeline.step} · ${levelWords(timelineView.level, timelineView.basis).toLowerCase()}` +
      (differs ? " (this file holds no timeline of the view drawn above)" : "") + "; click a window to draw it";
    const width = svg.clientWidth || 600, height = svg.clientHeight || 140;
    const pad = { left: 40, right: 10, top: 10, bottom: 24 };
    const values = rows.map((r) => r[figure]).filter((v) => typeof v === "number");
    // Scaled to the values shown (from 0), so that small figures still show their movement.
    // The figures are shares and indices in [0, 1]: the scale stops at 1 when they do.
    // All zero (a narrow filter leaves no hub): the scale of the shares, 0 to 1, not 0 to 0.
    const top = Math.max(0, ...values);
    const min = Math.min(0, ...values), max = top === 0 ? 1 : top <= 1 ? Math.min(1, top * 1.1) : top * 1.1;
    const x = (i) => pad.left + (rows.length === 1 ? 0.5 : i / (rows.length - 1)) * (width - pad.left - pad.right);
    const y = (v) => pad.top + (1 - (v - min) / (max - min || 1)) * (height - pad.top - pad.bottom);
    const svgEl = (tag, attrs, text) => {
      const node = svgNode(tag, attrs);
      if (text !== undefined) node.textContent = text;
      svg.appendChild(node);
      return node;
    };
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    describeWindow(rows, figure);
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
      const tip = svgNode("title", {});
      tip.textContent = `${row.start} – ${row.end}: ${row[figure] === null ? "no value" : number(row[figure])} (${row.claims} claims)`;
      hit.appendChild(tip);
      hit.addEventListener("click", () => chooseWindow(i));
      if (i % step === 0) svgEl("text", { x: x(i), y: height - 6, class: "axis", "text-anchor": "middle" }, row.start.slice(0, 7));
      if (typeof row[figure] === "number") path += `${path ? "L" : "M"}${x(i)},${y(row[figure])}`;
    });
    if (path) svgEl("path", { d: path, class: "series" });
    rows.forEach((row, i) => {
      if (typeof row[figure] === "number") svgEl("circle", { cx: x(i), cy: y(row[figure]), r: 3, class: "point" });
    });
  }

  // The timeline is a slider for the keyboard: each step draws one window, as a click on it
  // does; its value is said in words ("April 2024 to March 2025: …").
  function monthWords(date) {
    const [y, m] = date.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, 1)).toLocaleString("en", { month: "long", year: "numeric", timeZone: "UTC" });
  }
  function windowWords(row, figure) {
    const value = row[figure] === null || row[figure] === undefined ? "no value" : number(row[figure]);
    return `${monthWords(row.start)} to ${monthWords(row.end)}: ${FIGURE_NAMES[figure] || figure} ${value}, ${row.claims} claims`;
  }
  function describeWindow(rows, figure) {
    const svg = $("timeline-chart");
    svg.setAttribute("aria-label", `Timeline window (${FIGURE_NAMES[figure] || figure || "no figure"} over time)`);
    svg.setAttribute("aria-valuemin", "0");
    svg.setAttribute("aria-valuemax", String(Math.max(0, rows.length - 1)));
    const i = state.timelineWindow;
    if (i !== null && rows[i]) {
      svg.setAttribute("aria-valuenow", String(i));
      svg.setAttribute("aria-valuetext", `${windowWords(rows[i], figure)} (window ${i + 1} of ${rows.length})`);
    } else {
      svg.removeAttribute("aria-valuenow");
      svg.setAttribute("aria-valuetext", rows.length ? "no window chosen: the whole span is drawn" : "no windows");
    }
    svg.setAttribute("aria-disabled", String(!rows.length));
  }
  function chooseWindow(i) {
    const row = timeline.windows[i];
    state.timelineWindow = i;
    setPeriod(row.start, row.end);
    changed();
  }
  $("timeline-chart").addEventListener("keydown", (event) => {
    const rows = timeline ? timeline.windows : [];
    if (!rows.length || event.altKey || event.ctrlKey || event.metaKey) return;
    const i = state.timelineWindow, last = rows.length - 1;
    const next = {
      ArrowRight: i === null ? 0 : i + 1, ArrowUp: i === null ? 0 : i + 1,
      ArrowLeft: i === null ? last : i - 1, ArrowDown: i === null ? last : i - 1,
      PageUp: i === null ? 0 : i + 4, PageDown: i === null ? last : i - 4, Home: 0, End: last,
    }[event.key];
    if (next !== undefined) {
      chooseWindow(Math.max(0, Math.min(last, next)));
    } else if (event.key === "Escape" && i !== null) {
      state.from = 0; state.to = Math.max(0, months.length - 1); state.timelineWindow = null; changed();
    } else {
      return;
    }
    event.preventDefault();
  });

  // ------------------------------------------------------------------ export
  function download(name, href) {
    const link = el("a");
    link.href = href; link.download = name;
    document.body.appendChild(link); link.click(); link.remove();
  }
  function downloadText(name, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    download(name, url);
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  const fileStem = () => `recruitgraph-${state.level}${state.basis === REPORT ? "-reports" : ""}`;

  // The canvas as drawn (captions included), on white: the canvas is transparent where
  // nothing is drawn.
  function viewPng() {
    const canvas = $("network").querySelector("canvas");
    const out = Object.assign(document.createElement("canvas"), { width: canvas.width, height: canvas.height });
    const ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    return out.toDataURL("image/png");
  }

  // The view as an SVG drawing of what is on screen: each node's shape at its place and size,
  // each link as a straight line (curves and widths left out), the captions placed on the
  // canvas. Coordinates are the canvas's CSS pixels, so it matches the PNG.
  function viewSvg() {
    const box = $("network");
    const width = box.clientWidth, height = box.clientHeight;
    const svg = svgNode("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "font-family": LABEL_FONT });
    svg.appendChild(svgNode("rect", { width, height, fill: "#ffffff" }));
    const positions = network.getPositions();
    const at = (id) => network.canvasToDOM(positions[id]);
    const radius = (id) => {
      const shape = network.getBoundingBox(id);
      return (network.canvasToDOM({ x: shape.right, y: 0 }).x - network.canvasToDOM({ x: shape.left, y: 0 }).x) / 2;
    };
    const defs = svg.appendChild(svgNode("defs", {}));
    const markers = new Map(); // one arrowhead per colour
    const links = svg.appendChild(svgNode("g", { class: "links", fill: "none" }));
    for (const edge of edgesView.get()) {
      if (!positions[edge.from] || !positions[edge.to]) continue;
      const colour = edge.color.color;
      if (!markers.has(colour)) {
        const marker = svgNode("marker", { id: `arrow-${markers.size}`, viewBox: "0 0 10 10", refX: 10, refY: 5,
          markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" });
        marker.appendChild(svgNode("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }));
        defs.appendChild(marker);
        markers.set(colour, marker.id);
      }
      const a = at(edge.from), b = at(edge.to);
      const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
      const stop = Math.min(radius(edge.to), length); // the arrow ends at the node's edge
      const line = svgNode("line", {
        x1: a.x.toFixed(1), y1: a.y.toFixed(1),
        x2: (b.x - ((b.x - a.x) * stop) / length).toFixed(1), y2: (b.y - ((b.y - a.y) * stop) / length).toFixed(1),
        stroke: colour, "stroke-opacity": 0.75, "stroke-width": 1.5, "marker-end": `url(#${markers.get(colour)})`,
      });
      if (edge.dashes) line.setAttribute("stroke-dasharray", "5 4");
      links.appendChild(line);
    }
    const nodes = svg.appendChild(svgNode("g", { class: "nodes", stroke: "#2b2b2b" }));
    for (const node of nodesView.get()) {
      if (!positions[node.id]) continue;
      const { x, y } = at(node.id);
      const shape = (SVG_SHAPES[node.shape] || SVG_SHAPES.dot)(x, y, radius(node.id));
      shape.setAttribute("class", "node");
      shape.setAttribute("data-id", node.id);
      shape.setAttribute("fill", node.color);
      shape.setAttribute("stroke-width", node.borderWidth || 1);
      if (node.shapeProperties) shape.setAttribute("stroke-dasharray", "4 3");
      shape.appendChild(svgNode("title", {})).textContent = node.caption.join(", ");
      nodes.appendChild(shape);
    }
    const captions = svg.appendChild(svgNode("g", { class: "captions", "text-anchor": "middle",
      stroke: "#ffffff", "stroke-width": 3, "paint-order": "stroke", "stroke-linejoin": "round" }));
    for (const label of placedLabels) {
      const line = label.font * LABEL.lineHeight;
      label.text.split("\n").forEach((text, i) => {
        const caption = svgNode("text", { x: ((label.left + label.right) / 2).toFixed(1),
          y: (label.top + i * line + (line + label.font) / 2 - 2).toFixed(1), "font-size": label.font.toFixed(1),
          fill: i === 0 ? "#1d2329" : "#5f6b76" });
        caption.textContent = text;
        captions.appendChild(caption);
      });
    }
    return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(svg)}\n`;
  }

  // The claims shown (those behind the links drawn, aggregates' inner ones included), one row
  // each. A cell that a spreadsheet would read as a formula is made text, by the rule of the
  // server's CSV (graph.store.spreadsheet.formula_safe, whose characters come with the page).
  const CSV_COLUMNS = ["claim", "relation", "subject", "object", "start", "end", "amount", "currency",
    "amount_basis", "basis", "confidence", "dataset", "sources"];
  const formulaNumber = new RegExp(`^(?:${config.formula.number})$`);
  function formulaSafe(cell) {
    return config.formula.starts.some((c) => cell.startsWith(c)) && !formulaNumber.test(cell) ? `'${cell}` : cell;
  }
  function csvCell(value) {
    const text = formulaSafe(value === null || value === undefined ? "" : String(value));
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  }
  function viewCsv() {
    const rows = [CSV_COLUMNS];
    for (const { edge, claims } of drawn.edges) {
      for (const claim of claims) {
        rows.push([claim.claim_id || claim.id, claim.type || edge.type,
          claim.subject_label || label(claim.subject || edge.from), claim.object_label || label(claim.object || edge.to),
          claim.start, claim.end, claim.amount, claim.currency, claim.amount_basis, claim.basis, claim.confidence,
          claim.dataset, claim.sources.map((source) => source.url).join(" ")]);
      }
    }
    return rows.map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
  }

  // The GEXF of the view: the server's export (one GEXF writer) with the view's filters,
  // period and level. A file has no server to ask.
  function gexfUrl() {
    const params = filterParams();
    if (!params) return null;
    if (months.length && (state.from > 0 || state.to < months.length - 1)) {
      params.set("start", `${months[state.from]}-01`); params.set("end", monthEnd(months[state.to]));
    }
    params.set("format", "gexf");
    return `${config.api}/api/export?${params}`;
  }
  $("export-png").addEventListener("click", () => download(`${fileStem()}.png`, viewPng()));
  $("export-svg").addEventListener("click", () => downloadText(`${fileStem()}.svg`, "image/svg+xml", viewSvg()));
  $("export-csv").addEventListener("click", () => downloadText(`${fileStem()}-claims.csv`, "text/csv", viewCsv()));
  $("export-gexf").addEventListener("click", () => {
    const url = gexfUrl();
    if (url) download(`${fileStem()}.gexf`, url);
    else Object.assign($("notice"), { textContent: "No claim matches these filters: no network to export.", hidden: false });
  });
  $("export-gexf").disabled = !served;
  if (!served) $("export-gexf").title = "A file cannot ask the server: export GEXF from the served page or the API";

  // ------------------------------------------------------------------ start
  // Open on the largest connected component, where labels can be read; "Fit" shows all.
  function fitMain() {
    const main = data.nodes.filter((n) => n.component === 0 && nodesView.get(n.id)).map((n) => n.id);
    network.fit(main.length ? { nodes: main } : undefined);
  }
  restoreFilters();
  buildChecks();
  buildViewControls();
  fillSizes();
  fillSearch();
  setupPeriod();
  syncPeriod();
  redraw();
  fillFigures();
  drawTimeline();
  if (!timeline) refreshTimeline();
  fitMain();
  document.body.dataset.loading = "false";
  // Ready (for scripts and tests) once drawn as the address asked.
  restoreSelectionAndZoom(() => {
    for (const event of ["zoom", "dragEnd", "animationFinished"]) network.on(event, saveViewSoon);
    network.once("afterDrawing", () => { document.body.dataset.ready = "true"; });
    network.redraw();
  });
  // ?focus=<an actor's IRI> (the query page links actors so): that actor shown, or the node
  // it is rolled into at the government level.
  const focus = asked.get("focus"); // the address as opened: saveView has rewritten it since
  const focused = focus && (data.nodes.find((n) => n.id === focus)
    || data.nodes.find((n) => (n.stands_for || []).some((a) => a.id === focus)));
  if (focused) network.once("afterDrawing", () => show(focused));
  // The chart is drawn to its size: again when the details panel or the window resizes it.
  new ResizeObserver(() => drawTimeline()).observe($("timeline-chart"));
  // For scripts and tests driving the page.
  window.explorer = {
    network, state, redraw, nodesView, edgesView, reload, labelBoxes,
    get data() { return data; },
    get timeline() { return timeline; },
    get drawn() { return drawn; },
  };
})();
