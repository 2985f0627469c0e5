package wheptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// Viewer is one WHEP session seen from the viewer's side.
type Viewer struct {
	pc       *webrtc.PeerConnection
	conn     *silentConn
	client   *http.Client
	token    string
	endpoint string
	// Location is the session URL from the 201 answer.
	Location string

	packets   atomic.Uint64
	frames    atomic.Uint64
	keyframes atomic.Uint64
	changed   chan struct{} // closed and replaced on every frame

	mu        sync.Mutex
	keyW      int
	keyH      int
	lastKey   []byte // the last complete VP8 keyframe
	connected chan struct{}
}

// Offer is a prepared viewer whose offer has not been sent yet, for tests
// that post it themselves (bad tokens, limits).
type Offer struct {
	v   *Viewer
	SDP string
}

// NewOffer makes a receive-only video peer connection on its own
// loopback UDP socket and returns its complete offer (no trickle).
func NewOffer() (*Offer, error) { return NewOfferWith(Options{}) }

// Options change how a viewer connects.
type Options struct {
	// TCPOnly: no UDP at all, as on a network that blocks it; the viewer
	// reaches the kiosk by active ICE-TCP.
	TCPOnly bool
}

// NewOfferWith is NewOffer with options.
func NewOfferWith(opts Options) (*Offer, error) {
	raw, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	conn := &silentConn{PacketConn: raw}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		raw.Close()
		return nil, err
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		raw.Close()
		return nil, err
	}
	var se webrtc.SettingEngine
	// A test viewer's pion chatter (sockets closed at the end) is noise.
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled
	se.LoggerFactory = quiet
	se.SetICEUDPMux(webrtc.NewICEUDPMux(quiet.NewLogger("udpmux"), conn))
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if opts.TCPOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		raw.Close()
		return nil, err
	}
	v := &Viewer{pc: pc, conn: conn, changed: make(chan struct{}), connected: make(chan struct{})}
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(v.connected) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { v.read(tr) })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		v.Close()
		return nil, err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		v.Close()
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		v.Close()
		return nil, err
	}
	<-gathered
	return &Offer{v: v, SDP: pc.LocalDescription().SDP}, nil
}

// Post sends the offer to endpoint with the token (none if empty) and,
// on 201, applies the answer. It returns the response (body read and
// closed) whatever its status; the Viewer only on 201.
func (o *Offer) Post(ctx context.Context, client *http.Client, endpoint, token string) (*Viewer, *http.Response, []byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(o.SDP))
	if err != nil {
		return nil, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return nil, resp, body, nil
	}
	loc, err := resolve(endpoint, resp.Header.Get("Location"))
	if err != nil {
		return nil, resp, body, err
	}
	v := o.v
	v.client, v.token, v.endpoint, v.Location = client, token, endpoint, loc
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(body)}); err != nil {
		return nil, resp, body, fmt.Errorf("apply answer: %w", err)
	}
	return v, resp, body, nil
}

// Close closes the offer's peer connection (when it was never posted, or
// the post failed).
func (o *Offer) Close() { o.v.Close() }

// Watch opens a session: NewOffer, then Post, requiring 201.
func Watch(ctx context.Context, client *http.Client, endpoint, token string) (*Viewer, error) {
	o, err := NewOffer()
	if err != nil {
		return nil, err
	}
	v, resp, body, err := o.Post(ctx, client, endpoint, token)
	if err != nil {
		o.Close()
		return nil, err
	}
	if v == nil {
		o.Close()
		return nil, fmt.Errorf("POST %s: %s: %s", endpoint, resp.Status, bytes.TrimSpace(body))
	}
	return v, nil
}

func resolve(base, loc string) (string, error) {
	if loc == "" {
		return "", errors.New("201 without a Location header")
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	l, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(l).String(), nil
}

// read counts the frames of the incoming track. A VP8 frame starts with a
// packet whose descriptor has S=1 and partition 0; its first payload
// byte's lowest bit is 0 for a keyframe (RFC 7741, RFC 6386). The marker
// bit ends a frame for every codec.
func (v *Viewer) read(tr *webrtc.TrackRemote) {
	isVP8 := strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeVP8)
	var frame []byte
	var inKey bool
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		v.packets.Add(1)
		if isVP8 {
			v.vp8Packet(pkt, &frame, &inKey)
		}
		if pkt.Marker {
			v.frames.Add(1)
			v.mu.Lock()
			close(v.changed)
			v.changed = make(chan struct{})
			v.mu.Unlock()
		}
	}
}

func (v *Viewer) vp8Packet(pkt *rtp.Packet, frame *[]byte, inKey *bool) {
	var d codecs.VP8Packet
	payload, err := d.Unmarshal(pkt.Payload)
	if err != nil || len(payload) == 0 {
		return
	}
	if d.S == 1 && d.PID == 0 {
		*frame = (*frame)[:0]
		*inKey = payload[0]&1 == 0
		if *inKey {
			v.keyframes.Add(1)
		}
	}
	*frame = append(*frame, payload...)
	if pkt.Marker && *inKey && len(*frame) >= 10 {
		f := *frame
		v.mu.Lock()
		v.keyW = int(f[6]) | int(f[7]&0x3f)<<8
		v.keyH = int(f[8]) | int(f[9]&0x3f)<<8
		v.lastKey = bytes.Clone(f)
		v.mu.Unlock()
	}
}

// Frames is how many complete frames arrived.
func (v *Viewer) Frames() uint64 { return v.frames.Load() }

// Keyframes is how many VP8 keyframes started arriving.
func (v *Viewer) Keyframes() uint64 { return v.keyframes.Load() }

// KeyframeSize is the picture size in the last VP8 keyframe.
func (v *Viewer) KeyframeSize() (w, h int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.keyW, v.keyH
}

// LastKeyframe is the last complete VP8 keyframe, for decoding.
func (v *Viewer) LastKeyframe() []byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	return bytes.Clone(v.lastKey)
}

// Connected is closed when the viewer's connection is up.
func (v *Viewer) Connected() <-chan struct{} { return v.connected }

// WaitFrames waits until at least n frames have arrived.
func (v *Viewer) WaitFrames(ctx context.Context, n uint64) error {
	for {
		v.mu.Lock()
		ch := v.changed
		v.mu.Unlock()
		if v.Frames() >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d frames: %w", v.Frames(), n, ctx.Err())
		}
	}
}

// Delete ends the session the way WHEP says (DELETE on the Location) and
// closes the peer connection. It returns the response status.
func (v *Viewer) Delete(ctx context.Context) (int, error) {
	defer v.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, v.Location, nil)
	if err != nil {
		return 0, err
	}
	if v.token != "" {
		req.Header.Set("Authorization", "Bearer "+v.token)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Vanish makes the viewer go silent without a word: its socket drops
// everything in and out, as when a laptop's lid closes. The server must
// notice on its own.
func (v *Viewer) Vanish() { v.conn.silent.Store(true) }

// Close closes the peer connection (a DTLS close the server sees) and the
// socket, without DELETE.
func (v *Viewer) Close() {
	v.pc.Close()
	v.conn.Close()
}

// silentConn is a socket that can stop carrying packets.
type silentConn struct {
	net.PacketConn
	silent atomic.Bool
}

func (c *silentConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || !c.silent.Load() {
			return n, addr, err
		}
	}
}

func (c *silentConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.silent.Load() {
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}
