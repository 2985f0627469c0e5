// The staff PIN keypad, on the staff screen and in the photo override. The
// digits live only in this closure: shown as dots, sent once with
// "staff_unlock", then forgotten. kioskd checks the PIN, counts wrong ones
// and locks the keypad (state.staff.locked_until); this only draws.
import { h, button, setText } from "./dom.js";
import { t } from "./i18n.js";

const MAX_DIGITS = 12;

// pinPad returns {el, update(st)}.
export function pinPad(send) {
  let pin = "";
  const dots = h("output", { class: "pin-dots", testid: "staff-pin", "aria-label": t("staff.pin_label") });
  const show = () => {
    setText(dots, pin ? "•".repeat(pin.length) : "\u00a0");
    dots.dataset.length = String(pin.length);
  };
  const press = (d) => {
    if (pin.length < MAX_DIGITS) pin += d;
    show();
  };
  const unlock = () => {
    const p = pin;
    pin = "";
    show();
    send({ type: "staff_unlock", pin: p });
  };
  const key = (label, testid, f, cls = "key pin-key") => {
    const b = h("button", { type: "button", class: cls, testid, id: testid }, label);
    b.addEventListener("click", f);
    return b;
  };
  const digits = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((d) => key(d, `pin-${d}`, () => press(d)));
  const clearKey = key(t("staff.pin_clear"), "pin-clear", () => {
    pin = "";
    show();
  }, "key pin-key pin-word");
  const zero = key("0", "pin-0", () => press("0"));
  const del = key(t("staff.pin_delete"), "pin-delete", () => {
    pin = pin.slice(0, -1);
    show();
  }, "key pin-key pin-word");
  const keys = [...digits, clearKey, zero, del];
  const unlockBtn = button("staff-unlock", t("staff.unlock"), unlock, "btn primary");
  const checking = h("p", { class: "hint", testid: "staff-checking", hidden: true }, t("staff.checking"));
  const locked = h("p", { class: "warning", testid: "staff-locked", role: "status", hidden: true });
  const el = h("div", { class: "pinpad", role: "group", "aria-label": t("staff.pin_label") },
    dots,
    h("div", { class: "pin-grid" }, keys),
    unlockBtn,
    checking,
    locked,
  );
  // Typing on a physical keyboard works too (a proctor's USB keyboard).
  el.addEventListener("keydown", (e) => {
    if (/^[0-9]$/.test(e.key)) press(e.key);
    else if (e.key === "Backspace") del.click();
    else if (e.key === "Enter") unlock();
  });
  show();

  let until = 0;
  let timer = null;
  let busy = false;
  const tick = () => {
    const secs = Math.ceil((until - Date.now()) / 1000);
    const lockedNow = secs > 0 && el.isConnected;
    locked.hidden = !lockedNow;
    if (lockedNow) setText(locked, t("staff.locked_wait", { seconds: secs }));
    for (const k of keys) k.disabled = lockedNow || busy;
    unlockBtn.disabled = lockedNow || busy;
    if (!lockedNow && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
  return {
    el,
    update(st) {
      busy = !!st.staff?.checking;
      checking.hidden = !busy;
      until = st.staff?.locked_until ? Date.parse(st.staff.locked_until) : 0;
      tick();
      if (until > Date.now() && !timer) timer = setInterval(tick, 1000);
    },
  };
}
