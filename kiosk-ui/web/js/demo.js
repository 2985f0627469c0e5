import { h, button } from "./dom.js";
import { t } from "./i18n.js";
import { postJSON } from "./api.js";

// demoPanel drives the simulated cradle and camera. It exists only when
// kioskd runs with simulated hardware (/api/demo answers).
export function demoPanel(root, status, getState) {
  const select = h("select", { class: "demo-select", testid: "demo-scene", id: "demo-scene" });
  const fill = (s) => {
    select.replaceChildren(...s.scenes.map((name) => h("option", { value: name, selected: name === s.scene }, name)));
  };
  fill(status);
  select.addEventListener("change", () => {
    panel.open = false;
    postJSON("/api/demo/scene", { scene: select.value }).then(fill, () => {});
  });
  // Each action closes the drop-down so it does not hide the screen it changes.
  const cradle = (present) => () => {
    panel.open = false;
    postJSON("/api/demo/cradle", { present }).catch(() => {});
  };
  const place = button("demo-place", "", cradle(true), "btn small");
  const remove = button("demo-remove", "", cradle(false), "btn small");
  const summary = h("summary", { testid: "demo-toggle" });
  const note = h("p", { class: "hint" });
  const label = h("label", { for: "demo-scene" });
  const panel = h("details", { class: "demo", testid: "demo" },
    summary, h("div", { class: "demo-body" }, note, h("div", { class: "demo-row" }, place, remove), label, select));
  root.append(panel);
  const translate = () => {
    summary.textContent = t("demo.title");
    note.textContent = t("demo.note");
    place.textContent = t("demo.place");
    remove.textContent = t("demo.remove");
    label.textContent = t("demo.scene");
    const st = getState();
    place.disabled = !!st?.cradle?.present;
    remove.disabled = !st?.cradle?.present;
  };
  translate();
  // Re-translate and refresh the buttons whenever the page re-renders.
  new MutationObserver(translate).observe(document.body, { attributes: true, attributeFilter: ["data-rev"] });
}
