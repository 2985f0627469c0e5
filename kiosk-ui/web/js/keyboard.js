import { h } from "./dom.js";
import { t, K } from "./i18n.js";

// The on-screen keyboard types into one input. Inputs carry
// inputmode="none" so the OS keyboard never covers the screen; a physical
// keyboard still works because the input is a normal input.
const LETTERS = [
  ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
  ["q", "w", "e", "r", "t", "y", "u", "i", "o", "p"],
  ["a", "s", "d", "f", "g", "h", "j", "k", "l", "ñ"],
  ["shift", "z", "x", "c", "v", "b", "n", "m", "'", "backspace"],
];
// Accented letters used in English, Spanish and French names and addresses.
const ACCENTS = [
  ["á", "à", "â", "ä", "ã", "å", "æ", "ç", "ñ", "ß"],
  ["é", "è", "ê", "ë", "í", "ì", "î", "ï", "ý", "ÿ"],
  ["ó", "ò", "ô", "ö", "õ", "ø", "œ", "ú", "ù", "û"],
  ["shift", "ü", "’", "·", ",", "backspace"],
];
const BOTTOM = ["layer", "@", ".", "-", "_", "space", ".com"];

const LABELS = {
  shift: K("kb.shift"),
  backspace: K("kb.backspace"),
  space: K("kb.space"),
};

// keyboard returns the keyboard element for input; onEnter runs on the
// physical Enter key.
export function keyboard(input, onEnter) {
  let shift = false;
  let accents = false;
  const root = h("div", { class: "keyboard", testid: "keyboard", role: "group", "aria-label": t("kb.label") });

  // caret puts focus in the input (so the caret shows) and returns the
  // selection. Chrome forgets the selection of an unfocused input, so a tap
  // that finds focus elsewhere types at the end, which is what people expect.
  const caret = () => {
    if (document.activeElement !== input) {
      input.focus();
      const n = input.value.length;
      input.setSelectionRange(n, n);
    }
    return [input.selectionStart ?? input.value.length, input.selectionEnd ?? input.value.length];
  };
  const changed = () => input.dispatchEvent(new Event("input", { bubbles: true }));
  const type = (text) => {
    const [start, end] = caret();
    input.setRangeText(text, start, end, "end");
    changed();
  };
  const backspace = () => {
    let [start, end] = caret();
    if (start === end && start > 0) {
      // Step back over a whole code point, not half a surrogate pair.
      const before = Array.from(input.value.slice(0, start));
      start -= before[before.length - 1].length;
    }
    input.setRangeText("", start, end, "end");
    changed();
  };

  const press = (k) => {
    switch (k) {
      case "shift":
        shift = !shift;
        break;
      case "layer":
        accents = !accents;
        break;
      case "backspace":
        backspace();
        break;
      case "space":
        type(" ");
        break;
      default:
        type(shift ? k.toLocaleUpperCase() : k);
        shift = false;
    }
    draw();
  };

  const key = (k) => {
    let label = k;
    let testid = `key-${k}`;
    let cls = "key";
    if (k in LABELS) {
      label = t(LABELS[k]);
      testid = `kb-${k}`;
      cls += ` key-${k}`;
    } else if (k === "layer") {
      label = accents ? t("kb.letters") : t("kb.accents");
      testid = "kb-accents";
      cls += " key-layer";
    } else if (k === ".com") {
      testid = "kb-dotcom";
      cls += " key-wide";
    } else if (shift) {
      label = k.toLocaleUpperCase();
    }
    const b = h("button", { type: "button", class: cls, testid, "aria-pressed": k === "shift" ? String(shift) : null }, label);
    // Keep focus (and the caret) in the input while tapping keys.
    b.addEventListener("pointerdown", (e) => e.preventDefault());
    b.addEventListener("click", () => press(k));
    return b;
  };

  const draw = () => {
    root.replaceChildren(
      ...(accents ? ACCENTS : LETTERS).map((row) => h("div", { class: "kb-row" }, row.map(key))),
      h("div", { class: "kb-row" }, BOTTOM.map(key)),
    );
  };

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      onEnter();
    }
  });
  draw();
  return root;
}

// textInput is an input for the on-screen keyboard.
export function textInput(testid, label, value) {
  return h("input", {
    id: testid,
    testid,
    class: "text-input",
    // type=text even for email: type=email has no selection API, which the
    // on-screen keyboard needs to type at the caret.
    type: "text",
    inputmode: "none",
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    "aria-label": label,
    value: value ?? "",
  });
}
