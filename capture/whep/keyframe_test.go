package whep

import (
	"testing"
	"time"
)

func TestKeyframes(t *testing.T) {
	now := time.Unix(1000, 0)
	k := newKeyframes(500*time.Millisecond, func() time.Time { return now })
	step := func(d time.Duration) { now = now.Add(d) }
	type op struct {
		after time.Duration
		do    string // "join", "loss" or ""
		want  bool   // what take() says for the next frame
	}
	ops := []op{
		{0, "", false},
		{0, "join", true},                      // a new viewer: at once
		{66 * time.Millisecond, "join", true},  // another one right after: at once too
		{66 * time.Millisecond, "loss", false}, // a PLI 66 ms after a keyframe: held back
		{200 * time.Millisecond, "", false},    // still inside the 500 ms gap
		{300 * time.Millisecond, "", true},     // gap over: the held PLI is served
		{10 * time.Millisecond, "loss", false},
		{10 * time.Millisecond, "loss", false}, // a storm of PLIs is one keyframe later
		{500 * time.Millisecond, "", true},
		{66 * time.Millisecond, "", false},
	}
	for i, o := range ops {
		step(o.after)
		switch o.do {
		case "join":
			k.joined()
		case "loss":
			k.pictureLost()
		}
		if got := k.take(); got != o.want {
			t.Errorf("step %d (%s after %v): take = %v, want %v", i, o.do, o.after, got, o.want)
		}
	}
	forced, lost := k.counts()
	if forced != 4 || lost != 3 {
		t.Errorf("counts = %d forced, %d PLIs; want 4, 3", forced, lost)
	}
}
