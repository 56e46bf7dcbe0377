// recruitgraph explorer: what its two views (the explorer and its aggregate view) share: the
// shapes vis-network draws the kinds of actors with, as SVG (for the legends and the
// explorer's SVG export), and the check that a source's address may be linked.
"use strict";

window.explorerShared = (function () {
  const SVG = "http://www.w3.org/2000/svg";
  function svgNode(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }
  // The shapes vis-network draws the kinds with, as SVG at (x, y) with radius r: for the
  // legend and the SVG export.
  function polygon(cx, cy, r, corners, turn = -Math.PI / 2, inner = null) {
    const points = [];
    const count = inner ? corners * 2 : corners;
    for (let i = 0; i < count; i++) {
      const radius = inner && i % 2 ? r * inner : r;
      const angle = turn + (2 * Math.PI * i) / count;
      points.push(`${(cx + radius * Math.cos(angle)).toFixed(1)},${(cy + radius * Math.sin(angle)).toFixed(1)}`);
    }
    return svgNode("polygon", { points: points.join(" ") });
  }
  const SVG_SHAPES = {
    dot: (x, y, r) => svgNode("circle", { cx: x, cy: y, r }),
    square: (x, y, r) => svgNode("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r }),
    diamond: (x, y, r) => polygon(x, y, r, 4),
    triangle: (x, y, r) => polygon(x, y, r, 3),
    triangleDown: (x, y, r) => polygon(x, y, r, 3, Math.PI / 2),
    hexagon: (x, y, r) => polygon(x, y, r, 6, 0),
    star: (x, y, r) => polygon(x, y, r, 5, -Math.PI / 2, 0.45),
  };
  // A kind as the network draws it: its shape (which tells the kinds apart where the colours
  // of a tier are shared, or not seen) in its colour, outlined as the nodes are.
  function shapeSwatch(kind) {
    const svg = svgNode("svg", { width: 14, height: 14, viewBox: "0 0 14 14", class: "swatch", "aria-hidden": "true",
      "data-shape": kind.shape });
    const shape = (SVG_SHAPES[kind.shape] || SVG_SHAPES.dot)(7, 7, kind.shape === "square" ? 5.5 : 6.5);
    shape.setAttribute("fill", kind.colour);
    shape.setAttribute("stroke", "#2b2b2b");
    shape.setAttribute("stroke-width", "1");
    svg.appendChild(shape);
    return svg;
  }
  // A source's address as a link only when it is http(s): never javascript: or data:.
  function safeUrl(url) {
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }
  return { svgNode, SHAPES: SVG_SHAPES, shapeSwatch, safeUrl };
})();
