// The recruitgraph SPARQL query page: YASGUI (vendored, api/static/vendor/yasgui) talking to
// this server's /sparql only. The prefixes and the vocabulary the editor completes come with
// the page from the server (graph.model.namespaces, graph.model.vocabulary), never from the
// network.
"use strict";
(function () {
  const context = JSON.parse(document.getElementById("context").textContent);
  const PREFIXES = context.prefixes, VOCABULARY = context.vocabulary, ENTITY = context.entity;
  const EXAMPLES = [
    ["Who pays: totals paid by payer (amounts stated as totals, per currency)", `SELECT ?payer ?currency (SUM(?amount) AS ?total) (COUNT(?flow) AS ?claims) WHERE {
  ?flow a rg:FundingFlow ; rg:amountBasis rg:TotalAmount ; rg:from/rdfs:label ?payer ;
        schema:amount ?amount ; schema:currency ?currency .
}
GROUP BY ?payer ?currency
ORDER BY DESC(?total)
LIMIT 50`],
    ["Enlistment bonuses per recruit: the levels each payer tier pays", `SELECT ?tier ?currency (COUNT(?flow) AS ?claims) (MIN(?amount) AS ?lowest) (MAX(?amount) AS ?highest) WHERE {
  ?flow a rg:FundingFlow ; rg:purpose rg:EnlistmentBonus ; rg:amountBasis rg:PerRecruitAmount ;
        rg:from ?payer ; schema:amount ?amount ; schema:currency ?currency .
  ?payer a ?kind . ?kind rg:tier/skos:notation ?tier .
}
GROUP BY ?tier ?currency`],
    ["Claims with their sources", `SELECT ?claim ?type ?from ?to ?start ?confidence ?source WHERE {
  ?claim a ?type ; rg:from/rdfs:label ?from ; rg:to/rdfs:label ?to ;
         rg:start ?start ; rg:confidence/skos:notation ?confidence ;
         prov:wasDerivedFrom/schema:url ?source .
  VALUES ?type { rg:FundingFlow rg:Coordination rg:Operation rg:Recruitment rg:EnforcementAction rg:DiplomaticContact }
}
ORDER BY DESC(?start)
LIMIT 100`],
    ["Who coordinates whom", `SELECT ?coordinator ?coordinated ?start WHERE {
  ?c a rg:Coordination ; rg:from/rdfs:label ?coordinator ; rg:to/rdfs:label ?coordinated ; rg:start ?start .
}
ORDER BY ?start`],
    ["Foreign governments acting against recruitment", `SELECT ?government ?action ?target ?date WHERE {
  ?e a rg:EnforcementAction ; rg:from/rdfs:label ?government ; rg:to/rdfs:label ?target ;
     rg:start ?date .
  OPTIONAL { ?e rg:enforcementKind/skos:notation ?action }
}
ORDER BY DESC(?date)`],
    ["Datasets (named graphs) and their size (provenance: /api/datasets)", `SELECT ?dataset (COUNT(*) AS ?triples) WHERE {
  GRAPH ?dataset { ?s ?p ?o }
}
GROUP BY ?dataset
ORDER BY DESC(?triples)`],
    ["Describe an actor (CONSTRUCT)", `CONSTRUCT { ?actor ?p ?o } WHERE {
  ?actor a rg:RegionalGovernment ; ?p ?o .
}
LIMIT 40`],
  ];

  const $ = (id) => document.getElementById(id);
  const example = $("example"), token = $("token");
  $("prefixes").append(...Object.keys(PREFIXES).flatMap((p, i) => {
    const code = document.createElement("code");
    code.textContent = p + ":";
    return i ? [", ", code] : [code];
  }));
  EXAMPLES.forEach(([label], i) => {
    const option = document.createElement("option");
    option.value = String(i); option.textContent = label; example.appendChild(option);
  });
  token.value = sessionStorage.getItem("rg-token") || "";
  token.addEventListener("change", () => sessionStorage.setItem("rg-token", token.value.trim()));

  // Completion of this store's classes and properties, in place of YASQE's own completers,
  // which ask Linked Open Vocabularies over the network. Offered as prefixed names (the
  // server knows the prefixes) and as full IRIs (where a query declares its own).
  const Yasqe = Yasgui.Yasqe;
  // The server declares its prefixes for every query; the editor's syntax check is told so
  // (its SPARQL mode starts each text with them declared), so that "rg:" is not an error.
  const sparqlMode = Yasqe.modes && Yasqe.modes.sparql11;
  if (sparqlMode) {
    Yasqe.defineMode("sparql11", (config, modeConfig) => {
      const mode = sparqlMode(config, modeConfig);
      const startState = mode.startState;
      mode.startState = (...args) => {
        const state = startState.apply(mode, args);
        state.prefixes = { ...PREFIXES, ...state.prefixes };
        return state;
      };
      return mode;
    });
  }
  const terms = (kind) => VOCABULARY[kind].flatMap((t) => [t.name, t.iri]);
  // Prefixes: the server's own first; a bundled one of the same name (the bundled schema:
  // is the schema.org namespace over plain HTTP) would change what a query means here.
  const bundled = Yasqe.Autocompleters.prefixes.get;
  Yasqe.forkAutocompleter("prefixes", { name: "rgPrefixes", persistenceId: null,
    get: (yasqe) => Promise.resolve(bundled(yasqe)).then((all) => [
      ...Object.entries(PREFIXES).map(([p, ns]) => `${p}: <${ns}>`),
      ...all.filter((entry) => !(entry.split(":")[0] in PREFIXES)),
    ]) });
  Yasqe.forkAutocompleter("class", { name: "rgClass", bulk: true, autoShow: true,
    persistenceId: null, get: () => terms("classes") });
  Yasqe.forkAutocompleter("property", { name: "rgProperty", bulk: true, autoShow: true,
    persistenceId: null, get: () => terms("properties") });

  const endpoint = new URL("/sparql", window.location.href).href;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: {
      endpoint,
      method: "POST",
      headers: () => (token.value.trim() ? { Authorization: "Bearer " + token.value.trim() } : {}),
    },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: () => [{ endpoint }] },
    populateFromUrl: true,
    persistenceId: "recruitgraph-sparql",
    yasqe: {
      value: EXAMPLES[0][1],
      autocompleters: ["rgPrefixes", "variables", "rgClass", "rgProperty"],
    },
    yasr: { prefixes: PREFIXES, pluginOrder: ["table", "response"], defaultPlugin: "table" },
  });

  function tab() { return yasgui.getTab(); }
  // Every tab asks this server, whatever a stored or shared tab said.
  function pin(t) { if (t.getEndpoint() !== endpoint) t.setEndpoint(endpoint); }
  pin(tab());
  yasgui.on("tabSelect", (_, id) => setTimeout(() => pin(yasgui.getTab(id)), 0));
  yasgui.on("tabAdd", (_, id) => setTimeout(() => pin(yasgui.getTab(id)), 0));

  example.addEventListener("change", () => {
    if (example.value === "") return;
    tab().setQuery(EXAMPLES[Number(example.value)][1]);
    example.value = "";
  });

  // The query and the result view in the address bar (its fragment: GET /sparql?query=…
  // answers the query itself), so that a link reopens both.
  function remember() {
    const link = new URL(tab().getShareableLink(endpoint));
    const params = new URLSearchParams(link.hash.slice(1));
    for (const name of ["endpoint", "requestMethod", "tabTitle", "headers"]) params.delete(name);
    const view = tab().getYasr().selectedPlugin;
    if (view) params.set("outputFormat", view);
    window.history.replaceState(null, "", `${window.location.pathname}#${params}`);
  }

  // The server's error, marked where it says it is in the text sent ("at 3:7", or "line 3,
  // column 7").
  let marks = [];
  function unmark() {
    const editor = tab().getYasqe();
    for (const mark of marks) mark.clear ? mark.clear() : editor.removeLineClass(mark, "background", "rg-error-line");
    editor.clearGutter && editor.clearGutter("gutterErrorBar");
    marks = [];
  }
  function markError(message) {
    let text = String(message || "");
    try { text = JSON.parse(text).error || text; } catch (_) { /* not the server's JSON */ }
    const found = /\bat (\d+):(\d+)|line (\d+), column (\d+)/.exec(text);
    if (!found) return;
    const editor = tab().getYasqe();
    const line = Number(found[1] || found[3]) - 1, column = Number(found[2] || found[4]) - 1;
    message = text;
    if (line < 0 || line >= editor.lineCount()) return;
    marks.push(editor.addLineClass(line, "background", "rg-error-line"));
    marks.push(editor.markText({ line, ch: Math.max(0, column) }, { line, ch: Math.max(0, column) + 1 },
      { className: "rg-error-at", title: message }));
    const flag = document.createElement("span");
    flag.className = "rg-error-gutter"; flag.textContent = "!"; flag.title = message;
    editor.setGutterMarker(line, "gutterErrorBar", flag);
  }

  // IRIs of this store's actors open the actor in the explorer.
  function linkActors() {
    const root = tab().getYasr().resultsEl;
    for (const a of root.querySelectorAll("a[href]")) {
      const iri = a.getAttribute("href");
      if (iri.startsWith(ENTITY)) {
        a.href = `/viz?level=organization&focus=${encodeURIComponent(iri)}`;
        a.title = `${iri}: open in the explorer`;
        a.removeAttribute("target");
      }
    }
  }

  yasgui.on("queryBefore", () => unmark());
  yasgui.on("queryResponse", () => remember());
  function watch(t) {
    const yasr = t.getYasr();
    // The table opens in its simple view (values without their datatype tags: 2000000000,
    // not "2000000000"^^xsd:decimal) unless the reader chose otherwise before.
    const table = yasr.plugins && yasr.plugins.table;
    if (table && table.persistentConfig && table.persistentConfig.compact === undefined) {
      table.persistentConfig.compact = true;
    }
    yasr.on("drawn", () => {
      linkActors();
      remember();
      const error = yasr.results && yasr.results.getError && yasr.results.getError();
      if (error) markError(error.text || String(error));
    });
  }
  watch(tab());
  yasgui.on("tabAdd", (_, id) => setTimeout(() => watch(yasgui.getTab(id)), 0));
  window.recruitgraphQuery = { yasgui, endpoint };
})();
