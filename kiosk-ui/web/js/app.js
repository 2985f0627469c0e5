// The kiosk page: renders the session state that kioskd pushes over
// Server-Sent Events and posts the learner's actions. All rules live in the
// Go session; this file only draws.
import { act, connect, getJSON } from "./api.js";
import { h, button, setText } from "./dom.js";
import { load, setLang, t, K, nativeName, translateStatic } from "./i18n.js";
import { screens } from "./screens.js";
import { idleOverlay } from "./idle.js";
import { demoPanel } from "./demo.js";

let state = null;
let mounted = null; // {step, lang, view}
let localProblem = null; // an HTTP error not carried in the state
const drafts = {}; // typed text per input, kept across language switches

const screenEl = document.getElementById("screen");
const announcer = document.getElementById("announcer");
const langsEl = document.getElementById("langs");
const reconnectingEl = document.getElementById("reconnecting");
const adminViewingEl = document.getElementById("admin-viewing");
let messageEl = null;
let idle = null;
let lastAnnounced = "";

async function send(action) {
  localProblem = null;
  const { state: st, problem } = await act(action);
  if (st) apply(st, false);
  // 409: a stale or double tap, the state already says where we are.
  if (problem && problem.status !== 409 && !problem.state) {
    localProblem = problem;
    render();
  }
}

function apply(st, fresh) {
  if (!fresh && state && st.rev <= state.rev) return;
  const langChanged = !state || state.lang !== st.lang;
  // Back on welcome, the session has wiped the learner's data: so must the
  // page, or the next person finds the last one's email in the field.
  if (st.step === "welcome") for (const k of Object.keys(drafts)) delete drafts[k];
  state = st;
  localProblem = null;
  if (langChanged) {
    load(st.lang).then(() => render(), () => render());
  } else {
    render();
  }
}

function announce(text) {
  if (!text || text === lastAnnounced) return;
  lastAnnounced = text;
  announcer.textContent = text;
}

function messageText(msg) {
  if (!msg) return "";
  const params = { ...(msg.params ?? {}) };
  // A photo kind reads better translated: "face" -> "photo of your face".
  if (params.kind) params.kind = t(`photo.${params.kind}`);
  return t(msg.key, params);
}

function renderLanguages() {
  const codes = state.languages ?? [];
  if (langsEl.childElementCount !== codes.length) {
    langsEl.replaceChildren(
      ...codes.map((code) =>
        h("button", {
          type: "button",
          class: "lang",
          testid: `lang-${code}`,
          id: `lang-${code}`,
          lang: code,
          onclick: () => send({ type: "set_language", lang: code }),
        }, nativeName(code)),
      ),
    );
  }
  langsEl.setAttribute("aria-label", t("language.label"));
  for (const b of langsEl.children) {
    const code = b.id.slice(5);
    setText(b, nativeName(code));
    b.setAttribute("aria-pressed", String(code === state.lang));
  }
}

function render() {
  if (!state) return;
  const st = state;
  setLang(st.lang);
  document.body.dataset.step = st.step;
  document.body.dataset.rev = String(st.rev);
  translateStatic();
  renderLanguages();
  // A remote admin is watching the live camera: the learner must know.
  adminViewingEl.hidden = !(st.admin_viewers > 0);

  const make = screens[st.step];
  if (!make) return;
  const view = make.view ? make.view(st) : "";
  if (!mounted || mounted.step !== st.step || mounted.lang !== st.lang || mounted.view !== view) {
    const stepChanged = !mounted || mounted.step !== st.step;
    const ctx = { send, drafts, st };
    const scr = make(ctx);
    messageEl = h("div", { class: "message", id: "message", testid: "message", hidden: true });
    screenEl.replaceChildren(scr.el);
    // Messages go where the learner is looking: under the screen's main
    // controls (above the keyboard), or at the end.
    const slot = scr.el.querySelector(".msg-slot");
    if (slot) slot.replaceWith(messageEl);
    else scr.el.append(messageEl);
    mounted = { step: st.step, lang: st.lang, view, screen: scr };
    const heading = scr.el.querySelector("h1");
    if (heading) {
      heading.tabIndex = -1;
      if (stepChanged) {
        heading.focus();
        announce(heading.textContent);
      }
    }
  }
  mounted.screen.update(st);

  const msg = localProblem ? { key: localProblem.key ?? K("server_error") } : st.message;
  const text = messageText(msg);
  setText(messageEl, text);
  messageEl.hidden = !text;
  messageEl.dataset.key = msg?.key ?? "";
  announce(text);

  idle.update(st);
}

async function boot() {
  await load("en").catch(() => {});
  idle = idleOverlay(document.getElementById("overlay-root"), () => send({ type: "keep_alive" }));
  const first = await getJSON("/api/state");
  if (first) {
    await Promise.all((first.languages ?? []).map((l) => load(l).catch(() => {})));
    apply(first, true);
  }
  connect(
    (st, fresh) => apply(st, fresh),
    (up) => {
      reconnectingEl.hidden = up;
    },
  );
  const demo = await getJSON("/api/demo");
  if (demo) demoPanel(document.getElementById("demo-root"), demo, () => state);
}

boot();
