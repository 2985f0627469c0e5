// Package learner stands in for the learner in front of a simulated
// camera: what they show it at each step of the flow. kioskd's simulated
// camera (make run) and the virtual appliance's vivid camera (make vm)
// follow the same choice, so both demos behave alike.
package learner

import (
	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/kiosk-ui/session"
)

// Scene is what a learner shows the camera at step: nobody at the welcome
// screen, the face (holding the ID's photo side next to it for a
// two-sided ID), then the ID's photo side and its name side.
func Scene(step session.Step, twoSided bool) simcam.Scene {
	switch step {
	case session.StepWelcome:
		return simcam.SceneEmpty
	case session.StepFace:
		if twoSided {
			return simcam.SceneFaceWithID
		}
		return simcam.SceneFace
	case session.StepIDPhoto:
		return simcam.SceneIDFront
	case session.StepIDName:
		return simcam.SceneIDBack
	}
	return simcam.SceneFace
}
