package session

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/sync/api"
)

// Session is one kiosk's learner session. All methods are safe for
// concurrent use; actions, cradle edges and timers are applied one at a time
// under mu, so each sees the state the previous one left.
type Session struct {
	cfg      Config
	camera   Camera
	cradle   Cradle
	saver    Saver
	accounts Accounts
	clock    Clock
	log      *slog.Logger
	newID    func() string

	saves sync.WaitGroup // in-flight Saver.Save calls; Run waits for them

	mu      sync.Mutex
	rev     uint64
	current State // the last published snapshot
	subs    map[chan State]struct{}

	step           Step
	lang           string
	email          string
	suggestion     string
	name           string
	idType         api.IDType
	twoSided       bool
	photos         map[api.PhotoKind]*photo
	pending        *photo
	live           bool
	photoRev       int
	message        *Message
	online         bool
	account        Account
	lookup         *LookupResult
	receipt        *Receipt
	returnToReview bool
	viewers        int    // remote admins watching; see SetViewers
	cameraState    string // capture.State name; see SetCameraState

	capture *captureJob  // nil unless a still is being taken
	q       qualityState // photo checks and guidance; see quality.go
	staff   staffMode    // staff mode; see staff.go
	looking *lookupJob   // nil unless an account lookup runs

	timers       []Timer
	timerGen     uint64
	idleWarning  bool
	idleDeadline time.Time

	present         bool // a card is in the cradle
	placedInSession bool // a card was placed since this learner started
	leftBehind      bool // a card stayed in the cradle after a session ended
	light           bool
	status          cradle.Status
	statusSet       bool
}

// photo is one capture held in memory. jpeg is the session's own copy, so
// wiping it cannot corrupt a frame the camera is still using.
type photo struct {
	kind     api.PhotoKind
	jpeg     []byte
	width    int
	height   int
	captured time.Time
	source   string
	rev      int
	quality  *api.PhotoQuality // how it was judged; nil when photos are not checked
}

func (p *photo) wipe() {
	clear(p.jpeg)
	p.jpeg = nil
}

func (p *photo) info() PhotoInfo {
	return PhotoInfo{Kind: p.kind, Present: true, Rev: p.rev, Width: p.width, Height: p.height}
}

// New returns a session on the welcome screen. Call Run to follow the cradle.
// It panics without a Camera or a Saver: that is a wiring mistake, better
// found at startup than at a learner's first photo.
func New(cfg Config, deps Deps) *Session {
	if deps.Camera == nil || deps.Saver == nil {
		panic("session: Deps.Camera and Deps.Saver are required")
	}
	cfg = cfg.withDefaults()
	deps = deps.withDefaults()
	s := &Session{
		cfg:      cfg,
		camera:   deps.Camera,
		cradle:   deps.Cradle,
		saver:    deps.Saver,
		accounts: deps.Accounts,
		clock:    deps.Clock,
		log:      deps.Log,
		newID:    deps.NewID,
		subs:     make(map[chan State]struct{}),
		step:     StepWelcome,
		lang:     cfg.DefaultLanguage,
		photos:   make(map[api.PhotoKind]*photo),
		account:  AccountNotChecked,
		q:        newQualityState(cfg.Quality, deps),
		staff:    newStaffMode(cfg.Staff, deps),
	}
	s.changed()
	return s
}

// Run follows the cradle's edges until ctx is done. On the way out it turns
// the light off, stops the timers and waits for an in-flight Save, so that a
// SIGTERM never interrupts a commit the learner is waiting for; then it wipes
// the photos.
func (s *Session) Run(ctx context.Context) error {
	var events <-chan cradle.Event
	s.mu.Lock()
	if s.cradle != nil {
		events = s.cradle.Events()
		s.present = s.cradle.Present()
		s.setLight(false)
		if s.present && s.step == StepWelcome {
			s.cardLeftBehind()
		}
		s.updateStatus()
		s.changed()
	}
	s.mu.Unlock()

	for {
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil // cradle closed; keep serving without it
				continue
			}
			s.onCradle(ctx, ev)
		}
	}
}

func (s *Session) shutdown() {
	s.mu.Lock()
	s.endCapture("")
	s.stopQuality()
	s.cancelLookup()
	s.stopTimers()
	s.stopStaffTimer()
	s.setLight(false)
	s.mu.Unlock()

	s.saves.Wait()

	s.mu.Lock()
	s.wipePhotos()
	s.changed()
	s.mu.Unlock()
}

// State returns the current snapshot.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// Subscribe delivers the current state at once and then every change. A slow
// reader skips to the newest state; it never holds up the session. Call
// cancel when done; it closes the channel.
func (s *Session) Subscribe() (<-chan State, func()) {
	ch := make(chan State, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	ch <- s.current
	s.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs, ch)
			close(ch)
			s.mu.Unlock()
		})
	}
}

// Photo returns a copy of the accepted photo of kind and its rev. The caller
// may clear the copy after use.
func (s *Session) Photo(kind api.PhotoKind) ([]byte, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.photos[kind]
	if p == nil || !slices.Contains(api.RequiredPhotos(s.twoSided), kind) {
		return nil, 0, false
	}
	return slices.Clone(p.jpeg), p.rev, true
}

// PendingPhoto returns a copy of the photo awaiting "use this photo".
func (s *Session) PendingPhoto() ([]byte, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		return nil, 0, false
	}
	return slices.Clone(s.pending.jpeg), s.pending.rev, true
}

// Do applies one learner action. An action that does not fit the current
// step returns an error wrapping ErrNotAllowed and changes nothing; refused
// input returns an error wrapping ErrInvalidInput and sets State.Message.
// Work that takes time (a capture, a lookup, the save) continues after Do
// returns; its outcome arrives through Subscribe.
func (s *Session) Do(ctx context.Context, a Action) (State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.message
	s.message = nil
	err := s.apply(ctx, a)
	if errors.Is(err, ErrNotAllowed) {
		s.message = prev
		return s.current, err
	}
	var e *Error
	if errors.As(err, &e) {
		s.message = &Message{Key: e.Key, Params: e.Params}
	}
	s.updateStatus()
	s.armTimers()
	s.changed()
	return s.current, err
}

// changed publishes a new snapshot. Callers hold mu.
func (s *Session) changed() {
	s.syncQuality()
	s.rev++
	s.current = s.snapshot()
	for ch := range s.subs {
		select {
		case ch <- s.current:
		default:
			// Drop the stale state the reader has not taken yet.
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- s.current:
			default:
			}
		}
	}
}

func (s *Session) snapshot() State {
	st := State{
		Step:            s.step,
		Rev:             s.rev,
		Lang:            s.lang,
		Languages:       slices.Clone(s.cfg.Languages),
		Email:           s.email,
		EmailSuggestion: s.suggestion,
		Name:            s.name,
		IDType:          s.idType,
		TwoSided:        s.twoSided,
		Photos:          make(map[api.PhotoKind]PhotoInfo),
		Live:            s.live,
		Capturing:       s.capture != nil,
		Checking:        s.looking != nil,
		Cradle:          CradleState{Available: s.cradle != nil, Present: s.present, Light: s.light},
		Quality:         s.qualitySnapshot(),
		Online:          s.online,
		Account:         s.account,
		IdleWarning:     s.idleWarning,
		ReturnToReview:  s.returnToReview,
		AdminViewers:    s.viewers,
		CameraState:     s.cameraState,
		Staff:           s.staffSnapshot(),
	}
	for _, k := range api.RequiredPhotos(s.twoSided) {
		if p := s.photos[k]; p != nil {
			st.Photos[k] = p.info()
		} else {
			st.Photos[k] = PhotoInfo{Kind: k}
		}
	}
	if s.pending != nil {
		info := s.pending.info()
		st.Pending = &info
	}
	if s.capture != nil {
		st.CaptureMode = s.capture.mode
	}
	if s.message != nil {
		m := *s.message
		st.Message = &m
	}
	if s.lookup != nil {
		l := *s.lookup
		st.Lookup = &l
	}
	if s.receipt != nil {
		r := *s.receipt
		st.Receipt = &r
	}
	if s.idleWarning {
		d := s.idleDeadline
		st.IdleDeadline = &d
	}
	return st
}
