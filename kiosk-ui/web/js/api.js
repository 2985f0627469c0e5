// The kiosk's JSON API. Every photo and the preview come from kioskd; the
// page never touches a camera or a file.

// act posts one action and returns {state} or {problem, state}.
export async function act(action) {
  let r;
  try {
    r = await fetch("/api/action", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(action),
    });
  } catch {
    return { problem: { key: "server_error", status: 0 } };
  }
  const body = await r.json().catch(() => null);
  if (r.ok) return { state: body };
  return { problem: body ?? { key: "server_error", status: r.status }, state: body?.state };
}

export async function postJSON(url, value) {
  const r = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(value),
  });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw Object.assign(new Error(`${url}: ${r.status}`), { problem: body });
  return body;
}

export async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) return null;
  return r.json();
}

// connect follows /api/events. onState(state, fresh) gets every state;
// fresh is true for the first one on a new connection (kioskd may have
// restarted, so its rev may have gone back). onLink(up) reports the
// connection. Reconnects back off from 0.5 s to 10 s.
export function connect(onState, onLink) {
  let delay = 500;
  const open = () => {
    const es = new EventSource("/api/events");
    let fresh = true;
    es.addEventListener("state", (e) => {
      delay = 500;
      onLink(true);
      onState(JSON.parse(e.data), fresh);
      fresh = false;
    });
    es.onerror = () => {
      es.close();
      onLink(false);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    };
  };
  open();
}
