package simcam_test

import (
	"fmt"

	"github.com/idkiosk/idkiosk/capture/simcam"
)

// A demo panel or the session wiring names scenes as strings.
func ExampleParseScene() {
	cam := simcam.New(simcam.Options{})
	sc, err := simcam.ParseScene("id_front")
	if err != nil {
		fmt.Println(err)
		return
	}
	cam.SetScene(sc)
	fmt.Println(cam.Scene(), simcam.Scenes())
	// Output: id_front [empty face face_with_id id_front id_back dark]
}
