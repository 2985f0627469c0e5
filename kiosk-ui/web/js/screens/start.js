import { h, button, setText } from "../dom.js";
import { t, K } from "../i18n.js";
import { keyboard, textInput } from "../keyboard.js";

export function welcome({ send }) {
  // Staff mode: small and out of the way, for proctors; there only when a
  // staff PIN is set (state.staff).
  const staffOpen = button("staff-open", t("staff.open"), () => send({ type: "staff_open" }), "btn small staff-open");
  staffOpen.hidden = true;
  const el = h("section", { class: "card welcome" },
    h("h1", {}, t("welcome.title")),
    h("p", { class: "lead" }, t("welcome.intro")),
    h("p", {}, t("welcome.need")),
    h("p", { class: "hint" }, t("welcome.choose_language")),
    h("div", { class: "actions" },
      button("start", t("welcome.start"), () => send({ type: "start" }), "btn primary"),
      button("check-status", t("welcome.check_status"), () => send({ type: "check_status" }), "btn secondary"),
    ),
    h("div", { class: "staff-corner" }, staffOpen),
  );
  return {
    el,
    update(st) {
      staffOpen.hidden = !st.staff;
    },
  };
}

const RESULTS = {
  no_account: K("status.result.no_account"),
  no_profile: K("status.result.no_profile"),
  pending_review: K("status.result.pending_review"),
  approved: K("status.result.approved"),
  rejected: K("status.result.rejected"),
  offline: K("status.result.offline"),
};

export function status({ send, drafts, st }) {
  const input = textInput("status-email-input", t("status.email_label"), drafts.status ?? st.email);
  input.addEventListener("input", () => (drafts.status = input.value));
  const lookup = () => send({ type: "status_lookup", email: input.value });
  const checking = h("p", { class: "hint", testid: "status-checking", hidden: true }, t("status.checking"));
  const result = h("div", { class: "result", testid: "status-result", "aria-live": "polite", hidden: true });
  const lookupBtn = button("status-lookup", t("status.lookup"), lookup, "btn primary");
  const el = h("section", { class: "card" },
    h("h1", {}, t("status.title")),
    h("p", {}, t("status.intro")),
    h("label", { for: input.id, class: "label" }, t("status.email_label")),
    input,
    h("div", { class: "actions" },
      button("back", t("common.back"), () => send({ type: "back" }), "btn secondary"),
      lookupBtn,
    ),
    checking,
    h("div", { class: "msg-slot" }),
    result,
    keyboard(input, lookup),
  );
  let shown = "";
  return {
    el,
    update(st) {
      checking.hidden = !st.checking;
      lookupBtn.disabled = st.checking;
      const l = st.lookup;
      const key = l ? `${l.result}|${l.reason ?? ""}|${st.lang}` : "";
      if (key === shown) return;
      shown = key;
      result.hidden = !l;
      if (!l) return result.replaceChildren();
      result.dataset.result = l.result;
      result.replaceChildren(
        h("p", { class: `result-${l.result}` }, t(RESULTS[l.result] ?? K("status.result.offline"))),
        l.reason ? h("p", {}, t("status.reason", { reason: l.reason })) : null,
        l.result === "pending_review" ? h("p", { class: "hint" }, t("status.pending_hint")) : null,
        button("status-done", t("status.done"), () => send({ type: "finish" }), "btn primary"),
      );
    },
  };
}

export function consent({ send }) {
  const el = h("section", { class: "card consent" },
    h("h1", {}, t("consent.title")),
    h("p", {}, t("consent.collect")),
    h("ul", {},
      h("li", {}, t("consent.item_name")),
      h("li", {}, t("consent.item_email")),
      h("li", {}, t("consent.item_face")),
      h("li", {}, t("consent.item_id")),
    ),
    h("p", {}, t("consent.why")),
    h("p", {}, t("consent.protect")),
    h("p", {}, t("consent.erase")),
    h("p", { class: "hint" }, t("consent.policy")),
    h("p", { class: "question" }, t("consent.question")),
    h("div", { class: "actions" },
      button("consent-decline", t("consent.decline"), () => send({ type: "consent_decline" }), "btn secondary"),
      button("consent-accept", t("consent.accept"), () => send({ type: "consent_accept" }), "btn primary"),
    ),
  );
  return { el, update() {} };
}
