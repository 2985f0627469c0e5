// A WHEP player (draft-ietf-wish-whep): offer with every candidate, POST it,
// apply the answer; DELETE the session URL to stop.

// gathered resolves when ICE gathering is complete, or after ms: the offer
// then carries whatever host candidates there are, which on a LAN is
// enough.
function gathered(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, ms);
  });
}

export class WHEPError extends Error {
  constructor(status, detail) {
    super(detail || `status ${status}`);
    this.status = status;
  }
}

// watch starts a session and plays it in video. posted is set to
// performance.now() just before the offer goes out.
export async function watch(endpoint, token, video) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addEventListener("track", (e) => {
    video.srcObject = e.streams[0] ?? new MediaStream([e.track]);
  });
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc, 2000);
  const auth = { Authorization: `Bearer ${token}` };
  const posted = performance.now();
  let r;
  try {
    r = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", ...auth },
      body: pc.localDescription.sdp,
    });
  } catch (err) {
    pc.close();
    throw err;
  }
  if (r.status !== 201) {
    pc.close();
    let detail = "";
    try {
      const p = await r.json();
      detail = p.detail || p.title;
    } catch {
      // not a problem document
    }
    throw new WHEPError(r.status, detail);
  }
  const session = new URL(r.headers.get("Location"), new URL(endpoint, document.baseURI)).href;
  await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
  let stopped = false;
  return {
    pc,
    posted,
    session,
    // stop ends the session: DELETE first, so the kiosk records it as
    // ended by the viewer, then the connection. keepalive lets the DELETE
    // finish while the page unloads.
    async stop(keepalive = false) {
      if (stopped) return;
      stopped = true;
      const deleted = fetch(session, { method: "DELETE", headers: auth, keepalive }).catch(() => {});
      if (!keepalive) await deleted;
      pc.close();
    },
  };
}

// videoStats reads the inbound video numbers from the connection.
export async function videoStats(pc) {
  const report = await pc.getStats();
  for (const s of report.values()) {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      return {
        framesDecoded: s.framesDecoded ?? 0,
        width: s.frameWidth ?? 0,
        height: s.frameHeight ?? 0,
        fps: s.framesPerSecond ?? 0,
      };
    }
  }
  return { framesDecoded: 0, width: 0, height: 0, fps: 0 };
}
