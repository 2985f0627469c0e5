// Package whep serves the kiosk's camera to remote admins over WebRTC, as
// a WHEP endpoint (WebRTC-HTTP Egress Protocol, draft-ietf-wish-whep) on
// pion/webrtc v4:
//
//	POST   {base}        application/sdp offer -> 201 Created, Location, answer
//	DELETE {base}/{id}   ends the session
//	PATCH  {base}/{id}   405: no trickle ICE; answers carry every candidate
//	OPTIONS              CORS preflight for browser players, Accept-Post
//
// Every request needs "Authorization: Bearer <token>". Tokens are kept
// only as SHA-256 hashes (they are long random strings, so a fast hash is
// enough), each with a name for the audit log and its own viewer limit.
// Errors are problem documents (RFC 9457).
//
// One encoded track is shared by every viewer: pion's TrackLocalStaticSample
// writes each packet to all bound peer connections, so ten viewers cost one
// encode (measured in BENCHMARKS.md). The encoder runs only while at least
// one session exists. A keyframe is forced the moment a viewer's
// connection is up, so nobody waits for the next periodic one (RECIPES:
// 84 ms to the first decoded frame against ~2 s), and on a viewer's PLI or
// FIR, at most once per KeyframeMinGap so a lossy viewer cannot turn the
// stream into keyframes.
//
// ICE runs on one UDP port for every session (pion's UDP mux) plus,
// optionally, one TCP port (ICE-TCP, for networks that block UDP); STUN
// and TURN servers from the config are used by the kiosk and handed to
// viewers in Link headers. A viewer that vanishes without a DELETE (lid
// closed, network gone) stops answering ICE consent checks and is reaped
// after FailedTimeout; one that never connects, after ConnectTimeout.
//
// Every session start and end (token name, address, times, reason) goes
// to the Auditor (a JSON-lines file in the data dir) and to metrics; the
// token itself never does.
package whep
