// One screen per session step. Each screen factory takes ctx {send, drafts,
// st} and returns {el, update(st)}: el is built once per step and language,
// update refreshes what changes within the step.
import { welcome, status, consent } from "./screens/start.js";
import { email, name, idtype } from "./screens/entry.js";
import { photoStep } from "./screens/photo.js";
import { review, saving, receipt } from "./screens/finish.js";
import { staff } from "./screens/staff.js";

export const screens = {
  welcome,
  status,
  consent,
  email,
  name,
  idtype,
  face: (ctx) => photoStep(ctx, "face"),
  id_photo: (ctx) => photoStep(ctx, "id_photo_side"),
  id_name: (ctx) => photoStep(ctx, "id_name_side"),
  review,
  saving,
  receipt,
  staff,
};
