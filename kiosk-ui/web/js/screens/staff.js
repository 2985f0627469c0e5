// Staff mode: the PIN keypad, then the kiosk's state for proctors and
// field staff: what needs attention, the queue and its dead letters (ids,
// receipt references, the service's reasons; never a learner's data), the
// camera and cradle checks, the service connection, this kiosk, storage,
// clock, and the audit of staff actions and remote viewers. The data comes
// from /api/staff/*, which kioskd serves only while the session says staff
// mode is unlocked.
import { h, button, setText } from "../dom.js";
import { t, lang } from "../i18n.js";
import { getJSON, postJSON } from "../api.js";
import { pinPad } from "../pinpad.js";

// Polling the status does not count as staff activity: staff mode still
// ends after staff.idle_timeout without a touch.
const POLL_MS = 3000;

export function staff(ctx) {
  return ctx.st.staff?.unlocked ? desk(ctx) : keypad(ctx);
}
staff.view = (st) => (st.staff?.unlocked ? "desk" : "pin");

function keypad({ send }) {
  const pad = pinPad(send);
  const el = h("section", { class: "card staff" },
    h("h1", {}, t("staff.title")),
    h("p", {}, t("staff.pin_prompt")),
    pad.el,
    h("div", { class: "msg-slot" }),
    h("div", { class: "actions" },
      button("staff-exit", t("staff.cancel"), () => send({ type: "staff_exit" }), "btn secondary"),
    ),
  );
  return { el, update: (st) => pad.update(st) };
}

function desk({ send }) {
  const notice = h("p", { class: "hint", testid: "staff-notice", role: "status" });
  const body = h("div", { class: "staff-body", testid: "staff-status", "aria-busy": "true" }, h("p", {}, t("staff.loading")));
  let last = null; // the last status, re-drawn with a fresh diagnosis
  let diagnosis = null;
  const say = (key, params) => setText(notice, t(key, params));
  const draw = () => {
    if (!last) return;
    body.removeAttribute("aria-busy");
    body.dataset.time = last.time;
    body.replaceChildren(...render(last, diagnosis, retry));
  };
  const refresh = async () => {
    const st = await getJSON("/api/staff/status").catch(() => null);
    if (!st) return; // locked meanwhile: the state's change redraws the screen
    last = st;
    draw();
  };
  const retry = async (ids) => {
    try {
      const r = await postJSON("/api/staff/retry-dead", { ids });
      say("staff.dead.requeued", { count: r.requeued });
    } catch {
      say("staff.failed");
    }
    refresh();
  };
  const syncNow = async () => {
    try {
      await postJSON("/api/staff/sync-now", {});
      say("staff.synced");
    } catch {
      say("staff.failed");
    }
    refresh();
  };
  const diagnose = async () => {
    say("staff.diagnosing");
    try {
      diagnosis = await postJSON("/api/staff/diagnose", {});
      say("staff.diagnosed", { time: clock(diagnosis.time) });
      body.dataset.diagnosed = diagnosis.time;
    } catch {
      say("staff.failed");
    }
    draw();
  };
  const el = h("section", { class: "card staff" },
    h("h1", {}, t("staff.title")),
    h("div", { class: "actions" },
      button("staff-sync-now", t("staff.sync_now"), syncNow, "btn"),
      button("staff-diagnose", t("staff.diagnose"), diagnose, "btn"),
      button("staff-exit", t("staff.exit"), () => send({ type: "staff_exit" }), "btn primary"),
    ),
    notice,
    h("div", { class: "msg-slot" }),
    body,
  );
  refresh();
  const timer = setInterval(() => {
    if (!el.isConnected) clearInterval(timer);
    else refresh();
  }, POLL_MS);
  return { el, update() {} };
}

// render draws one status (and the latest diagnosis, whose camera and
// cradle results are fresher than the status's).
function render(st, diag, retry) {
  const fresher = diag && Date.parse(diag.time) > Date.parse(st.time);
  const camera = fresher ? diag.camera : st.camera;
  const cradle = fresher ? diag.cradle : st.cradle;
  return [
    health(st),
    queue(st, retry),
    cameraSection(camera),
    cradleSection(cradle),
    network(st.network),
    device(st),
    storage(st.disk),
    clockSection(st.clock),
    audit(st.audit ?? []),
  ];
}

function section(testid, title, ...rows) {
  return h("section", { class: "staff-section", testid }, h("h2", {}, title), ...rows);
}

function row(label, value, testid) {
  return h("div", { class: "staff-row" }, h("span", { class: "staff-label" }, label), h("span", { class: "staff-value", testid }, value));
}

function health(st) {
  const alerts = (st.alerts ?? []).map((a) =>
    h("li", { class: "staff-alert", "data-code": a.code }, t(`staff.alert.${a.code}`, { count: a.count ?? 0 })));
  // The camera and the cradle make the kiosk degraded too; say which.
  if (st.camera.state !== "ok") {
    alerts.push(h("li", { class: "staff-alert", "data-code": "camera" }, t(`camera.state.${st.camera.state}`)));
  }
  if (st.cradle && st.cradle.status !== "ok") {
    alerts.push(h("li", { class: "staff-alert", "data-code": "cradle" }, t(st.cradle.problem, st.cradle.params)));
  }
  return section("staff-health", t("staff.health.title"),
    h("p", { class: `staff-health-${st.health}`, testid: "staff-health-value", "data-health": st.health }, t(`staff.health.${st.health}`)),
    alerts.length ? h("ul", { testid: "staff-alerts" }, alerts) : null,
  );
}

function queue(st, retry) {
  const q = st.queue;
  const dead = st.dead ?? [];
  const up = st.upload;
  const rows = [
    row(t("staff.queue.queued"), String(q.queued), "staff-queued"),
    row(t("staff.queue.oldest"), q.queued ? duration(st.oldest_age_seconds) : t("staff.none"), "staff-oldest"),
    row(t("staff.queue.dead"), String(q.dead), "staff-dead-count"),
    row(t("staff.queue.delivered"), String(q.delivered), "staff-delivered"),
    row(t("staff.queue.room"), t("staff.queue.room_value", { items: q.queued + q.dead, max: q.max_items }), "staff-room"),
    row(t("staff.upload.last_success"), up.last_success ? clock(up.last_success) : t("staff.upload.never"), "staff-last-sent"),
  ];
  if (up.last_error) rows.push(row(t("staff.upload.last_error"), up.last_error, "staff-last-error"));
  if (up.paused_until) rows.push(row(t("staff.upload.next_try"), clock(up.paused_until), "staff-next-try"));
  const deadRows = dead.map((d) =>
    h("tr", { testid: "staff-dead-row", "data-id": d.id },
      h("td", { class: "mono" }, d.reference),
      h("td", {}, clock(d.dead_at)),
      h("td", {}, d.reason),
      h("td", {}, button("staff-retry", t("staff.dead.retry"), () => retry([d.id]), "btn small")),
    ));
  return section("staff-queue", t("staff.queue.title"),
    ...rows,
    h("h3", {}, t("staff.dead.title")),
    dead.length
      ? h("table", { class: "staff-table", testid: "staff-dead" },
        h("thead", {}, h("tr", {}, h("th", {}, t("staff.dead.reference")), h("th", {}, t("staff.dead.when")),
          h("th", {}, t("staff.dead.reason")), h("th", {}, ""))),
        h("tbody", {}, deadRows))
      : h("p", { testid: "staff-dead-none" }, t("staff.dead.none")),
    dead.length ? button("staff-retry-all", t("staff.dead.retry_all"), () => retry([]), "btn") : null,
  );
}

function cameraSection(c) {
  const checks = (c.checks ?? []).map((ch) =>
    h("li", { class: `staff-check staff-check-${ch.status}`, testid: "staff-check", "data-check": ch.id, "data-status": ch.status },
      h("strong", {}, `${t(`staff.check.${ch.status}`)} · ${t(`${ch.id}.title`)}: `),
      t(ch.key, ch.params)));
  return section("staff-camera", t("staff.camera.title"),
    row(t("staff.camera.state"), t(`camera.state.${c.state}`), "staff-camera-state"),
    row(t("staff.camera.driver"), c.device ? `${c.driver} (${c.device})` : c.driver),
    c.format ? row(t("staff.camera.format"), `${c.format}, ${c.fps} fps`) : null,
    h("ul", { class: "staff-checks", testid: "staff-checks" }, checks),
  );
}

function cradleSection(c) {
  let text;
  if (!c) text = t("staff.cradle.none");
  else if (c.status === "ok") text = t("staff.cradle.ok", { driver: c.driver });
  else text = t(c.problem, c.params);
  return section("staff-cradle", t("staff.cradle.title"),
    h("p", { testid: "staff-cradle-value", "data-status": c?.status ?? "none" }, text));
}

function network(n) {
  let text;
  if (!n.checked) text = t("staff.network.unknown");
  else if (n.reachable) text = t("staff.network.ok", { ms: n.latency_ms ?? 0, time: clock(n.checked) });
  else if (n.status === 401 || n.status === 403) text = t("staff.network.refused", { status: n.status, time: clock(n.checked) });
  else text = t("staff.network.fail", { error: n.error ?? "", time: clock(n.checked) });
  return section("staff-network", t("staff.network.title"),
    row(t("staff.network.service"), n.service),
    h("p", { testid: "staff-network-value", "data-reachable": n.checked ? String(!!n.reachable) : "unknown" }, text));
}

function device(st) {
  const d = st.device;
  return section("staff-device", t("staff.device.title"),
    row(t("staff.device.id"), d.id, "staff-device-id"),
    row(t("staff.device.version"), d.version, "staff-version"),
    row(t("staff.device.enrolled"), t("staff.device.enrolled_value", { service: d.service, time: clock(d.enrolled) })),
    row(t("staff.device.cert"), clock(d.cert_expires)),
  );
}

function storage(d) {
  const low = d.free_bytes < d.min_free_bytes;
  return section("staff-disk", t("staff.disk.title"),
    h("p", { testid: "staff-disk-value", "data-low": String(low) },
      d.error ? d.error : t("staff.disk.free", { free: bytes(d.free_bytes), total: bytes(d.total_bytes) })),
    low ? h("p", { class: "warning" }, t("staff.disk.low", { min: bytes(d.min_free_bytes) })) : null,
  );
}

function clockSection(c) {
  const lines = [row(t("staff.clock.now"), clock(c.now), "staff-clock-now")];
  if (c.synced !== undefined) lines.push(h("p", {}, t(c.synced ? "staff.clock.synced" : "staff.clock.unsynced")));
  if (c.skew_seconds !== undefined) lines.push(h("p", {}, t("staff.clock.skew", { seconds: c.skew_seconds })));
  return section("staff-clock", t("staff.clock.title"), ...lines);
}

function audit(events) {
  const rows = events.map((e) => h("tr", { testid: "staff-audit-row", "data-event": e.event },
    h("td", {}, clock(e.time)),
    h("td", {}, auditText(e))));
  return section("staff-audit", t("staff.audit.title"),
    rows.length ? h("table", { class: "staff-table" }, h("tbody", {}, rows)) : h("p", {}, t("staff.audit.none")));
}

function auditText(e) {
  const params = {
    kind: e.kind ? t(`photo.${e.kind}`) : "",
    failed: (e.failed ?? []).join(", "),
    photos: (e.photos ?? []).map((k) => t(`photo.${k}`)).join(", "),
    reference: e.reference ?? "",
    failures: e.failures ?? 0,
    until: e.until ? clock(e.until) : "",
    token: e.token ?? "",
    remote: e.remote ?? "",
    seconds: Math.round(e.seconds ?? 0),
    reason: e.source === "staff" && e.reason ? t(`staff.left.${e.reason}`) : (e.reason ?? ""),
  };
  const key = `staff.audit.${e.event}`;
  const text = t(key, params);
  return text === key ? e.event : text;
}

// clock formats a time in the page's language.
function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleString(lang(), { dateStyle: "medium", timeStyle: "medium" });
}

// duration is seconds in the largest unit that reads well.
function duration(secs) {
  const unit = secs < 120 ? ["second", 1] : secs < 7200 ? ["minute", 60] : secs < 172800 ? ["hour", 3600] : ["day", 86400];
  return new Intl.NumberFormat(lang(), { style: "unit", unit: unit[0], unitDisplay: "long", maximumFractionDigits: 0 })
    .format(Math.floor(secs / unit[1]));
}

function bytes(n) {
  const gib = n / 2 ** 30;
  const [v, unit] = gib >= 1 ? [gib, "gigabyte"] : [n / 2 ** 20, "megabyte"];
  return new Intl.NumberFormat(lang(), { style: "unit", unit, maximumFractionDigits: 1 }).format(v);
}
