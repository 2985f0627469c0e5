package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/idkiosk/idkiosk/capture/simcam"
	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance"
)

// readHands turns lines typed on the terminal into the rig's actions: the
// VM's stand-in for the demo panel of `make run`.
func readHands(ctx context.Context, a *appliance.Appliance) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch {
		case f[0] == "p":
			err = a.SetCradle(ctx, true)
		case f[0] == "r":
			err = a.SetCradle(ctx, false)
		case f[0] == "s" && len(f) == 2:
			err = a.SetScene(ctx, f[1])
		default:
			err = fmt.Errorf("p, r or s SCENE")
		}
		if err != nil {
			fmt.Println(" ", err)
			continue
		}
		if st, err := a.Rig(ctx); err == nil {
			fmt.Printf("  cradle: card %s, light %s; camera: %s (%s)\n", onOff(st.Cradle, "in", "out"), onOff(st.Light, "on", "off"), st.Showing, st.Scene)
		}
	}
}

func onOff(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func sceneNames() string {
	names := appliance.SceneAuto
	for _, s := range simcam.Scenes() {
		names += ", " + string(s)
	}
	return names
}
