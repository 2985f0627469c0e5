import { t, K } from "./i18n.js";

// What the learner is told on a photo step while the camera is not ok. The
// states are capture.State names, sent by kioskd in state.camera_state;
// staff see the details (which program holds the camera, which group to
// join) in the diagnostics, never the learner.
const LEARNER = {
  starting: K("camera.learner.starting"),
  disconnected: K("camera.learner.disconnected"),
  busy: K("camera.learner.busy"),
  no_permission: K("camera.learner.no_permission"),
  black: K("camera.learner.black"),
  frozen: K("camera.learner.frozen"),
  wrong_camera: K("camera.learner.wrong_camera"),
};

// cameraLine returns the message for a camera state, or "" when there is
// nothing to say (ok, unknown).
export function cameraLine(state) {
  const key = LEARNER[state];
  return key ? t(key) : "";
}
