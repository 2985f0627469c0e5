package whep

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// session is one viewer: a peer connection bound to the shared track.
type session struct {
	id     string
	token  string
	remote string
	start  time.Time
	pc     *webrtc.PeerConnection
	// active: answered and counted as a viewer (false while the offer is
	// still being processed: the entry only reserves a slot).
	active    bool
	connected atomic.Bool
	timer     *time.Timer // connect timeout
	endOnce   sync.Once
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// offer handles POST: the viewer's SDP offer becomes a session and its
// complete answer.
func (s *Server) offer(w http.ResponseWriter, r *http.Request) {
	t, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/sdp" {
		w.Header().Set("Accept-Post", "application/sdp")
		writeProblem(w, http.StatusUnsupportedMediaType, probMediaType, "Unsupported media type", "POST an application/sdp offer")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOffer))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeProblem(w, http.StatusRequestEntityTooLarge, probTooLarge, "Offer too large", "")
			return
		}
		writeProblem(w, http.StatusBadRequest, probBadOffer, "Bad offer", "could not read the body")
		return
	}
	if err := checkOffer(string(body), s.cfg.Codec); err != nil {
		s.refuse(t, r, "bad_offer")
		writeProblem(w, http.StatusBadRequest, probBadOffer, "Bad offer", err.Error())
		return
	}
	ss, status, detail := s.reserve(t, r.RemoteAddr)
	if ss == nil {
		reason := map[int]string{http.StatusTooManyRequests: "token_limit", http.StatusServiceUnavailable: "server_limit"}[status]
		s.refuse(t, r, reason)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "10")
		}
		writeProblem(w, status, probTooMany, "Too many viewers", detail)
		return
	}
	answer, err := s.connect(r.Context(), ss, string(body))
	if err != nil {
		s.release(ss)
		s.refuse(t, r, "bad_offer")
		s.log.Info("offer refused", "token", t.Name, "remote", r.RemoteAddr, "err", err)
		writeProblem(w, http.StatusBadRequest, probBadOffer, "Bad offer", err.Error())
		return
	}
	if !s.activate(ss) {
		writeProblem(w, http.StatusBadRequest, probBadOffer, "Bad offer", "the connection closed before it was answered")
		return
	}

	h := w.Header()
	h.Set("Location", s.cfg.BasePath+"/"+ss.id)
	h.Set("Content-Type", "application/sdp")
	h.Set("Cache-Control", "no-store")
	for _, l := range linkHeaders(s.cfg.ICEServers) {
		h.Add("Link", l)
	}
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, answer)
}

func (s *Server) refuse(t Token, r *http.Request, reason string) {
	s.stats.refuse(reason)
	s.audit(Event{Event: EventRefused, Token: t.Name, Remote: r.RemoteAddr, Reason: reason})
}

// reserve takes a viewer slot for t, or says which limit is full.
func (s *Server) reserve(t Token, remote string) (*session, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, http.StatusServiceUnavailable, "the kiosk is shutting down"
	}
	mine := 0
	for _, ss := range s.sessions {
		if ss.token == t.Name {
			mine++
		}
	}
	if mine >= t.MaxViewers {
		return nil, http.StatusTooManyRequests, "this token already has its maximum number of viewers; DELETE one first"
	}
	if len(s.sessions) >= s.cfg.MaxViewers {
		return nil, http.StatusServiceUnavailable, "the kiosk has its maximum number of viewers"
	}
	ss := &session{id: newID(), token: t.Name, remote: remote, start: s.now()}
	s.sessions[ss.id] = ss
	return ss, 0, ""
}

// release drops a reservation whose offer failed.
func (s *Server) release(ss *session) {
	s.mu.Lock()
	delete(s.sessions, ss.id)
	s.mu.Unlock()
	if ss.pc != nil {
		ss.pc.Close()
	}
}

// connect builds the peer connection for an offer and returns the answer
// with every candidate in it.
func (s *Server) connect(ctx context.Context, ss *session, offer string) (string, error) {
	pc, err := s.net.api.NewPeerConnection(webrtc.Configuration{
		ICEServers:   pionICEServers(s.cfg.ICEServers),
		BundlePolicy: webrtc.BundlePolicyMaxBundle,
	})
	if err != nil {
		return "", err
	}
	ss.pc = pc
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) { s.stateChanged(ss, st) })
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	sender, err := pc.AddTrack(s.bc.track)
	if err != nil {
		return "", err
	}
	go s.readRTCP(sender)
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	t := time.NewTimer(gatherTimeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
		// Answer with what was gathered: host candidates come first.
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pc.LocalDescription().SDP, nil
}

// activate counts the session as a viewer: encoding starts with the
// first, the banner goes up, the audit log gets the start.
// It fails if the session ended while its offer was processed.
func (s *Server) activate(ss *session) bool {
	s.bc.add()
	s.mu.Lock()
	if s.sessions[ss.id] != ss {
		s.mu.Unlock()
		s.bc.remove()
		return false
	}
	ss.active = true
	ss.timer = time.AfterFunc(s.cfg.ConnectTimeout, func() {
		if !ss.connected.Load() {
			s.end(ss, ReasonConnectTimeout)
		}
	})
	s.mu.Unlock()
	s.stats.start(ss.token)
	s.audit(Event{Event: EventStart, Session: ss.id, Token: ss.token, Remote: ss.remote, Start: ss.start})
	s.log.Info("admin viewer started", "token", ss.token, "remote", ss.remote)
	s.notifyViewers()
	return true
}

func (s *Server) stateChanged(ss *session, st webrtc.PeerConnectionState) {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		if !ss.connected.Swap(true) {
			// The media path is up: the next frame is this viewer's
			// keyframe, so it shows a picture at once.
			s.kf.joined()
			s.log.Info("admin viewer connected", "token", ss.token, "remote", ss.remote)
		}
	case webrtc.PeerConnectionStateFailed:
		s.end(ss, ReasonVanished)
	case webrtc.PeerConnectionStateClosed:
		s.end(ss, ReasonClosed)
	}
}

// readRTCP drains the viewer's RTCP (the interceptors need it read for
// NACKs to be answered) and turns picture-loss reports into keyframe
// requests.
func (s *Server) readRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.kf.pictureLost()
			}
		}
	}
}

// end closes a session once, whatever ended it, and records why. After
// the last viewer it returns only once the encoder has stopped.
func (s *Server) end(ss *session, reason string) {
	ss.endOnce.Do(func() {
		s.mu.Lock()
		wasActive := ss.active
		ss.active = false
		delete(s.sessions, ss.id)
		s.mu.Unlock()
		if ss.timer != nil {
			ss.timer.Stop()
		}
		if ss.pc != nil {
			ss.pc.Close()
		}
		if !wasActive {
			return
		}
		s.bc.remove()
		s.notifyViewers()
		endAt := s.now()
		secs := endAt.Sub(ss.start).Seconds()
		s.stats.end(ss.token, reason, secs)
		s.audit(Event{Event: EventEnd, Session: ss.id, Token: ss.token, Remote: ss.remote,
			Start: ss.start, End: endAt, Seconds: secs, Connected: ss.connected.Load(), Reason: reason})
		s.log.Info("admin viewer ended", "token", ss.token, "remote", ss.remote, "reason", reason, "seconds", secs)
	})
}
