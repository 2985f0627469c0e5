// The admin page: log in with a token, watch the camera, see the kiosk's
// state. The token stays in this tab (sessionStorage) and goes out only in
// Authorization headers.
import { watch, videoStats, WHEPError } from "./whep.js";

const TOKEN_KEY = "idkiosk.admin.token";
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem(TOKEN_KEY) ?? "";
let player = null;
let statusTimer = 0;
let statsTimer = 0;

function setState(s) {
  document.body.dataset.state = s;
}

function show(id, visible) {
  $(id).hidden = !visible;
}

function fail(id, text) {
  $(id).textContent = text;
  show(id, Boolean(text));
}

class Unauthorized extends Error {}

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: `Bearer ${token}` }, cache: "no-store" });
  if (r.status === 401) throw new Unauthorized();
  if (!r.ok) throw new Error(`${path}: status ${r.status}`);
  return r.json();
}

function renderStatus(st) {
  $("device").textContent = st.device;
  const cam = st.camera;
  $("camera-state").textContent = `${cam.state}${cam.fps ? ` · ${cam.fps.toFixed(1)} fps` : ""}${cam.last_error ? ` · last error: ${cam.last_error}` : ""}`;
  $("camera-state").dataset.state = cam.state;
  $("queue-depth").textContent = `${st.queue.queued} waiting${st.queue.dead ? `, ${st.queue.dead} failed` : ""}`;
  $("queue-depth").dataset.queued = String(st.queue.queued);
  const p = st.preview;
  $("encoder").textContent = `${p.codec} · ${p.encoding ? "running" : "idle"} · ${p.frames} frames, ${p.keyframes} forced keyframes`;
  $("viewers").replaceChildren(
    ...st.viewers.map((v) => {
      const li = document.createElement("li");
      li.textContent = `${v.token} from ${v.remote} since ${new Date(v.since).toLocaleTimeString()}${v.connected ? "" : " (connecting)"}`;
      return li;
    }),
  );
}

async function refresh() {
  renderStatus(await api("/api/status"));
}

function pollStatus() {
  clearInterval(statusTimer);
  statusTimer = setInterval(() => {
    refresh().catch((err) => {
      if (err instanceof Unauthorized) logout("That token is no longer valid.");
    });
  }, 2000);
}

// trackVideo polls the decoder: quickly until the first frame (to time it
// from the POST), then twice a second for the stats line.
function trackVideo(p) {
  const el = $("video-stats");
  let first = false;
  const tick = async () => {
    if (player !== p) return;
    const s = await videoStats(p.pc).catch(() => null);
    if (s) {
      if (!first && s.framesDecoded > 0) {
        first = true;
        el.dataset.firstFrameMs = String(Math.round(performance.now() - p.posted));
        setState("watching");
      }
      el.dataset.framesDecoded = String(s.framesDecoded);
      el.dataset.width = String(s.width);
      el.dataset.height = String(s.height);
      el.textContent = first
        ? `${s.width}×${s.height} · ${Math.round(s.fps)} fps · ${s.framesDecoded} frames · first frame after ${el.dataset.firstFrameMs} ms`
        : "Connecting…";
    }
    statsTimer = setTimeout(tick, first ? 500 : 5);
  };
  tick();
}

async function start() {
  fail("watch-error", "");
  show("start", false);
  show("stop", true);
  setState("connecting");
  const el = $("video-stats");
  el.dataset.framesDecoded = "0";
  el.dataset.firstFrameMs = "";
  try {
    player = await watch("/whep", token, $("video"));
  } catch (err) {
    if (err instanceof WHEPError && err.status === 401) {
      logout("That token is not valid for this kiosk.");
      return;
    }
    setState("error");
    fail("watch-error", `Could not start the preview: ${err.message}`);
    show("start", true);
    show("stop", false);
    return;
  }
  const p = player;
  p.pc.addEventListener("connectionstatechange", () => {
    if (player === p && (p.pc.connectionState === "failed" || p.pc.connectionState === "closed")) {
      stop();
      fail("watch-error", "The connection to the kiosk was lost.");
    }
  });
  trackVideo(p);
  refresh().catch(() => {}); // this session in the viewer list at once
}

async function stop() {
  clearTimeout(statsTimer);
  const p = player;
  player = null;
  $("video").srcObject = null;
  setState("stopped");
  show("start", true);
  show("stop", false);
  if (p) await p.stop();
  refresh().catch(() => {});
}

function logout(message = "") {
  stop();
  clearInterval(statusTimer);
  token = "";
  sessionStorage.removeItem(TOKEN_KEY);
  show("viewer", false);
  show("status", false);
  show("logout", false);
  show("login", true);
  fail("login-error", message);
  setState("login");
}

async function login(t) {
  token = t;
  try {
    await refresh();
  } catch (err) {
    logout(err instanceof Unauthorized ? "That token is not valid for this kiosk." : `The kiosk did not answer: ${err.message}`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  fail("login-error", "");
  show("login", false);
  show("viewer", true);
  show("status", true);
  show("logout", true);
  pollStatus();
  start();
}

$("login").addEventListener("submit", (e) => {
  e.preventDefault();
  login($("token").value.trim());
});
$("stop").addEventListener("click", () => stop());
$("start").addEventListener("click", () => start());
$("logout").addEventListener("click", () => logout());
// Leaving the page ends the session at once instead of waiting for the
// kiosk to notice the silence.
window.addEventListener("pagehide", () => {
  if (player) player.stop(true);
});

if (token) login(token);
