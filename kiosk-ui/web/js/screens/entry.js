import { h, button, setText } from "../dom.js";
import { t, K } from "../i18n.js";
import { keyboard, textInput } from "../keyboard.js";

export function email({ send, drafts, st }) {
  const input = textInput("email-input", t("email.label"), drafts.email ?? st.email);
  input.addEventListener("input", () => (drafts.email = input.value));
  const next = () => send({ type: "email_submit", email: input.value });
  const nextBtn = button("email-next", t("common.next"), next, "btn primary");
  const checking = h("p", { class: "hint", testid: "email-checking", hidden: true }, t("email.checking"));

  const suggestText = h("p", { class: "question" });
  const suggest = h("div", { class: "panel", testid: "email-suggestion", hidden: true },
    suggestText,
    h("div", { class: "actions" },
      button("email-keep", t("email.keep"), () => send({ type: "email_confirm", use_suggestion: false }), "btn secondary"),
      button("email-use-suggestion", t("email.use_suggestion"), () => send({ type: "email_confirm", use_suggestion: true }), "btn primary"),
    ),
  );

  const noAccount = h("div", { class: "panel", testid: "email-no-account", hidden: true },
    h("p", {}, t("email.advice_intro")),
    h("ul", {},
      h("li", {}, t("email.advice_other")),
      h("li", {}, t("email.advice_typo")),
      h("li", {}, t("email.advice_second")),
    ),
    h("div", { class: "actions" },
      button("email-change", t("email.change"), () => {
        input.focus();
        input.select();
      }, "btn secondary"),
      button("email-continue", t("email.continue"), () => send({ type: "email_continue" }), "btn primary"),
    ),
  );

  const el = h("section", { class: "card" },
    h("h1", {}, t("email.title")),
    h("p", {}, t("email.intro")),
    h("label", { for: input.id, class: "label" }, t("email.label")),
    input,
    h("div", { class: "actions" },
      button("back", t("common.back"), () => send({ type: "back" }), "btn secondary"),
      nextBtn,
    ),
    checking,
    h("div", { class: "msg-slot" }),
    suggest,
    noAccount,
    keyboard(input, next),
  );
  return {
    el,
    update(st) {
      checking.hidden = !st.checking;
      nextBtn.disabled = st.checking;
      suggest.hidden = !st.email_suggestion;
      setText(suggestText, st.email_suggestion ? t("email.did_you_mean", { email: st.email_suggestion }) : "");
      noAccount.hidden = st.account !== "none";
    },
  };
}

export function name({ send, drafts, st }) {
  const input = textInput("name-input", t("name.label"), drafts.name ?? st.name);
  input.addEventListener("input", () => (drafts.name = input.value));
  const next = () => send({ type: "name_submit", name: input.value });
  const el = h("section", { class: "card" },
    h("h1", {}, t("name.title")),
    h("p", {}, t("name.intro")),
    h("label", { for: input.id, class: "label" }, t("name.label")),
    input,
    h("div", { class: "actions" },
      button("back", t("common.back"), () => send({ type: "back" }), "btn secondary"),
      button("name-next", t("common.next"), next, "btn primary"),
    ),
    h("div", { class: "msg-slot" }),
    keyboard(input, next),
  );
  return { el, update() {} };
}

const ID_TYPES = [
  ["passport", K("idtype.passport")],
  ["national_id", K("idtype.national_id")],
  ["driving_licence", K("idtype.driving_licence")],
  ["other", K("idtype.other")],
];

export function idtype({ send, st }) {
  let chosen = st.id_type || null;
  let twoSided = st.id_type ? st.two_sided : null;
  const typeButtons = ID_TYPES.map(([value, key]) =>
    button(`idtype-${value}`, t(key), () => {
      chosen = value;
      if (value === "passport" && twoSided === null) twoSided = false; // one data page
      draw();
    }, "btn choice"),
  );
  const yes = button("two-sided-yes", t("idtype.sides_yes"), () => ((twoSided = true), draw()), "btn choice");
  const no = button("two-sided-no", t("idtype.sides_no"), () => ((twoSided = false), draw()), "btn choice");
  const next = button("idtype-next", t("common.next"),
    () => send({ type: "idtype_submit", id_type: chosen, two_sided: twoSided }), "btn primary");
  const draw = () => {
    ID_TYPES.forEach(([value], i) => typeButtons[i].setAttribute("aria-pressed", String(chosen === value)));
    yes.setAttribute("aria-pressed", String(twoSided === true));
    no.setAttribute("aria-pressed", String(twoSided === false));
    next.disabled = !chosen || twoSided === null;
  };
  const el = h("section", { class: "card" },
    h("h1", {}, t("idtype.title")),
    h("p", { class: "question", id: "idtype-q" }, t("idtype.question")),
    h("div", { class: "choices", role: "group", "aria-labelledby": "idtype-q" }, typeButtons),
    h("p", { class: "question", id: "sides-q" }, t("idtype.sides_question")),
    h("p", { class: "hint" }, t("idtype.sides_hint")),
    h("div", { class: "choices", role: "group", "aria-labelledby": "sides-q" }, yes, no),
    h("div", { class: "msg-slot" }),
    h("div", { class: "actions" },
      button("back", t("common.back"), () => send({ type: "back" }), "btn secondary"),
      next,
    ),
  );
  draw();
  return { el, update() {} };
}
