package api

import (
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Profile is a Verification Profile: what the learner entered and the photos
// the kiosk's camera took. It exists in plaintext only in memory; the kiosk
// seals it (see package envelope) before anything is written to disk.
type Profile struct {
	ID       string    `json:"id"`        // random UUID; also the Idempotency-Key
	DeviceID string    `json:"device_id"` // the kiosk that captured it
	Created  time.Time `json:"created"`   // when the learner tapped submit
	Language string    `json:"language"`  // UI language the learner used (BCP 47)
	Email    string    `json:"email"`
	FullName string    `json:"full_name"` // as on the ID, NFC-normalised
	IDType   IDType    `json:"id_type"`
	// TwoSided is set when the ID has the photo and the name on opposite
	// sides: the face photo then also shows the ID's photo side, and an
	// extra photo shows the name side.
	TwoSided bool    `json:"two_sided"`
	Photos   []Photo `json:"photos"`
	// Quality is how the kiosk judged the photos (quality.go); nil from
	// kiosks without quality checks.
	Quality *QualityReport `json:"quality,omitempty"`
}

// IDType is the kind of photo ID the learner presented.
type IDType string

// ID types offered on the kiosk.
const (
	IDPassport       IDType = "passport"
	IDNationalCard   IDType = "national_id"
	IDDrivingLicence IDType = "driving_licence"
	IDOther          IDType = "other"
)

// Valid reports whether t is one of the ID types the kiosk offers.
func (t IDType) Valid() bool {
	switch t {
	case IDPassport, IDNationalCard, IDDrivingLicence, IDOther:
		return true
	}
	return false
}

// PhotoKind says what a photo shows.
type PhotoKind string

// Photo kinds. A one-sided ID gives face + id_photo_side; a two-sided ID gives
// face (showing the learner holding the ID's photo side) + id_photo_side +
// id_name_side.
const (
	PhotoFace        PhotoKind = "face"
	PhotoIDPhotoSide PhotoKind = "id_photo_side"
	PhotoIDNameSide  PhotoKind = "id_name_side"
)

// Photo is one live camera capture. JPEG travels in the payload framing, not
// in the JSON document, so it is not base64-inflated.
type Photo struct {
	Kind     PhotoKind `json:"kind"`
	Width    int       `json:"width"`
	Height   int       `json:"height"`
	Captured time.Time `json:"captured"`
	Source   string    `json:"source"` // camera that took it, e.g. "sim" or a /dev/v4l/by-id name
	JPEG     []byte    `json:"-"`
}

// Photo returns the first photo of the given kind, or nil.
func (p *Profile) Photo(kind PhotoKind) *Photo {
	for i := range p.Photos {
		if p.Photos[i].Kind == kind {
			return &p.Photos[i]
		}
	}
	return nil
}

// RequiredPhotos lists the photo kinds a complete profile carries.
func RequiredPhotos(twoSided bool) []PhotoKind {
	if twoSided {
		return []PhotoKind{PhotoFace, PhotoIDPhotoSide, PhotoIDNameSide}
	}
	return []PhotoKind{PhotoFace, PhotoIDPhotoSide}
}

// Validate checks that a profile is complete and well-formed. It does not
// judge content (name script, photo quality); the kiosk does that earlier.
func (p *Profile) Validate() error {
	if _, err := uuid.Parse(p.ID); err != nil {
		return fmt.Errorf("profile id %q: %w", p.ID, err)
	}
	if p.DeviceID == "" {
		return fmt.Errorf("profile %s: no device id", p.ID)
	}
	if strings.TrimSpace(p.FullName) == "" {
		return fmt.Errorf("profile %s: empty full name", p.ID)
	}
	if p.Email == "" {
		return fmt.Errorf("profile %s: empty email", p.ID)
	}
	if !p.IDType.Valid() {
		return fmt.Errorf("profile %s: unknown id type %q", p.ID, p.IDType)
	}
	for _, k := range RequiredPhotos(p.TwoSided) {
		ph := p.Photo(k)
		if ph == nil {
			return fmt.Errorf("profile %s: missing %s photo", p.ID, k)
		}
		if len(ph.JPEG) == 0 || ph.Width <= 0 || ph.Height <= 0 {
			return fmt.Errorf("profile %s: empty %s photo", p.ID, k)
		}
	}
	if p.Quality != nil {
		if err := p.Quality.Validate(); err != nil {
			return fmt.Errorf("profile %s: %w", p.ID, err)
		}
	}
	return nil
}

// Wipe overwrites the photos' bytes so that they do not linger in memory
// after the profile is sealed or abandoned. The Go runtime may still hold
// copies (a GC move, a buffer), so this narrows the window; it does not close it.
func (p *Profile) Wipe() {
	for i := range p.Photos {
		clear(p.Photos[i].JPEG)
		p.Photos[i].JPEG = nil
	}
	p.FullName, p.Email = "", ""
}

// crockford is Crockford's base32: no I, L, O or U, so a code read aloud or
// copied by hand does not get confused.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// ReferenceCode is the short code printed on the learner's receipt: the first
// 40 bits of the profile ID in Crockford base32, as XXXX-XXXX. It carries no
// personal data; staff and the service map it back to the profile ID.
func ReferenceCode(profileID string) string {
	u, err := uuid.Parse(profileID)
	if err != nil {
		return ""
	}
	s := crockford.EncodeToString(u[:5])
	return s[:4] + "-" + s[4:]
}
