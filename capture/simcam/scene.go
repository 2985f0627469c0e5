package simcam

import (
	"fmt"
	"strings"
)

// Scene is what the simulated camera is looking at.
type Scene string

// Scenes of the learner flow. The kiosk's wiring picks one from the session
// step; a demo panel can override it.
const (
	// SceneEmpty is the booth with nobody in front of the camera.
	SceneEmpty Scene = "empty"
	// SceneFace is a learner facing the camera.
	SceneFace Scene = "face"
	// SceneFaceWithID is the learner holding the photo side of their ID next
	// to their face, as two-sided IDs require.
	SceneFaceWithID Scene = "face_with_id"
	// SceneIDFront is the photo side of an ID-1 card in the cradle.
	SceneIDFront Scene = "id_front"
	// SceneIDBack is the name side of the card: text, a barcode, an MRZ.
	SceneIDBack Scene = "id_back"
	// SceneDark is the face scene under very low light.
	SceneDark Scene = "dark"
)

// Scenes returns every scene, in flow order.
func Scenes() []Scene {
	return []Scene{SceneEmpty, SceneFace, SceneFaceWithID, SceneIDFront, SceneIDBack, SceneDark}
}

// ParseScene returns the scene with the given name (case and surrounding
// space ignored).
func ParseScene(s string) (Scene, error) {
	name := Scene(strings.ToLower(strings.TrimSpace(s)))
	for _, sc := range Scenes() {
		if sc == name {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown scene %q (want one of %v)", s, Scenes())
}

func (s Scene) String() string { return string(s) }

// valid reports whether s is one of Scenes.
func (s Scene) valid() bool {
	for _, sc := range Scenes() {
		if sc == s {
			return true
		}
	}
	return false
}
