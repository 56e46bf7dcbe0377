// The recruitgraph SPARQL query page: no framework, no CDN; talks to /sparql like any client.
"use strict";
(function () {
  const PREFIXES = {
    rg: "https://w3id.org/recruitgraph/ontology#", prov: "http://www.w3.org/ns/prov#",
    org: "http://www.w3.org/ns/org#", schema: "https://schema.org/", dcterms: "http://purl.org/dc/terms/",
    skos: "http://www.w3.org/2004/02/skos/core#", rdfs: "http://www.w3.org/2000/01/rdf-schema#",
    xsd: "http://www.w3.org/2001/XMLSchema#", rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    id: "https://w3id.org/recruitgraph/id/", dataset: "https://w3id.org/recruitgraph/dataset/",
  };
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
    ["Datasets (named graphs) and their provenance", `SELECT ?dataset ?access ?synthetic ?triples ?created WHERE {
  GRAPH ?dataset { ?dataset a rg:Dataset ; rg:accessLevel/skos:notation ?access ;
                   rg:synthetic ?synthetic ; rg:tripleCount ?triples ; dcterms:created ?created }
}`],
    ["Describe an actor (CONSTRUCT)", `CONSTRUCT { ?actor ?p ?o } WHERE {
  ?actor a rg:RegionalGovernment ; ?p ?o .
}
LIMIT 40`],
  ];

  const $ = (id) => document.getElementById(id);
  const query = $("query"), example = $("example"), token = $("token");
  EXAMPLES.forEach(([label], i) => {
    const option = document.createElement("option");
    option.value = String(i); option.textContent = label; example.appendChild(option);
  });
  const params = new URLSearchParams(location.search);
  query.value = params.get("q") || sessionStorage.getItem("rg-query") || EXAMPLES[0][1];
  token.value = sessionStorage.getItem("rg-token") || "";
  example.addEventListener("change", () => { query.value = EXAMPLES[Number(example.value)][1]; });
  token.addEventListener("change", () => sessionStorage.setItem("rg-token", token.value.trim()));

  function headers(accept) {
    const h = { "Content-Type": "application/x-www-form-urlencoded", Accept: accept };
    if (token.value.trim()) h.Authorization = "Bearer " + token.value.trim();
    return h;
  }
  function short(iri) {
    for (const [p, ns] of Object.entries(PREFIXES)) if (iri.startsWith(ns)) return p + ":" + iri.slice(ns.length);
    return iri;
  }
  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      td.className = "uri";
      const a = document.createElement("a");
      a.href = term.value.startsWith(PREFIXES.id) ? "/api/entities/" + term.value.slice(PREFIXES.id.length) : term.value;
      a.textContent = short(term.value); a.title = term.value; a.rel = "noopener noreferrer";
      td.appendChild(a);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.textContent = term.value;
      if (term["xml:lang"] || term.datatype) {
        const span = document.createElement("span");
        span.className = "dt";
        span.textContent = term["xml:lang"] ? " @" + term["xml:lang"] : " " + short(term.datatype);
        td.appendChild(span);
      }
    }
    return td;
  }
  function show(kind, text) { const el = $(kind); el.textContent = text; el.hidden = !text; }

  async function run(event) {
    if (event) event.preventDefault();
    sessionStorage.setItem("rg-query", query.value);
    show("error", ""); show("warning", ""); $("results").replaceChildren();
    $("run").disabled = true; $("status").textContent = "running…";
    const started = performance.now();
    try {
      const response = await fetch("/sparql", {
        method: "POST",
        headers: headers("application/sparql-results+json, text/turtle;q=0.9"),
        body: new URLSearchParams({ query: query.value }),
      });
      const elapsed = ((performance.now() - started) / 1000).toFixed(2);
      const type = response.headers.get("content-type") || "";
      if (!response.ok) {
        let message = await response.text();
        try { message = JSON.parse(message).error || message; } catch (_) { /* plain text */ }
        show("error", `${response.status}: ${message}`);
        $("status").textContent = `failed after ${elapsed} s`;
        return;
      }
      const cap = response.headers.get("x-sparql-maxrows");
      if (cap) show("warning", `The result was cut at ${cap} rows (the server's limit): add LIMIT/OFFSET or narrow the query.`);
      if (type.includes("sparql-results+json")) {
        const data = await response.json();
        if ("boolean" in data) {
          $("results").textContent = String(data.boolean);
          $("status").textContent = `ASK in ${elapsed} s`;
          return;
        }
        const vars = data.head.vars, rows = data.results.bindings;
        const table = document.createElement("table");
        const head = table.createTHead().insertRow();
        vars.forEach((v) => { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
        const body = table.createTBody();
        rows.forEach((row) => { const tr = body.insertRow(); vars.forEach((v) => tr.appendChild(cell(row[v]))); });
        $("results").appendChild(table);
        $("status").textContent = `${rows.length} row${rows.length === 1 ? "" : "s"} in ${elapsed} s`;
      } else {
        const pre = document.createElement("pre");
        pre.className = "graph"; pre.textContent = await response.text();
        $("results").appendChild(pre);
        $("status").textContent = `graph in ${elapsed} s`;
      }
    } catch (error) {
      show("error", String(error));
      $("status").textContent = "";
    } finally {
      $("run").disabled = false;
    }
  }

  async function download(event) {
    event.preventDefault();
    const format = event.target.dataset.format;
    const response = await fetch("/sparql", {
      method: "POST", headers: headers("*/*"),
      body: new URLSearchParams({ query: query.value, format }),
    });
    if (!response.ok) { show("error", `${response.status}: ${await response.text()}`); return; }
    const blob = await response.blob();
    const link = document.createElement("a");
    const ext = { ntriples: "nt", turtle: "ttl", jsonld: "jsonld" }[format] || format;
    link.href = URL.createObjectURL(blob); link.download = `query-result.${ext}`;
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  $("form").addEventListener("submit", run);
  query.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(e); });
  document.querySelectorAll(".downloads a").forEach((a) => a.addEventListener("click", download));
})();
