// recruitgraph explorer: the links (edges) of the network for the keyboard and for screen
// readers, shared by the explorer and its aggregate view. One stop in the tab order, a
// listbox: each option says what a link is (relation, from, to, number of claims); the arrow
// keys, Home and End move between them (the canvas selects the link, and a line beside the
// network says it), Enter or Space opens what a click on the link opens. Every text goes in
// as text.
"use strict";

window.linkList = function linkList(box, shown, onMove, onOpen) {
  const options = document.createElement("div");
  options.className = "visually-hidden";
  options.setAttribute("role", "presentation");
  box.appendChild(options);
  let links = []; // [{ id, words }], in the order the options list them
  let active = -1;
  const optionId = (i) => `${box.id}-option-${i}`;

  function mark() {
    for (const option of options.children) option.setAttribute("aria-selected", String(option.id === optionId(active)));
    if (active < 0) {
      box.removeAttribute("aria-activedescendant");
      shown.textContent = links.length ? `${links.length} links: arrow keys to go through them` : "no links drawn";
      return;
    }
    box.setAttribute("aria-activedescendant", optionId(active));
    shown.textContent = `${links[active].words} (${active + 1} of ${links.length})`;
  }
  function move(to) {
    if (!links.length) return;
    active = Math.max(0, Math.min(links.length - 1, to));
    mark();
    onMove(links[active].id);
  }
  box.addEventListener("keydown", (event) => {
    const keys = { ArrowDown: active + 1, ArrowRight: active + 1, ArrowUp: active - 1, ArrowLeft: active - 1,
      Home: 0, End: links.length - 1 };
    if (event.key in keys) {
      event.preventDefault();
      move(active < 0 && event.key !== "End" ? 0 : keys[event.key]);
    } else if ((event.key === "Enter" || event.key === " ") && active >= 0) {
      event.preventDefault();
      onOpen(links[active].id);
    }
  });
  box.addEventListener("focus", () => { if (active < 0 && links.length && box.matches(":focus-visible")) move(0); });

  return {
    // The links drawn now, `[{ id, words }]`: the one in focus stays so if it is still drawn.
    update(next) {
      const kept = active >= 0 ? links[active].id : null;
      links = next;
      options.replaceChildren(...links.map((link, i) => {
        const option = document.createElement("div");
        option.id = optionId(i);
        option.setAttribute("role", "option");
        option.dataset.link = link.id;
        option.textContent = link.words;
        return option;
      }));
      active = kept === null ? -1 : links.findIndex((link) => link.id === kept);
      box.setAttribute("aria-label", `Links drawn, ${links.length}`);
      mark();
    },
    activeId: () => (active >= 0 ? links[active].id : null),
  };
};
