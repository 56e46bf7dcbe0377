// recruitgraph explorer, aggregate view (graph/viz/groups.py): a large store drawn as groups of
// actors first, each opened on demand. Every text from the data goes into the document as text.
//
// Nodes: "cell:<kind>|<code>" a group (the actors of one kind and place), "more:<kind>" the
// places of a kind not drawn yet, "actor:<IRI>" a member of an opened group, "rest:<cell>" the
// members of an opened group not drawn yet. The links between groups come from
// /api/viz/groups/links (a job on a large store, drawn when it ends); an opened group's
// members come with their own links from /api/viz/groups/members.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("groups-data").textContent);
  const config = JSON.parse($("groups-config").textContent);
  // The explorer's filters in the address (the server's own names, as in the explorer's):
  // every call for links and members is made under them.
  const FILTER_NAMES = ["start", "end", "kinds", "relations", "min_confidence", "min_amount", "dataset", "level",
    "basis", "aggregates"];
  const asked = new URLSearchParams(window.location.search);
  // The level drawn is in the address, the server's default (government) written out, so
  // that the address says the view and every call below is made at it.
  if (!asked.has("level") && data.filter.level) {
    asked.set("level", data.filter.level);
    window.history.replaceState(null, "", `${window.location.pathname}?${asked}${window.location.hash}`);
  }
  document.body.dataset.level = data.filter.level;
  function withFilters(params) {
    for (const name of FILTER_NAMES) for (const value of asked.getAll(name)) params.append(name, value);
    return params;
  }
  const POLL_MS = 1000;
  const MAX_POLLS = 900; // a job polled at most 15 minutes (the server's write limit is 10)

  const kindStyle = new Map(data.kinds.map((k) => [k.name, k]));
  const relationStyle = new Map(data.relations.map((r) => [r.name, r]));
  const cellById = new Map(data.cells.map((c) => [c.id, c]));
  const cellsOfKind = new Map();
  for (const cell of data.cells) {
    if (!cellsOfKind.has(cell.kind)) cellsOfKind.set(cell.kind, []);
    cellsOfKind.get(cell.kind).push(cell); // largest first (the server's order)
  }
  const state = {
    shown: new Map([...cellsOfKind].map(([kind, cells]) => [kind, Math.min(cells.length, data.opening_cells)])),
    opened: new Map(), // cell id -> { pages: [offset], members: Map(IRI -> member), links: [] }
    links: null, // the links between cells, once computed
    busy: new Set(), // nodes being opened
  };

  // ------------------------------------------------------------------ helpers
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }
  const number = (n) => n.toLocaleString("en");
  // The ontology's labels are English nouns ("Federal body", "Recruiter").
  const plurals = (label) => (/[^aeiou]y$/.test(label) ? `${label.slice(0, -1)}ies` : `${label}s`);
  function plural(kind, n) {
    const label = kindStyle.get(kind).label.toLowerCase();
    return n === 1 ? label : plurals(label);
  }
  function cellWords(cell) {
    const label = plurals(kindStyle.get(cell.kind).label);
    if (cellsOfKind.get(cell.kind).length === 1 && !cell.code) return label;
    return `${label}: ${cell.place || cell.code || "no place stated"}`;
  }
  // A group's caption: its place when its kind is split by place (the kind is named above
  // its groups), else its kind.
  function captionOf(cell) {
    return cell.code ? cell.place || cell.code : cellWords(cell);
  }
  function tooltip(lines) {
    const box = el("div", null, "tip");
    lines.filter((l) => l).forEach((line, i) => box.appendChild(el(i === 0 ? "strong" : "div", line)));
    return box;
  }
  const short = (text, n = 32) => (text.length <= n ? text : `${text.slice(0, n - 1)}…`);

  // Where each cell is drawn: its group, the "other places" of its kind, or, opened, its members.
  function nodeOfCell(id) {
    const cell = cellById.get(id);
    if (!cell) return null;
    const rank = cellsOfKind.get(cell.kind).indexOf(cell);
    return rank < state.shown.get(cell.kind) ? `cell:${id}` : `more:${cell.kind}`;
  }
  function restOf(id) {
    const opened = state.opened.get(id);
    const cell = cellById.get(id);
    return opened && opened.members.size < cell.count ? `rest:${id}` : null;
  }

  // ------------------------------------------------------------------ fetching (with jobs)
  const sleep = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));
  async function getJson(url, progress) {
    for (let round = 0; round < 3; round++) {
      const answer = await fetch(url, { headers: { Accept: "application/json" } });
      if (answer.status !== 202) {
        const body = await answer.json();
        if (!answer.ok) throw new Error(body.error || body.detail || `status ${answer.status}`);
        return body;
      }
      const { job } = await answer.json();
      const started = Date.now();
      for (let poll = 0; poll < MAX_POLLS; poll++) {
        await sleep(POLL_MS);
        const state = await (await fetch(job, { headers: { Accept: "application/json" } })).json();
        if (state.state === "done") break;
        if (state.state === "failed") throw new Error((state.result && state.result.error) || `status ${state.status}`);
        if (progress) progress(Math.round((Date.now() - started) / 1000));
      }
    }
    throw new Error("no answer after its job ended");
  }

  // ------------------------------------------------------------------ positions
  // Kinds on a circle in the ontology's order; a kind's groups on a sunflower around its
  // place (Vogel 1979), the largest in the middle; an opened group's members on a sunflower
  // around where the group was. Nothing moves by itself: the same data opens the same way.
  const GOLDEN = Math.PI * (3 - Math.sqrt(5));
  const GROUP_SPACING = 70; // between the groups of a kind, in the canvas's units
  // The circle is wide enough that the groups of two neighbouring kinds never mingle: its
  // chord between neighbours is at least the sum of their sunflowers' radii, and a margin.
  const spreadOf = (kind) => GROUP_SPACING * Math.sqrt(Math.min((cellsOfKind.get(kind.name) || []).length,
    data.opening_cells) + 1);
  const MARGIN = 160;
  let ring = 600;
  data.kinds.forEach((kind, i) => {
    const next = data.kinds[(i + 1) % data.kinds.length];
    const chord = 2 * Math.sin(Math.PI / Math.max(2, data.kinds.length));
    ring = Math.max(ring, (spreadOf(kind) + spreadOf(next) + MARGIN) / chord);
  });
  const anchors = new Map();
  data.kinds.forEach((kind, i) => {
    const turn = (2 * Math.PI * i) / data.kinds.length - Math.PI / 2;
    anchors.set(kind.name, { x: 1.3 * ring * Math.cos(turn), y: ring * Math.sin(turn) });
  });
  const fixed = new Map(); // node id -> position, once placed
  function sunflower(centre, i, spacing) {
    const r = spacing * Math.sqrt(i);
    return { x: centre.x + r * Math.cos(i * GOLDEN), y: centre.y + r * Math.sin(i * GOLDEN) };
  }
  function place(id, centre, i, spacing) {
    if (!fixed.has(id)) fixed.set(id, sunflower(centre, i, spacing));
    return fixed.get(id);
  }

  // ------------------------------------------------------------------ the drawing
  const nodesView = new vis.DataSet();
  const edgesView = new vis.DataSet();
  const network = new vis.Network($("network"), { nodes: nodesView, edges: edgesView }, {
    physics: { enabled: false },
    interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: true },
    nodes: { font: { size: 13, strokeWidth: 3, strokeColor: "#ffffff" },
      scaling: { min: 8, max: 44, label: { enabled: true, min: 14, max: 28, drawThreshold: 10 } } },
    edges: { smooth: false, arrows: { to: { enabled: true, scaleFactor: 0.6 } }, scaling: { min: 1, max: 9 },
      color: { opacity: 0.55 } },
  });

  function groupNode(id, kind, caption, lines, count, at) {
    const style = kindStyle.get(kind);
    // A kind drawn as one group is named by its heading (afterDrawing): no caption on it.
    const alone = id.startsWith("cell:") && (cellsOfKind.get(kind) || []).length === 1 && !cellById.get(id.slice(5)).code;
    // The list of groups names each in full (its kind and place), as the tooltip does.
    const listed = id.startsWith("cell:") ? `${lines[0]} (${number(count)})`
      : id.startsWith("rest:") ? `${lines[0]}: ${caption}` : lines[0];
    return {
      id, label: alone ? undefined : caption, caption: listed, shape: style.shape, color: style.colour, value: count, x: at.x, y: at.y,
      borderWidth: 3, shapeProperties: { borderDashes: [4, 3] }, title: tooltip(lines),
    };
  }

  function nodes() {
    const out = [];
    for (const kind of data.kinds) {
      const cells = cellsOfKind.get(kind.name) || [];
      const shown = state.shown.get(kind.name) || 0;
      const anchor = anchors.get(kind.name);
      cells.slice(0, shown).forEach((cell, i) => {
        const at = place(`cell:${cell.id}`, anchor, i, GROUP_SPACING);
        const opened = state.opened.get(cell.id);
        if (!opened) {
          out.push(groupNode(`cell:${cell.id}`, cell.kind, `${short(captionOf(cell), 24)} (${number(cell.count)})`,
            [cellWords(cell), `${number(cell.count)} ${plural(cell.kind, cell.count)}, drawn as one group`,
              "click to open"], cell.count, at));
          return;
        }
        const members = [...opened.members.values()];
        members.forEach((member, j) => {
          const spot = place(`actor:${member.id}`, at, j + 1, 34);
          out.push({ id: `actor:${member.id}`, label: short(member.label), shape: kind.shape, color: kind.colour,
            value: 1, x: spot.x, y: spot.y, title: tooltip([member.label, kind.label, cell.place || cell.code || ""]) });
        });
        const rest = cell.count - members.length;
        if (rest > 0) {
          out.push(groupNode(`rest:${cell.id}`, cell.kind, `${number(rest)} more`,
            [cellWords(cell), `${number(rest)} more ${plural(cell.kind, rest)} not drawn yet`,
              `click to draw the next ${data.members_page}`], rest, at));
        }
      });
      if (cells.length > shown) {
        const hidden = cells.slice(shown);
        const count = hidden.reduce((n, c) => n + c.count, 0);
        const at = place(`more:${kind.name}`, anchor, shown + 1, GROUP_SPACING);
        out.push(groupNode(`more:${kind.name}`, kind.name, `${number(hidden.length)} other places`,
          [`${plurals(kind.label)} of ${number(hidden.length)} other places`, `${number(count)} ${plural(kind.name, count)}`,
            `click to draw the next ${data.opening_cells} places`], count, at));
      }
    }
    return out;
  }

  function edges(drawnIds) {
    const merged = new Map();
    function add(from, to, type, claims) {
      if (!from || !to || from === to || claims <= 0 || !drawnIds.has(from) || !drawnIds.has(to)) return;
      const key = `${from} ${to} ${type}`;
      const link = merged.get(key) || { id: key, from, to, type, claims: 0 };
      link.claims += claims;
      merged.set(key, link);
    }
    // The opened groups' members: their claims with each other group, or with the drawn
    // members of another opened group, the rest going to that group's "more" node.
    const pairs = new Map(); // `${member} ${cell}` -> claims counted actor by actor
    const cellOfMember = new Map();
    for (const [id, opened] of state.opened) for (const iri of opened.members.keys()) cellOfMember.set(iri, id);
    for (const opened of state.opened.values()) {
      for (const link of opened.links) {
        if (!link.actor || !cellOfMember.has(link.actor) || !opened.members.has(link.member)) continue;
        const mine = `actor:${link.member}`, theirs = `actor:${link.actor}`;
        if (link.direction === "out") add(mine, theirs, link.type, link.claims);
        else add(theirs, mine, link.type, link.claims);
        for (const [a, c] of [[link.member, link.cell], [link.actor, cellOfMember.get(link.member)]]) {
          const key = `${a} ${c} ${link.type} ${a === link.member ? link.direction : (link.direction === "out" ? "in" : "out")}`;
          pairs.set(key, (pairs.get(key) || 0) + link.claims);
        }
      }
    }
    const fromMembers = new Map(); // `${cell} ${other cell} ${type} ${direction}` -> claims of drawn members
    for (const [id, opened] of state.opened) {
      for (const link of opened.links) {
        if (link.actor || !opened.members.has(link.member)) continue;
        const key = `${id} ${link.cell} ${link.type} ${link.direction}`;
        fromMembers.set(key, (fromMembers.get(key) || 0) + link.claims);
        const mine = `actor:${link.member}`;
        const other = state.opened.has(link.cell) ? restOf(link.cell) : nodeOfCell(link.cell);
        const claims = link.claims - (pairs.get(`${link.member} ${link.cell} ${link.type} ${link.direction}`) || 0);
        if (link.direction === "out") add(mine, other, link.type, claims);
        else add(other, mine, link.type, claims);
      }
    }
    // The links between groups; an opened group's undrawn members (its "more" node) keep
    // what its drawn members do not account for.
    for (const link of state.links || []) {
      const fromOpen = state.opened.has(link.from), toOpen = state.opened.has(link.to);
      if (fromOpen && toOpen) continue;
      if (!fromOpen && !toOpen) { add(nodeOfCell(link.from), nodeOfCell(link.to), link.type, link.claims); continue; }
      if (fromOpen) {
        const drawnPart = fromMembers.get(`${link.from} ${link.to} ${link.type} out`) || 0;
        add(restOf(link.from), nodeOfCell(link.to), link.type, link.claims - drawnPart);
      } else {
        const drawnPart = fromMembers.get(`${link.to} ${link.from} ${link.type} in`) || 0;
        add(nodeOfCell(link.from), restOf(link.to), link.type, link.claims - drawnPart);
      }
    }
    return [...merged.values()].map((link) => {
      const style = relationStyle.get(link.type);
      return {
        id: link.id, from: link.from, to: link.to, value: link.claims, type: link.type,
        color: { color: style.colour, highlight: style.colour, hover: style.colour },
        arrows: { to: { enabled: true, type: style.arrow } },
        title: tooltip([`${style.label}: ${caption(link.from)} → ${caption(link.to)}`,
          `${number(link.claims)} ${link.claims === 1 ? "claim" : "claims"}`]),
      };
    });
  }

  let drawnNodes = new Map();
  function caption(id) {
    const node = drawnNodes.get(id);
    return node ? node.title.firstChild.textContent : id;
  }

  let firstDraw = true;
  function redraw() {
    const visNodes = nodes();
    drawnNodes = new Map(visNodes.map((n) => [n.id, n]));
    const visEdges = edges(new Set(drawnNodes.keys()));
    nodesView.clear(); edgesView.clear();
    nodesView.add(visNodes); edgesView.add(visEdges);
    linkKeys.update(visEdges.map((edge) => ({ id: edge.id, words: linkWords(edge) })));
    const members = [...state.opened.values()].reduce((n, o) => n + o.members.size, 0);
    const stats = $("stats");
    stats.textContent = `${number(visNodes.length)} nodes (${number(members)} actors, the rest groups), ` +
      `${number(visEdges.length)} links · ${number(data.actors)} actors in all`;
    stats.dataset.nodes = String(visNodes.length);
    stats.dataset.edges = String(visEdges.length);
    stats.dataset.members = String(members);
    listGroups(visNodes);
    if (firstDraw) {
      firstDraw = false;
      network.fit({ animation: false });
      // Room for the kinds' headings, drawn above the top groups.
      network.moveTo({ scale: network.getScale() * 0.9, animation: false });
      network.once("afterDrawing", () => { document.body.dataset.ready = "true"; });
    }
  }

  // ------------------------------------------------------------------ the list (keyboard)
  function listGroups(visNodes) {
    const list = $("group-list");
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.node : null;
    list.replaceChildren();
    for (const node of visNodes) {
      if (node.id.startsWith("actor:")) continue;
      const item = el("li");
      const button = el("button", node.caption);
      button.type = "button";
      button.dataset.node = node.id;
      button.setAttribute("aria-label", [...node.title.childNodes].map((c) => c.textContent).join(", "));
      button.addEventListener("click", () => open(node.id));
      item.appendChild(button);
      list.appendChild(item);
    }
    for (const [id] of state.opened) {
      const item = el("li");
      const button = el("button", `Close ${cellWords(cellById.get(id))}`, "close-group");
      button.type = "button";
      button.dataset.node = `close:${id}`;
      button.addEventListener("click", () => { state.opened.delete(id); redraw(); });
      item.appendChild(button);
      list.appendChild(item);
    }
    if (focused) {
      const again = list.querySelector(`button[data-node="${CSS.escape(focused)}"]`) || list.querySelector("button");
      if (again) again.focus();
    }
  }

  // ------------------------------------------------------------------ opening a group
  function openedPages(except) {
    const pages = [];
    for (const [id, opened] of state.opened) if (id !== except) for (const offset of opened.pages) pages.push(`${id}@${offset}`);
    return pages.slice(0, config.max_opened);
  }

  async function open(id) {
    if (state.busy.has(id)) return;
    const [what, ...rest] = id.split(":");
    const key = rest.join(":");
    if (what === "more") {
      state.shown.set(key, Math.min(cellsOfKind.get(key).length, state.shown.get(key) + data.opening_cells));
      redraw();
      return;
    }
    if (what === "actor") { showActor(key); return; }
    if (what !== "cell" && what !== "rest") return;
    const opened = state.opened.get(key) || { pages: [], members: new Map(), links: [] };
    const offset = opened.pages.length ? opened.pages[opened.pages.length - 1] + data.members_page : 0;
    const params = withFilters(new URLSearchParams({ cell: key, offset: String(offset) }));
    for (const page of openedPages(key)) params.append("opened", page);
    state.busy.add(id);
    const status = $("links-status");
    status.textContent = `Opening ${cellWords(cellById.get(key))}…`;
    try {
      const answer = await getJson(`${config.api}/api/viz/groups/members?${params}`,
        (s) => { status.textContent = `Opening ${cellWords(cellById.get(key))}: ${s} s so far…`; });
      opened.pages.push(offset);
      for (const member of answer.members) opened.members.set(member.id, member);
      opened.links.push(...answer.links);
      state.opened.set(key, opened);
      status.textContent = linksWords();
      document.body.dataset.opened = String(state.opened.size);
      redraw();
    } catch (error) {
      status.textContent = `${cellWords(cellById.get(key))} could not be opened: ${error.message}`;
    } finally {
      state.busy.delete(id);
    }
  }

  function showActor(iri) {
    let member = null, cell = null;
    for (const [id, opened] of state.opened) if (opened.members.has(iri)) { member = opened.members.get(iri); cell = cellById.get(id); }
    if (!member) return;
    $("details").hidden = false;
    linkAsked += 1; // a link's claims still coming are not for this panel
    $("details-claims").replaceChildren();
    $("details-claims-heading").hidden = true;
    $("details-title").textContent = member.label;
    $("details-kind").textContent = kindStyle.get(cell.kind).label + (cell.place ? `, ${cell.place}` : "");
    const list = $("details-attributes");
    list.replaceChildren(el("dt", "identifier"), el("dd", iri));
    const claims = edgesView.get().filter((e) => e.from === `actor:${iri}` || e.to === `actor:${iri}`)
      .reduce((n, e) => n + e.value, 0);
    list.append(el("dt", "claims drawn"), el("dd", number(claims)));
  }
  $("details-close").addEventListener("click", () => { $("details").hidden = true; });

  network.on("click", (params) => {
    if (params.nodes.length) open(String(params.nodes[0]));
    else if (params.edges.length) showLink(String(params.edges[0]));
  });

  // ------------------------------------------------------------------ links (keyboard)
  function linkWords(edge) {
    const relation = relationStyle.get(edge.type).label.toLowerCase();
    return `${caption(edge.from)}, ${relation} to ${caption(edge.to)}: ${number(edge.value)} ${edge.value === 1 ? "claim" : "claims"}`;
  }
  // A link's details: what it is, its number of claims, and the latest of them with their
  // sources (asked of the server under the page's filters), as a click on it shows them.
  const endOf = (id) => (id.startsWith("cell:") ? id.slice(5) : id.startsWith("actor:") ? id.slice(6) : null);
  const { safeUrl } = window.explorerShared;
  function claimItem(claim) {
    const item = el("li", null, claim.basis === "report" ? "" : "assessment");
    const period = claim.end && claim.end !== claim.start ? `${claim.start} – ${claim.end}` : claim.start || "undated";
    item.appendChild(el("div", `${claim.from_label} → ${claim.to_label}`, "claim-head"));
    item.appendChild(el("div", [period, claim.confidence ? `${claim.confidence} confidence` : "",
      claim.basis === "report" ? "report" : "assessment"].filter((x) => x).join(" · "), "claim-facts"));
    if (claim.note) item.appendChild(el("p", claim.note, "claim-note"));
    const sources = el("ul", null, "sources");
    for (const source of claim.sources) {
      const url = safeUrl(source.url);
      const entry = el("li");
      if (url) {
        const link = el("a", source.title || url);
        link.href = url; link.rel = "noopener noreferrer"; link.target = "_blank";
        entry.appendChild(link);
      } else {
        entry.textContent = source.title || source.url;
      }
      sources.appendChild(entry);
    }
    if (claim.sources.length) item.appendChild(sources);
    return item;
  }
  let linkAsked = 0;
  async function showLink(id) {
    const edge = edgesView.get(id);
    if (!edge) return;
    network.selectEdges([id]);
    $("details").hidden = false;
    const relation = relationStyle.get(edge.type).label;
    $("details-title").textContent = `${relation}: ${caption(edge.from)} → ${caption(edge.to)}`;
    $("details-kind").textContent = "The claims behind this link, under the filters";
    const list = $("details-attributes");
    list.replaceChildren(el("dt", "from"), el("dd", caption(edge.from)), el("dt", "relation"),
      el("dd", relation), el("dt", "to"), el("dd", caption(edge.to)),
      el("dt", "claims"), el("dd", number(edge.value)));
    const claims = $("details-claims");
    claims.replaceChildren();
    $("details-claims-heading").hidden = true;
    const [source, target] = [endOf(edge.from), endOf(edge.to)];
    if (!source || !target) {
      list.append(el("dt", "to see them"), el("dd", "open the groups at its ends, or draw their other places"));
      $("details-said").textContent = `Details of the link: ${linkWords(edge)}.`;
      return;
    }
    const asked = ++linkAsked;
    const params = withFilters(new URLSearchParams({ source, target, relation: edge.type }));
    $("details-count").textContent = "(loading…)";
    $("details-claims-heading").hidden = false;
    try {
      const answer = await getJson(`${config.api}/api/viz/groups/claims?${params}`);
      if (asked !== linkAsked) return;
      claims.replaceChildren(...answer.claims.map(claimItem));
      $("details-count").textContent = answer.claims.length < edge.value
        ? `(the latest ${number(answer.claims.length)} of ${number(edge.value)})` : `(${number(answer.claims.length)})`;
      $("details-said").textContent = `Details of the link: ${linkWords(edge)}, beside the network.`;
    } catch (error) {
      if (asked === linkAsked) $("details-count").textContent = `(could not be listed: ${error.message})`;
    }
  }
  const linkKeys = window.linkList($("link-list"), $("link-active"),
    (id) => { network.selectEdges([id]); network.redraw(); }, showLink);

  // ------------------------------------------------------------------ filters
  // Applied by reloading the page under them (its groups are counted by the server): only
  // what narrows goes into the address, so that the address says the filters in force.
  $("filter-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const params = new URLSearchParams();
    for (const name of ["kinds", "relations", "dataset"]) {
      const boxes = [...form.querySelectorAll(`input[name="${name}"]`)];
      const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
      if (!chosen.length) {
        $("filter-error").textContent = `Choose at least one of the ${name === "dataset" ? "datasets" : name}.`;
        boxes[0].focus();
        return;
      }
      if (chosen.length < boxes.length) for (const value of chosen) params.append(name, value);
    }
    for (const [name, value] of new FormData(form)) {
      if (["kinds", "relations", "dataset"].includes(name) || value === "") continue;
      if ((name === "basis" && value === "all") || (name === "aggregates" && value === "true")) continue;
      params.append(name, String(value));
    }
    window.location.assign(`${window.location.pathname}?${params}`);
  });
  // The other level is one click (or one arrow key) away: choosing it applies it at once.
  for (const radio of document.querySelectorAll("#level input")) {
    radio.addEventListener("change", () => $("filter-form").requestSubmit());
  }

  // ------------------------------------------------------------------ legend
  // The kinds' checkboxes are the legend: each kind's shape in its colour (the shapes tell
  // apart the kinds that share a colour), and its number of actors under the filters.
  for (const box of document.querySelectorAll("#kind-checks input")) {
    const kind = kindStyle.get(box.value);
    if (!kind) continue;
    const swatch = box.parentElement.querySelector(".swatch-box");
    if (swatch) swatch.replaceWith(window.explorerShared.shapeSwatch(kind));
    const count = (cellsOfKind.get(kind.name) || []).reduce((n, c) => n + c.count, 0);
    box.parentElement.appendChild(el("span", number(count), "note count"));
  }

  // Each kind is named once, above its groups, at a size that stays readable at every zoom
  // (its groups' own captions then need only their place; a kind drawn as one group needs
  // none).
  network.on("afterDrawing", (ctx) => {
    const scale = network.getScale();
    ctx.save();
    ctx.font = `600 ${14 / scale}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.lineJoin = "round";
    ctx.lineWidth = 5 / scale;
    ctx.strokeStyle = "#ffffff";
    ctx.fillStyle = "#1d2329";
    const headings = []; // those drawn: { x, y, half width }
    for (const kind of data.kinds) {
      const cells = cellsOfKind.get(kind.name) || [];
      if (!cells.length) continue;
      const anchor = anchors.get(kind.name);
      const count = cells.reduce((n, c) => n + c.count, 0);
      const placed = cells.some((cell) => cell.code);
      const text = `${plurals(kind.label)}${placed ? " by place" : ""}: ${number(count)}`;
      let y = anchor.y - (placed ? GROUP_SPACING * Math.sqrt((state.shown.get(kind.name) || 0) + 1) : 50) - 24 / scale;
      // On a narrow canvas two headings may meet: the later one moves up a line, or more.
      const half = ctx.measureText(text).width / 2, line = 20 / scale;
      const meets = (box) => Math.abs(box.x - anchor.x) < box.half + half && Math.abs(box.y - y) < line;
      for (let tries = 0; tries < 6 && headings.some(meets); tries++) y -= line;
      headings.push({ x: anchor.x, y, half });
      ctx.strokeText(text, anchor.x, y);
      ctx.fillText(text, anchor.x, y);
    }
    ctx.restore();
  });

  // ------------------------------------------------------------------ the links, when ready
  function linksWords() {
    // The drawn links are counted beside the nodes; the store's pairs of groups (one per
    // relation and direction, several merged where small groups are drawn as one) are not.
    return state.links ? "links between groups: drawn" : "links between groups: computing…";
  }
  async function fetchLinks() {
    const status = $("links-status");
    status.textContent = linksWords();
    document.body.dataset.links = "pending";
    try {
      state.links = await getJson(`${config.api}/api/viz/groups/links?${withFilters(new URLSearchParams())}`,
        (s) => { status.textContent = `Links between groups: computing, ${s} s so far…`; });
      document.body.dataset.links = "true";
      status.textContent = linksWords();
      redraw();
    } catch (error) {
      document.body.dataset.links = "failed";
      status.textContent = `The links between groups could not be computed: ${error.message}`;
    }
  }

  redraw();
  fetchLinks();
  window.groupsView = {
    network,
    open,
    nodeIds: () => nodesView.getIds(),
    // Where a node is on the screen, for scripts and tests.
    pointOf(id) {
      const at = network.canvasToDOM(network.getPositions([id])[id]);
      const box = $("network").getBoundingClientRect();
      return { x: box.left + at.x, y: box.top + at.y };
    },
  };
})();
