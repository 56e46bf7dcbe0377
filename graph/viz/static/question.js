/* recruitgraph question page: embeds the Vega-Lite charts built by graph/viz/question.py and,
   on a click, lists the claims behind each chart with their sources. Every text from the data
   goes into the page as text (textContent), never as HTML. */
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("question-data").textContent);
  const config = JSON.parse(document.getElementById("question-config").textContent);
  // The interpreter instead of Vega's expression compiler: no eval, so the pages' policies
  // need no 'unsafe-eval'. No action menu: its editor link would send the chart elsewhere.
  const embedOptions = {
    actions: false,
    renderer: "svg",
    ast: true,
    expr: vega.expressionInterpreter,
    tooltip: true,
  };

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function amount(claim) {
    if (claim.amount === null || claim.amount === undefined) return claim.count !== null && claim.count !== undefined ? `${claim.count} people` : "";
    const basis = claim.amount_basis ? claim.amount_basis.replace("_", " ") : "basis not stated";
    return `${Number(claim.amount).toLocaleString("en")} ${claim.currency || ""} (${basis})`;
  }

  function party(label, iri) {
    if (config.api !== null && iri) {
      const link = element("a", label || iri);
      link.href = `${config.api}/viz?focus=${encodeURIComponent(iri)}`;
      link.title = "Open this actor in the explorer";
      return link;
    }
    return element("span", label || iri || "");
  }

  function what(claim) {
    const cell = element("td", null, "what");
    const line = element("div");
    line.appendChild(party(claim.from, claim.from_id));
    // The relation in a reader's words ("Funding flow"), from the ontology's labels.
    const relation = (data.relations || {})[claim.type] || claim.type;
    line.appendChild(element("span", ` ${relation} → `, "relation"));
    line.appendChild(party(claim.to, claim.to_id));
    cell.appendChild(line);
    if (claim.note) cell.appendChild(element("div", claim.note, "note"));
    return cell;
  }

  function sources(claim) {
    const cell = element("td");
    const list = element("ul");
    for (const source of claim.sources || []) {
      const item = element("li");
      const link = element("a", source.title || source.url);
      link.href = source.url;
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      item.appendChild(link);
      list.appendChild(item);
    }
    cell.appendChild(list);
    return cell;
  }

  // The claims of `ids` (those the page carries), and a line for the `leftOut` ones it does
  // not carry (a large store: the JSON API lists them all).
  function claimsTable(ids, leftOut) {
    const table = element("table");
    const head = element("tr");
    for (const name of ["claim", "who does what to whom", "period", "amount / count", "sources"]) {
      head.appendChild(element("th", name));
    }
    table.appendChild(element("thead")).appendChild(head);
    const body = element("tbody");
    for (const id of ids) {
      const claim = data.evidence[id];
      if (!claim) continue;
      const row = element("tr", null, claim.basis === "assessment" ? "assessment" : "report");
      row.dataset.claim = id;
      const ident = element("td", id, "ident");
      ident.appendChild(element("div", `${claim.basis}, ${claim.confidence} confidence`, "basis"));
      row.appendChild(ident);
      row.appendChild(what(claim));
      row.appendChild(element("td", claim.end ? `${claim.start} – ${claim.end}` : claim.start, "period"));
      row.appendChild(element("td", amount(claim), "amount"));
      row.appendChild(sources(claim));
      body.appendChild(row);
    }
    table.appendChild(body);
    if (!leftOut) return table;
    const whole = element("div");
    whole.appendChild(table);
    const more = element("p", `…and ${leftOut.toLocaleString("en")} more claims, not listed in this page` +
      (config.api !== null ? " (the JSON API, /api/question, lists them all)." : "."), "claims-more");
    whole.appendChild(more);
    return whole;
  }

  const percent = (value) => `${Math.round(value * 100)}%`;
  // One descriptive line under a series' heading: its first and last year, as drawn. It reads
  // the rows, it judges nothing.
  const readings = {
    burden(chart) {
      const rows = chart.rows;
      if (rows.length === 0) return null;
      const first = rows[0];
      const last = rows[rows.length - 1];
      return `Median regional share per recruit: ${percent(first.median)} in ${first.period} ` +
        `(${first.regions} regions), ${percent(last.median)} in ${last.period} (${last.regions} regions).`;
    },
    operators(chart) {
      const rows = chart.shares || [];
      if (rows.length === 0) return null;
      const said = (r) => `${percent(r.share)} in ${r.period} (${percent(r.low)}–${percent(r.high)}, ` +
        `${plural(r.claims, "claim")})`;
      const first = rows[0];
      const last = rows[rows.length - 1];
      return "Federal share of governments' operation claims: " +
        (rows.length === 1 ? said(first) : `${said(first)}, ${said(last)}`) + ".";
    },
    centralization(chart) {
      const above = chart.rows.filter((r) => r.observed > r.high).map((r) => r.period);
      const below = chart.rows.filter((r) => r.observed < r.low).map((r) => r.period);
      return `Above the null band in ${above.length} of ${chart.rows.length} years` +
        (above.length ? ` (${above.join(", ")})` : "") +
        `; below it in ${below.length}` + (below.length ? ` (${below.join(", ")})` : "") + ".";
    },
  };

  // Counts as readers read them: 3,281, not 3281.
  const number = (n) => Number(n).toLocaleString("en");
  const plural = (n, word) => `${number(n)} ${word}${n === 1 ? "" : "s"}`;

  // The data of a chart as tables (one per plot), written as text: its columns and, per row,
  // a button that lists the claims behind the row.
  function dataTables(card, heading, tables) {
    const details = card.querySelector(".data");
    for (const table of tables) {
      const node = element("table");
      node.appendChild(element("caption", `${table.caption || heading}: ${table.summary.toLowerCase()}`));
      const head = element("tr");
      for (const column of [...table.columns, "claims behind it"]) {
        const th = element("th", column);
        th.scope = "col";
        head.appendChild(th);
      }
      node.appendChild(element("thead")).appendChild(head);
      const body = element("tbody");
      for (const row of table.rows) {
        const tr = element("tr");
        for (const cell of row.cells) tr.appendChild(element("td", cell));
        const last = element("td", row.claim_ids.length ? null : "–");
        if (row.claim_ids.length) {
          const button = element("button", plural(row.claim_ids.length, "claim"), "row-claims");
          button.type = "button";
          button.dataset.claims = row.claim_ids.join(" ");
          button.dataset.label = row.label;
          button.dataset.leftOut = row.claims_left_out || 0;
          const count = row.claim_ids.length + (row.claims_left_out || 0);
          button.textContent = plural(count, "claim");
          button.setAttribute("aria-label", `The ${plural(count, "claim")} behind ${row.label}`);
          last.appendChild(button);
        }
        tr.appendChild(last);
        body.appendChild(tr);
      }
      node.appendChild(body);
      details.appendChild(node);
    }
    details.hidden = tables.length === 0;
  }

  // What the whole projection rests on, in the header (from the data, or the first part).
  function scope(part) {
    const line = document.getElementById("scope-claims");
    const datasets = part.datasets.length ? part.datasets.join(", ") : "no dataset";
    line.textContent = `${part.claims.toLocaleString("en")} sourced claims ` +
      `(${part.assessments.toLocaleString("en")} of them experts' assessments) from ${datasets}.`;
    if (part.synthetic) document.querySelector(".banner.synthetic").hidden = false;
  }

  // Draw one card: its evidence line, reading, plots, data tables and claims.
  function drawCard(name, chart, specs, tables) {
    const card = document.querySelector(`[data-chart="${name}"]`);
    const plots = card.querySelector(".plots");
    plots.replaceChildren();
    card.removeAttribute("aria-busy");
    const evidence = card.querySelector(".evidence");
    evidence.querySelector(".count").textContent = number(chart.claims);
    evidence.querySelector(".claims-word").textContent = chart.claims === 1 ? "claim" : "claims";
    evidence.querySelector(".assessments").textContent = number(chart.assessments);
    evidence.querySelector(".assessments-word").textContent = chart.assessments === 1 ? "assessment" : "assessments";
    evidence.hidden = false;
    const unquantified = card.querySelector(".unquantified");
    if (unquantified && chart.unquantified !== undefined) {
      unquantified.textContent = `${plural(chart.unquantified, "further funding claim")} state no amount and are not drawn.`;
    }
    const reading = readings[name] && chart.rows.length ? readings[name](chart) : null;
    if (reading) evidence.after(element("p", reading, "reading"));
    if (specs.length === 0) {
      plots.appendChild(element("p", "No claims for this chart in the datasets shown.", "empty"));
    }
    const heading = card.querySelector("h2").textContent.trim();
    dataTables(card, heading, tables);
    const button = card.querySelector(".show-claims");
    const list = card.querySelector(".claims");
    button.disabled = !chart.claims;
    button.textContent = `Show the ${plural(chart.claims, "claim")} and their sources`;
    // The claims behind the chart (or behind one of its rows or marks: `what` says which),
    // listed under it; the keyboard is taken there, so that it reads them next.
    function showClaims(ids, what, focus, leftOut) {
      const count = ids.length + (leftOut || 0);
      const shown = what ? `the ${plural(count, "claim")} behind ${what}` : "all";
      if (list.hidden || list.dataset.shown !== shown) {
        list.replaceChildren();
        if (what) list.appendChild(element("p", `The ${plural(count, "claim")} behind ${what}:`, "claims-of"));
        list.appendChild(claimsTable(ids, leftOut));
        list.dataset.shown = shown;
      }
      list.hidden = false;
      // An open list takes the page's width, so that its rows read on one or two lines.
      card.classList.add("open");
      button.setAttribute("aria-expanded", "true");
      button.textContent = "Hide the claims";
      if (focus) {
        list.focus({ preventScroll: true });
        list.scrollIntoView({ block: "nearest" });
      }
    }
    function hideClaims() {
      list.hidden = true;
      card.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
      button.textContent = `Show the ${plural(chart.claims, "claim")} and their sources`;
    }
    specs.forEach((spec, i) => {
      // Each plot a figure the keyboard reaches, named by what it shows (the chart's heading,
      // its panel, its kind and span, the reading above it); Enter lists the claims behind it.
      const plot = element("div", null, "plot");
      const table = tables[i] || { caption: "", summary: "" };
      const named = () => {
        plot.tabIndex = 0;
        plot.setAttribute("role", "figure");
        plot.setAttribute("aria-label", `${heading}${table.caption ? ` (${table.caption})` : ""}: ${table.summary}.` +
          (reading ? ` ${reading}` : "") + " The same data is in the table under the chart; Enter lists the claims behind it.");
      };
      named();
      plot.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" || event.target !== plot || !chart.claims) return;
        event.preventDefault();
        showClaims(chart.claim_ids, null, true, chart.claims_left_out);
      });
      plots.appendChild(plot);
      vegaEmbed(plot, spec, embedOptions).then(({ view }) => {
        named(); // vega-embed names its container "Vega visualization"
        // A click on a bar or point lists the claims behind it, as its row's button does.
        view.addEventListener("click", (event, item) => {
          const ids = item && item.datum && item.datum.claim_ids;
          if (!ids || !ids.length) return;
          const row = [...card.querySelectorAll(".row-claims")].find((b) => b.dataset.claims === ids.join(" "));
          showClaims(ids, row ? row.dataset.label : "this mark", false, item.datum.claims_left_out);
        });
      }).catch((error) => {
        plot.textContent = `This chart could not be drawn: ${error.message}`;
      });
    });
    button.addEventListener("click", () => {
      if (list.hidden || list.dataset.shown !== "all") showClaims(chart.claim_ids, null, false, chart.claims_left_out);
      else hideClaims();
    });
    for (const rowButton of card.querySelectorAll(".row-claims")) {
      rowButton.addEventListener("click", () => showClaims(rowButton.dataset.claims.split(" "), rowButton.dataset.label, true,
        Number(rowButton.dataset.leftOut || 0)));
    }
  }

  if (data.claims !== undefined) scope(data);
  for (const name of Object.keys(data.charts)) {
    drawCard(name, data.charts[name], data.specs[name] || [], data.tables[name] || []);
  }

  // ------------------------------------------------------------------ charts still computed
  // One job of the server (api.pending) computes them in the order of config.pending; its
  // phase names the chart it is on, so those before it are done: each is then fetched
  // (/api/question/{chart}, from the server's cache) and drawn, while the cards of the others
  // show the job's progress.
  const POLL_MS = 1000;
  const MAX_POLLS = 900; // a job polled at most 15 minutes (the server's write limit is 10)
  const sleep = (ms) => new Promise((resolve) => window.setTimeout(resolve, ms));
  const started = Date.now();
  const order = config.pending || [];
  const fetched = new Set();
  let waiting = order.length;

  function cardOf(chart) {
    return document.querySelector(`[data-chart="${chart}"]`);
  }

  function progressOf(chart, job, on) {
    const card = cardOf(chart);
    const line = card.querySelector(".pending .progress");
    const bar = card.querySelector(".pending progress");
    if (!line) return;
    let text = `Computing: ${Math.round((Date.now() - started) / 1000)} s so far`;
    if (on === chart) {
      if (job.total) {
        bar.max = job.total;
        bar.value = job.done;
        if (job.unit !== "charts") text += ` (${job.done} of ${job.total} ${job.unit})`;
      }
      if (job.eta !== null && job.eta !== undefined && job.unit !== "charts") text += `, about ${Math.ceil(job.eta)} s left`;
    } else if (on) {
      text += `; the ${on} chart first`;
    } else if (job.phase) {
      text += `, ${job.phase}`;
    }
    line.textContent = text + ".";
  }

  function settled() {
    waiting -= 1;
    const status = document.getElementById("pending-status");
    if (!status) return;
    if (waiting === 0) status.remove();
    else status.textContent = `Computing ${plural(waiting, "more chart")}; each is drawn as soon as it is ready.`;
  }

  // A JSON answer of the server: its status and body; null where it could not be reached.
  async function ask(url) {
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" } });
      return { status: answer.status, body: await answer.json() };
    } catch (error) {
      return null;
    }
  }

  // Poll the job at `url` until it ends, telling `running(job)` its state at each poll while
  // it runs: its last state ("done" or "failed"); GONE when the server forgot it (a restart);
  // null when the polls ran out.
  const GONE = "gone";
  async function watch(url, running) {
    for (let poll = 0; poll < MAX_POLLS; poll++) {
      const answer = await ask(url);
      if (answer === null) { // not reached: again, a little later
        await sleep(POLL_MS * 5);
        continue;
      }
      if (answer.status === 404) return GONE;
      const job = answer.body;
      if (job.state === "done" || job.state === "failed") return job;
      running(job);
      await sleep(POLL_MS);
    }
    return null;
  }

  const failure = (job) => (job.result && job.result.error) || `status ${job.status}`;

  async function part(chart) {
    const url = `${config.api}/api/question/${chart}${window.location.search}`;
    for (let round = 0; round < 3; round++) {
      const answer = await ask(url);
      if (answer === null) throw new Error("the server could not be reached");
      const body = answer.body;
      if (answer.status !== 202) {
        if (answer.status >= 400) throw new Error(body.error || body.detail || `status ${answer.status}`);
        return body;
      }
      // its own job (the cache forgot it)
      const ended = await watch(body.job, (state) => progressOf(chart, state, chart));
      if (ended && ended.state === "failed") throw new Error(failure(ended));
    }
    throw new Error("no answer after its job ended");
  }

  function fail(chart, message) {
    const card = cardOf(chart);
    card.removeAttribute("aria-busy");
    card.querySelector(".plots").replaceChildren(element("p", `This chart could not be computed: ${message}`, "empty"));
  }

  function draw(chart) {
    if (fetched.has(chart)) return;
    fetched.add(chart);
    part(chart).then((got) => {
      Object.assign(data.evidence, got.evidence);
      if (data.claims === undefined) {
        data.claims = got.claims;
        scope(got);
      }
      drawCard(chart, got.data, got.specs, got.tables);
    }).catch((error) => fail(chart, error.message)).finally(settled);
  }

  async function follow() {
    const ended = await watch(config.job, (job) => {
      const on = order.includes(job.phase) ? job.phase : null;
      const past = on ? order.indexOf(on) : 0;
      order.slice(0, past).forEach(draw);
      for (const chart of order.slice(past)) progressOf(chart, job, on);
    });
    if (ended === GONE) return window.location.reload();
    if (ended === null) return;
    if (ended.state === "failed") {
      const reason = failure(ended);
      for (const chart of order) if (!fetched.has(chart)) { fetched.add(chart); fail(chart, reason); settled(); }
      return;
    }
    order.forEach(draw);
  }
  if (config.job) follow();

  // ------------------------------------------------------------------ figures of before a write
  // The page shows the figures computed before the latest change to the data while its job
  // (config.earlier) computes those of the data as it is now: its progress is shown, and when
  // it is done a button loads the page again, which the server then answers with them. The
  // reader chooses when: the charts do not change under their eyes.
  async function followEarlier() {
    const status = document.getElementById("earlier-status");
    const bar = document.getElementById("earlier-progress");
    const load = document.getElementById("earlier-load");
    const ended = await watch(config.earlier, (job) => {
      let text = `The figures of the data as it is now are being computed: ${Math.round((Date.now() - started) / 1000)} s so far`;
      if (job.phase) text += cardOf(job.phase) ? `, now the ${job.phase} chart` : `, ${job.phase}`;
      if (job.total) {
        bar.max = job.total;
        bar.value = job.done;
      }
      status.textContent = text + ".";
    });
    if (ended === null) return;
    bar.remove();
    if (ended === GONE) { // forgotten (a restart): the page asks anew
      status.textContent = "The computation of the current figures was stopped; load the page again for them.";
      load.hidden = false;
    } else if (ended.state === "failed") {
      status.textContent = `The current figures could not be computed: ${failure(ended)}`;
    } else {
      status.textContent = "The figures of the data as it is now are ready.";
      load.hidden = false;
      load.focus({ preventScroll: true });
    }
  }
  if (config.earlier) {
    document.getElementById("earlier-load").addEventListener("click", () => window.location.reload());
    followEarlier();
  }
})();
