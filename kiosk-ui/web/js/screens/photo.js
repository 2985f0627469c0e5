import { h, button, setText } from "../dom.js";
import { t, K } from "../i18n.js";
import { cameraLine } from "../camera.js";
import { qualityPanel } from "../quality.js";

const TITLES = {
  face: K("face.title"),
  id_photo_side: K("id_photo.title"),
  id_name_side: K("id_name.title"),
};

// guidance returns the instructions for kind in this state: what to show the
// camera, and for ID sides whether to use the tray or hold it up.
function guidance(kind, st) {
  if (kind === "face") {
    return [st.two_sided ? t("face.guide_two_sided") : t("face.guide")];
  }
  const side = kind === "id_photo_side" ? "id_photo" : "id_name";
  const keys = {
    id_photo: [K("id_photo.guide_cradle"), K("id_photo.guide_hand"), K("id_photo.guide_hand_only")],
    id_name: [K("id_name.guide_cradle"), K("id_name.guide_hand"), K("id_name.guide_hand_only")],
  }[side];
  return st.cradle.available ? [t(keys[0]), t(keys[1])] : [t(keys[2])];
}

// photoStep is the face, ID photo side and ID name side screen: the live
// preview with a capture button, then the photo with retake / use this photo.
export function photoStep({ send }, kind) {
  const guide = h("div", { class: "guide", testid: "guide" });
  const stage = h("div", { class: "stage" });
  const status = h("p", { class: "status-line", testid: "capture-status", "aria-live": "polite" });
  const check = h("p", { class: "hint", testid: "photo-check", hidden: true }, t("capture.check"));
  const back = button("back", t("common.back"), () => send({ type: "back" }), "btn secondary");
  const capture = button("capture", t("capture.take"), () => send({ type: "capture" }), "btn primary");
  const retake = button("retake", t("capture.retake"), () => send({ type: "retake" }), "btn secondary");
  const accept = button("accept-photo", t("capture.use"), () => send({ type: "accept_photo" }), "btn primary");
  const actions = h("div", { class: "actions" });
  const quality = qualityPanel(send);
  const el = h("section", { class: "card photo-step" },
    h("h1", {}, t(TITLES[kind])),
    guide,
    stage,
    status,
    quality.el,
    h("div", { class: "msg-slot" }),
    check,
    actions,
  );

  let mode = ""; // live | photo
  let photoSrc = "";
  let guideKey = "";
  return {
    el,
    update(st) {
      const lines = guidance(kind, st);
      if (lines.join("\n") !== guideKey) {
        guideKey = lines.join("\n");
        guide.replaceChildren(...lines.map((l) => h("p", {}, l)));
      }

      const shown = st.pending ?? (!st.live && st.photos[kind]?.present ? st.photos[kind] : null);
      if (!shown) {
        if (mode !== "live") {
          mode = "live";
          photoSrc = "";
          const img = h("img", { class: "preview", src: "/preview.mjpeg", alt: t("capture.preview_alt"), testid: "preview" });
          img.addEventListener("error", () => setText(status, t("capture.preview_unavailable")));
          stage.replaceChildren(img);
          actions.replaceChildren(back, capture);
        }
        check.hidden = true;
        capture.disabled = st.capturing;
        // With photo checks the kiosk captures by itself; the button comes
        // after a while (state.quality.manual) so nobody is stuck.
        capture.hidden = !!st.quality && !st.quality.manual;
        setText(capture, st.capturing ? t("capture.taking") : t("capture.take"));
      } else {
        // The photo replaces the preview, which closes the MJPEG stream.
        const src = st.pending
          ? `/api/photos/pending.jpg?rev=${st.pending.rev}`
          : `/api/photos/${kind}.jpg?rev=${shown.rev}`;
        if (mode !== "photo" || src !== photoSrc) {
          mode = "photo";
          photoSrc = src;
          const img = h("img", { class: "photo", src, alt: t("capture.photo_alt"), testid: "photo" });
          // "Use this photo" only once the learner can see it.
          accept.disabled = true;
          const seen = () => (accept.disabled = false);
          img.addEventListener("load", seen);
          img.addEventListener("error", seen);
          stage.replaceChildren(img);
          actions.replaceChildren(back, retake, accept);
        }
        check.hidden = false;
      }

      quality.update(st, mode === "live", stage);
      let line = "";
      if (st.capturing) line = t("capture.taking");
      else if (mode === "live" && cameraLine(st.camera_state)) line = cameraLine(st.camera_state);
      // Not on the name side: the card in the tray is most likely still
      // photo side up, and the guidance already says to turn it over.
      else if (kind === "id_photo_side" && st.cradle.present && mode === "live") line = t("capture.card_in_tray");
      if (mode === "live" && !st.capturing && status.textContent === t("capture.preview_unavailable")) return;
      setText(status, line);
    },
  };
}
