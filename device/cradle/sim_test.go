package cradle_test

import (
	"testing"

	"github.com/idkiosk/idkiosk/device/cradle"
	"github.com/idkiosk/idkiosk/device/cradle/cradletest"
)

func TestSim(t *testing.T) {
	cradletest.Run(t, func(t *testing.T) (cradle.Cradle, cradletest.Hand) {
		s := cradle.NewSim()
		return s, s
	})
}

// TestSim_FullQueueKeepsNewestEdge: a consumer that stopped reading must
// still see the card's current state, not a stale edge, when it resumes.
func TestSim_FullQueueKeepsNewestEdge(t *testing.T) {
	s := cradle.NewSim()
	defer s.Close()
	for range 20 {
		s.Place()
		s.Remove()
	}
	s.Place()
	var last cradle.Event
	for {
		select {
		case ev := <-s.Events():
			last = ev
			continue
		default:
		}
		break
	}
	if !last.Present || !s.Present() {
		t.Errorf("last event Present=%v, Present()=%v; want the final placement", last.Present, s.Present())
	}
}
