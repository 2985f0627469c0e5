package capture_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/idkiosk/idkiosk/capture"
	"github.com/idkiosk/idkiosk/capture/simcam"
)

// A camera streams into a hub through a runner; a still is a frame taken
// after the request, at full size.
func ExampleHub_Still() {
	cam := simcam.New(simcam.Options{Width: 640, Height: 480, FPS: 30})
	cam.SetScene(simcam.SceneFace)
	hub := capture.NewHub()
	r := &capture.Runner{Camera: cam, Hub: hub, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	still, err := hub.Still(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%dx%d from %s, camera %s\n", still.Width, still.Height, still.Source, r.State())
	// Output: 640x480 from sim, camera ok
}
