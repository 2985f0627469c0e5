package outbox

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestRecord_RoundTrip(t *testing.T) {
	for _, want := range []record{
		{ID: "a", Created: t0, NextAttempt: t0.Add(time.Second)},
		{ID: strings.Repeat("x", maxIDLen), Created: t0, NextAttempt: t0, DeadAt: t0.Add(time.Hour),
			Attempts: 12, LastError: "503 Service Unavailable: «maintenance»", Reason: "422"},
	} {
		got, err := unmarshalRecord(want.marshal())
		if err != nil {
			t.Fatalf("unmarshal(%+v): %v", want, err)
		}
		if got.ID != want.ID || !got.Created.Equal(want.Created) || !got.NextAttempt.Equal(want.NextAttempt) ||
			!got.DeadAt.Equal(want.DeadAt) || got.Attempts != want.Attempts || got.LastError != want.LastError || got.Reason != want.Reason {
			t.Errorf("round trip: got %+v, want %+v", got, want)
		}
	}
}

func TestRecord_ClipsLongText(t *testing.T) {
	long := strings.Repeat("é", maxTextLen) // 2 bytes each: the cut lands mid-rune
	got, err := unmarshalRecord((&record{ID: "a", LastError: long, Reason: long}).marshal())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.LastError) > maxTextLen || !utf8.ValidString(got.LastError) || !strings.HasPrefix(long, got.LastError) {
		t.Errorf("clipped error: %d bytes, valid UTF-8 %v; want <= %d valid bytes, a prefix", len(got.LastError), utf8.ValidString(got.LastError), maxTextLen)
	}
}

func TestRecord_Corrupt(t *testing.T) {
	good := (&record{ID: "abc", Created: t0, LastError: "e"}).marshal()
	for n := range len(good) {
		if _, err := unmarshalRecord(good[:n]); !errors.Is(err, errRecord) {
			t.Fatalf("unmarshal of %d of %d bytes: %v, want errRecord", n, len(good), err)
		}
	}
	bad := append([]byte{}, good...)
	bad[0] = 2
	if _, err := unmarshalRecord(bad); !errors.Is(err, errRecord) {
		t.Errorf("unmarshal of version 2: %v, want errRecord", err)
	}
	if _, err := unmarshalRecord(append(good, 0)); !errors.Is(err, errRecord) {
		t.Errorf("unmarshal with a trailing byte: %v, want errRecord", err)
	}
}
