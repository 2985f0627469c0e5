// Photo quality on the photo steps: the live guidance kioskd computes
// from the preview (state.quality), the manual capture hint, the count of
// failed tries and, after enough of them, the staff override form. The
// Go session decides everything; this only draws and sends.
import { h, button, setText } from "./dom.js";
import { t, K } from "./i18n.js";
import { keyboard, textInput } from "./keyboard.js";
import { pinPad } from "./pinpad.js";

const SVG = "http://www.w3.org/2000/svg";

// announceEvery: guidance can change several times a second while the
// learner moves; a screen reader hears the latest advice at most this
// often, and never the same advice twice in a row.
const announceEvery = 1500;

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// outline draws where the card goes over the live preview, in the frame's
// own pixels so that it lines up with the letterboxed picture.
function outline() {
  const rect = svg("rect", { class: "outline-rect", rx: 8 });
  const el = svg("svg", { class: "outline-overlay", "data-testid": "card-outline", "aria-hidden": "true", preserveAspectRatio: "xMidYMid meet" });
  el.append(rect);
  let key = "";
  return {
    el,
    update(o) {
      const k = `${o.width}x${o.height}:${o.left},${o.top},${o.right},${o.bottom}`;
      if (k === key) return;
      key = k;
      el.setAttribute("viewBox", `0 0 ${o.width} ${o.height}`);
      rect.setAttribute("x", o.left * o.width);
      rect.setAttribute("y", o.top * o.height);
      rect.setAttribute("width", (o.right - o.left) * o.width);
      rect.setAttribute("height", (o.bottom - o.top) * o.height);
    },
  };
}

// staffForm is the override: the staff PIN on its keypad until staff mode
// is unlocked (the session locks it again right after the override), then
// the staff member's name or badge and the reason, each typed on the
// on-screen keyboard of the field that has focus. It returns the element
// with an update(st).
function staffForm(send, close) {
  const pad = pinPad(send);
  const who = textInput("staff-name", t("quality.staff_name"), "");
  const why = textInput("staff-reason", t("quality.staff_reason"), "");
  const kb = h("div", { class: "staff-keyboard" });
  const submit = () => send({ type: "staff_override", staff: who.value, reason: why.value });
  for (const input of [who, why]) {
    input.addEventListener("focus", () => kb.replaceChildren(keyboard(input, submit)));
  }
  kb.replaceChildren(keyboard(who, submit));
  const field = (input, label) => [h("label", { for: input.id, class: "label" }, t(label)), input];
  let unlocked = false;
  const details = h("div", { class: "staff-details", hidden: true },
    field(who, K("quality.staff_name")),
    field(why, K("quality.staff_reason")),
    h("div", { class: "actions" }, button("staff-accept", t("quality.staff_accept"), submit, "btn primary")),
    kb,
  );
  const el = h("div", { class: "panel staff-form", testid: "staff-form", role: "group", "aria-label": t("quality.staff_title") },
    h("p", { class: "question" }, t("quality.staff_title")),
    h("p", {}, t("quality.staff_note")),
    pad.el,
    details,
    h("div", { class: "actions" },
      button("staff-cancel", t("quality.staff_cancel"), () => {
        if (unlocked) send({ type: "staff_exit" });
        close();
      }, "btn secondary"),
    ),
  );
  el.update = (st) => {
    unlocked = !!st.staff?.unlocked;
    pad.el.hidden = unlocked;
    details.hidden = !unlocked;
    pad.update(st);
    if (!unlocked) {
      // Nothing staff typed stays in the page once staff mode is locked.
      who.value = "";
      why.value = "";
    }
  };
  return el;
}

// qualityPanel returns {el, update(st, live, stage)} for a photo step.
export function qualityPanel(send) {
  const guide = h("p", { class: "guidance", testid: "guidance", "data-key": "" });
  const hint = h("p", { class: "hint", testid: "quality-hint" });
  const failed = h("p", { class: "quality-failed", testid: "quality-failed", hidden: true });
  const staffOpen = button("staff-open", t("quality.staff_open"), () => {
    formOpen = true;
    form.hidden = false;
    staffOpen.hidden = true;
    form.querySelector("button")?.focus();
  }, "btn secondary");
  let formOpen = false;
  const form = staffForm(send, () => {
    formOpen = false;
    form.hidden = true;
    staffOpen.hidden = false;
  });
  form.hidden = true;
  const el = h("div", { class: "quality", testid: "quality" }, guide, hint, failed, staffOpen, form);
  const over = outline();
  const announcer = document.getElementById("announcer");
  let heard = "";
  let lastSaid = 0;
  let timer = null;

  const announce = (text) => {
    if (!text || text === heard) return;
    const say = () => {
      timer = null;
      heard = text;
      lastSaid = Date.now();
      if (announcer) announcer.textContent = text;
    };
    clearTimeout(timer);
    const wait = lastSaid + announceEvery - Date.now();
    if (wait <= 0) say();
    else timer = setTimeout(say, wait);
  };

  return {
    el,
    // update draws the quality state; live is true while the preview shows
    // (not a taken photo); stage holds the preview, for the card outline.
    update(st, live, stage) {
      const q = st.quality;
      el.hidden = !q;
      if (!q) return;
      const key = live && !st.capturing ? q.guidance : "";
      let text = key ? t(key) : "";
      if (live && !st.capturing && q.ready) text = t("quality.ready");
      setText(guide, text);
      guide.dataset.key = live && !st.capturing && q.ready ? "ready" : key;
      guide.hidden = !text;
      if (live) announce(text);

      setText(hint, live ? t(q.manual ? "quality.manual_hint" : "quality.auto_hint") : "");
      hint.hidden = !live;
      setText(failed, q.failed > 0 ? `${t("quality.failed", { count: q.failed })} ${t("quality.ask_staff")}` : "");
      failed.hidden = !(live && q.failed > 0);

      const offer = live && q.override;
      form.update(st);
      staffOpen.hidden = !offer || formOpen;
      form.hidden = !offer || !formOpen;
      if (!offer) formOpen = false;

      if (q.outline && live) {
        over.update(q.outline);
        if (over.el.parentNode !== stage) stage.append(over.el);
      } else if (over.el.parentNode) {
        over.el.remove();
      }
    },
  };
}
