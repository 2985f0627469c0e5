package apitest

import (
	"bytes"
	"image/jpeg"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/idkiosk/idkiosk/sync/api"
)

func TestJPEG_DecodesAtSizeAndDependsOnSeed(t *testing.T) {
	a := JPEG(t, 40, 30, 7)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(a))
	if err != nil || cfg.Width != 40 || cfg.Height != 30 {
		t.Fatalf("JPEG(40, 30) decodes as %dx%d (%v), want 40x30", cfg.Width, cfg.Height, err)
	}
	if b := JPEG(t, 40, 30, 7); !bytes.Equal(a, b) {
		t.Errorf("two JPEGs with seed 7 differ; want the same bytes")
	}
	if c := JPEG(t, 40, 30, 8); bytes.Equal(a, c) {
		t.Errorf("JPEGs with seeds 7 and 8 are equal; want different bytes")
	}
}

func TestProfile(t *testing.T) {
	tests := []struct {
		name      string
		o         Options
		wantKinds []api.PhotoKind
		wantValid bool
	}{
		{"defaults", Options{}, api.RequiredPhotos(false), true},
		{"two-sided", Options{TwoSided: true}, api.RequiredPhotos(true), true},
		{"one photo", Options{Photos: 1}, []api.PhotoKind{api.PhotoFace}, false},
		{"two of three", Options{TwoSided: true, Photos: 2}, api.RequiredPhotos(true)[:2], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Profile(t, tt.o)
			if err := p.Validate(); (err == nil) != tt.wantValid {
				t.Errorf("Validate() = %v, want valid %v", err, tt.wantValid)
			}
			if len(p.Photos) != len(tt.wantKinds) {
				t.Fatalf("%d photos, want %d (%v)", len(p.Photos), len(tt.wantKinds), tt.wantKinds)
			}
			seen := map[string]api.PhotoKind{}
			for i, ph := range p.Photos {
				if ph.Kind != tt.wantKinds[i] {
					t.Errorf("photo %d is %s, want %s", i, ph.Kind, tt.wantKinds[i])
				}
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(ph.JPEG))
				if err != nil || cfg.Width != ph.Width || cfg.Height != ph.Height {
					t.Errorf("photo %s decodes as %dx%d (%v), want %dx%d", ph.Kind, cfg.Width, cfg.Height, err, ph.Width, ph.Height)
				}
				if !ph.Captured.Before(p.Created) {
					t.Errorf("photo %s captured %v, want before the profile's creation %v", ph.Kind, ph.Captured, p.Created)
				}
				if other, dup := seen[string(ph.JPEG)]; dup {
					t.Errorf("photos %s and %s have the same bytes", other, ph.Kind)
				}
				seen[string(ph.JPEG)] = ph.Kind
			}
		})
	}
}

func TestProfile_Defaults(t *testing.T) {
	a, b := Profile(t, Options{}), Profile(t, Options{})
	if a.ID == b.ID {
		t.Errorf("two default profiles share ID %s; want a fresh one each", a.ID)
	}
	if utf8.RuneCountInString(a.FullName) == len(a.FullName) {
		t.Errorf("default FullName %q is ASCII; want a name beyond ASCII", a.FullName)
	}
	if _, off := a.Created.Zone(); off == 0 || a.Created.Nanosecond() == 0 {
		t.Errorf("default Created %v: want a non-UTC zone and nanoseconds", a.Created)
	}
	if ph := a.Photos[0]; ph.Width != 64 || ph.Height != 48 {
		t.Errorf("default photo size %dx%d, want 64x48", ph.Width, ph.Height)
	}
}

func TestProfile_OptionsWin(t *testing.T) {
	o := Options{
		ID: "0f8c1a6e-3b7d-4c52-9e41-7a2d5b8c9f10", DeviceID: "kiosk-9", Email: "a@example.org",
		FullName: "Ana", Language: "pt", IDType: api.IDPassport,
		Created: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), Width: 32, Height: 16,
	}
	p := Profile(t, o)
	if err := p.Validate(); err != nil {
		t.Errorf("Validate() = %v, want a valid profile", err)
	}
	got := Options{
		ID: p.ID, DeviceID: p.DeviceID, Email: p.Email, FullName: p.FullName, Language: p.Language,
		IDType: p.IDType, Created: p.Created, Width: p.Photos[0].Width, Height: p.Photos[0].Height,
	}
	if got != o {
		t.Errorf("profile fields = %+v, want the options %+v", got, o)
	}
}
