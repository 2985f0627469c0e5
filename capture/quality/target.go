package quality

// Kind is what a photo must show. The values match the profile's photo
// kinds, plus the two-sided face photo, which must also show the ID.
type Kind string

// Kinds of photo.
const (
	// KindFace is the learner's face alone.
	KindFace Kind = "face"
	// KindFaceWithID is the learner's face with the photo side of their ID
	// held beside it, as two-sided IDs require: two faces, the ID's
	// portrait the smaller one.
	KindFaceWithID Kind = "face_with_id"
	// KindIDPhotoSide is the side of the ID with the portrait.
	KindIDPhotoSide Kind = "id_photo_side"
	// KindIDNameSide is the other side of a two-sided ID.
	KindIDNameSide Kind = "id_name_side"
)

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool {
	switch k {
	case KindFace, KindFaceWithID, KindIDPhotoSide, KindIDNameSide:
		return true
	}
	return false
}

// IsID reports whether k is a photo of the ID alone.
func (k Kind) IsID() bool { return k == KindIDPhotoSide || k == KindIDNameSide }

// Target is what a frame is judged as.
type Target struct {
	Kind Kind
	// Cradle: the card lies in the cradle, so its place in the frame is
	// fixed (Thresholds.Card). Otherwise the learner holds it up inside the
	// same outline, drawn over the preview. The measures are the same; the
	// advice for a card that does not fill the outline differs.
	Cradle bool
}
