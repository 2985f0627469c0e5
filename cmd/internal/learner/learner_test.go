package learner

import (
	"testing"

	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

func TestScene(t *testing.T) {
	tests := []struct {
		step     session.Step
		twoSided bool
		want     simcam.Scene
	}{
		{session.StepWelcome, false, simcam.SceneEmpty},
		{session.StepFace, false, simcam.SceneFace},
		{session.StepFace, true, simcam.SceneFaceWithID},
		{session.StepIDPhoto, true, simcam.SceneIDFront},
		{session.StepIDName, true, simcam.SceneIDBack},
		{session.StepReview, false, simcam.SceneFace},
	}
	for _, tt := range tests {
		if got := Scene(tt.step, tt.twoSided); got != tt.want {
			t.Errorf("Scene(%s, two-sided %v) = %s, want %s", tt.step, tt.twoSided, got, tt.want)
		}
	}
}
