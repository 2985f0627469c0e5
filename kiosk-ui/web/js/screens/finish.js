import { h, button } from "../dom.js";
import { t, K } from "../i18n.js";

const PHOTO_LABELS = {
  face: K("photo.face"),
  id_photo_side: K("photo.id_photo_side"),
  id_name_side: K("photo.id_name_side"),
};
const ID_LABELS = {
  passport: K("idtype.passport"),
  national_id: K("idtype.national_id"),
  driving_licence: K("idtype.driving_licence"),
  other: K("idtype.other"),
};

function row(label, value, editTestid, onEdit) {
  return h("div", { class: "review-row" },
    h("dt", {}, label),
    h("dd", {}, h("span", { class: "value" }, value)),
    h("dd", {}, button(editTestid, t("review.change"), onEdit, "btn small")),
  );
}

export function review({ send }) {
  const details = h("dl", { class: "review" });
  const photos = h("div", { class: "thumbs" });
  const submit = button("submit", t("review.submit"), () => send({ type: "submit" }), "btn primary");
  const el = h("section", { class: "card" },
    h("h1", {}, t("review.title")),
    h("p", {}, t("review.intro")),
    details,
    h("h2", {}, t("review.photos")),
    photos,
    h("div", { class: "msg-slot" }),
    h("div", { class: "actions" },
      button("back", t("common.back"), () => send({ type: "back" }), "btn secondary"),
      submit,
    ),
  );
  let drawn = "";
  let draws = 0;
  return {
    el,
    update(st) {
      const kinds = Object.keys(PHOTO_LABELS).filter((k) => st.photos[k]);
      const key = JSON.stringify([st.email, st.name, st.id_type, st.two_sided, kinds.map((k) => st.photos[k].rev)]);
      if (key === drawn) return;
      drawn = key;
      const edit = (step) => () => send({ type: "edit", step });
      details.replaceChildren(
        row(t("review.email"), st.email, "edit-email", edit("email")),
        row(t("review.name"), st.name, "edit-name", edit("name")),
        row(t("review.id"), `${t(ID_LABELS[st.id_type] ?? K("idtype.other"))} · ${st.two_sided ? t("review.two_sided") : t("review.one_sided")}`,
          "edit-idtype", edit("idtype")),
      );
      // "Send" only once the learner can see every photo (thumbnails of an
      // earlier draw no longer count).
      let loading = 0;
      const gen = ++draws;
      const seen = () => {
        if (gen === draws) submit.disabled = --loading > 0;
      };
      const thumb = (src, alt) => {
        loading++;
        const img = h("img", { src, alt });
        img.addEventListener("load", seen);
        img.addEventListener("error", seen);
        return img;
      };
      photos.replaceChildren(...kinds.map((k) => {
        const p = st.photos[k];
        return h("figure", { class: "thumb", testid: `thumb-${k}` },
          p.present
            ? thumb(`/api/photos/${k}.jpg?rev=${p.rev}`, t(PHOTO_LABELS[k]))
            : h("div", { class: "missing" }, t("review.missing")),
          h("figcaption", {}, t(PHOTO_LABELS[k])),
          button(`retake-${k}`, p.present ? t("capture.retake") : t("capture.take"),
            () => send({ type: "retake", kind: k }), "btn small"),
        );
      }));
      submit.disabled = loading > 0;
    },
  };
}

export function saving() {
  const el = h("section", { class: "card center", testid: "saving", "aria-busy": "true" },
    h("h1", {}, t("saving.title")),
    h("div", { class: "spinner", "aria-hidden": "true" }),
    h("p", { class: "lead" }, t("saving.wait")),
  );
  return { el, update() {} };
}

export function receipt({ send }) {
  const ref = h("p", { class: "reference", testid: "receipt-reference", id: "receipt-reference" });
  const card = h("p", { class: "warning", testid: "take-card", hidden: true }, t("receipt.take_card"));
  const next1 = h("li", {});
  const el = h("section", { class: "card" },
    h("h1", {}, t("receipt.title")),
    h("p", { class: "label" }, t("receipt.reference_label")),
    ref,
    h("p", { class: "hint" }, t("receipt.reference_hint")),
    card,
    h("h2", {}, t("receipt.next_title")),
    h("ol", {},
      next1,
      h("li", {}, t("receipt.next_pending")),
      h("li", {}, t("receipt.next_email")),
      h("li", {}, t("receipt.next_courses")),
    ),
    h("div", { class: "actions" },
      button("finish", t("receipt.finish"), () => send({ type: "finish" }), "btn primary"),
    ),
  );
  return {
    el,
    update(st) {
      ref.textContent = st.receipt?.reference ?? "";
      next1.textContent = t("receipt.next_review", { days: st.receipt?.review_days ?? 3 });
      card.hidden = !st.cradle.present;
    },
  };
}
