// h builds an element: h("button", {class: "big", testid: "start", onclick: f}, "Start").
// Text always goes in as text nodes, never as HTML, so nothing the learner
// typed can become markup.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "testid") el.dataset.testid = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// button is a large touch button; type=button so no form ever submits.
export function button(testid, label, onclick, cls = "btn") {
  return h("button", { type: "button", class: cls, testid, id: testid, onclick }, label);
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

// setText changes text only when it differs, so screen readers and the
// caret are not disturbed by identical re-renders.
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
