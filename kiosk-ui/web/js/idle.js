import { h, button, setText } from "./dom.js";
import { t } from "./i18n.js";

// idleOverlay is the "are you still there?" dialog with a countdown to the
// reset the session has scheduled.
export function idleOverlay(root, onContinue) {
  const count = h("p", { class: "lead", testid: "idle-countdown" });
  const title = h("h2", { id: "idle-title" });
  const cont = button("keep-alive", "", onContinue, "btn primary");
  const box = h("div", { class: "overlay", testid: "idle-warning", role: "alertdialog", "aria-modal": "true",
    "aria-labelledby": "idle-title", hidden: true },
    h("div", { class: "dialog" }, title, count, cont),
  );
  root.append(box);
  let deadline = null;
  let timer = null;
  const tick = () => {
    const secs = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    setText(count, t("idle.body", { seconds: secs }));
  };
  return {
    update(st) {
      setText(title, t("idle.title"));
      setText(cont, t("idle.continue"));
      const show = !!st.idle_warning;
      if (show && box.hidden) {
        box.hidden = false;
        cont.focus();
      }
      box.hidden = !show;
      if (show) {
        deadline = Date.parse(st.idle_deadline);
        tick();
        if (!timer) timer = setInterval(tick, 1000);
      } else if (timer) {
        clearInterval(timer);
        timer = null;
      }
    },
  };
}
