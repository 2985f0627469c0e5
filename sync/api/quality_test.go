package api

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func qualityProfile() *Profile {
	at := time.Date(2026, 3, 4, 10, 11, 12, 0, time.UTC)
	return &Profile{
		ID: "0b6f2d3c-51a7-4c8e-9a43-2f7b1e0c9d55", DeviceID: "kiosk-1", Created: at, Language: "en",
		Email: "ana@example.org", FullName: "Ana Pérez", IDType: IDPassport,
		Photos: []Photo{
			{Kind: PhotoFace, Width: 640, Height: 480, Captured: at, Source: "sim", JPEG: []byte("face-jpeg")},
			{Kind: PhotoIDPhotoSide, Width: 640, Height: 480, Captured: at, Source: "sim", JPEG: []byte("id-jpeg")},
		},
		Quality: &QualityReport{
			Analyzer: "idkiosk-quality/1 pigo-facefinder",
			Photos: []PhotoQuality{
				{Kind: PhotoFace, Capture: "auto", Attempts: 1, Passed: true, Checks: []QualityCheck{
					{Name: "brightness", Value: 141.2, Limit: 40, Pass: true},
					{Name: "brightness", Value: 141.2, Limit: 215, Max: true, Pass: true},
				}},
				{Kind: PhotoIDPhotoSide, Capture: "manual", Attempts: 4, Failed: 4, Checks: []QualityCheck{
					{Name: "glare", Value: 0.019, Limit: 0.005, Max: true},
				}, Override: &QualityOverride{Staff: "J. Smith #42", At: at, Reason: "laminate reflects the ceiling light", Failed: []string{"glare"}}},
			},
		},
	}
}

// TestPayload_QualityRoundTrip: the report survives the payload framing
// exactly.
func TestPayload_QualityRoundTrip(t *testing.T) {
	p := qualityProfile()
	b, err := EncodePayload(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePayload(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Quality, p.Quality) {
		t.Errorf("quality report changed in transit:\n got %+v\nwant %+v", got.Quality, p.Quality)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// frame builds a payload around a hand-written document, as another
// version of the kiosk would have written it.
func frame(doc string, photos ...string) []byte {
	b := append([]byte("IDKP"), PayloadVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(doc)))
	b = append(b, doc...)
	for _, ph := range photos {
		b = binary.BigEndian.AppendUint32(b, uint32(len(ph)))
		b = append(b, ph...)
	}
	return b
}

// TestPayload_QualityIsOptional: payloads from kiosks before quality
// checks decode with no report, and a report with fields from a later
// version still decodes.
func TestPayload_QualityIsOptional(t *testing.T) {
	const head = `{"id":"0b6f2d3c-51a7-4c8e-9a43-2f7b1e0c9d55","device_id":"kiosk-1","created":"2026-03-04T10:11:12Z",` +
		`"language":"en","email":"ana@example.org","full_name":"Ana","id_type":"passport","two_sided":false,` +
		`"photos":[{"kind":"face","width":2,"height":2,"captured":"2026-03-04T10:11:12Z","source":"sim"},` +
		`{"kind":"id_photo_side","width":2,"height":2,"captured":"2026-03-04T10:11:12Z","source":"sim"}]`
	old, err := DecodePayload(frame(head+`}`, "f", "i"))
	if err != nil {
		t.Fatalf("a payload without a quality report: %v", err)
	}
	if old.Quality != nil {
		t.Errorf("quality = %+v, want nil", old.Quality)
	}
	if err := old.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	newer, err := DecodePayload(frame(head+`,"quality":{"analyzer":"x/2","photos":[{"kind":"face","capture":"auto",`+
		`"attempts":1,"failed":0,"passed":true,"checks":[],"liveness":0.9}],"signature":"abc"}}`, "f", "i"))
	if err != nil {
		t.Fatalf("a report with later fields: %v", err)
	}
	if newer.Quality == nil || newer.Quality.Photo(PhotoFace) == nil || !newer.Quality.Photo(PhotoFace).Passed {
		t.Errorf("quality = %+v, want the face's entry", newer.Quality)
	}
	// And the document without a report encodes without the field, so an
	// older service sees exactly what it knew.
	p := qualityProfile()
	p.Quality = nil
	b, _ := EncodePayload(p)
	if bytes.Contains(b, []byte(`"quality"`)) {
		t.Errorf("a profile without a report encodes a quality field")
	}
}

func TestQualityReport_Validate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*QualityReport)
		want   string // substring of the error; "" for valid
	}{
		{"valid", func(*QualityReport) {}, ""},
		{"unknown kind", func(q *QualityReport) { q.Photos[0].Kind = "selfie" }, "unknown kind"},
		{"NaN value", func(q *QualityReport) { q.Photos[0].Checks[0].Value = math.NaN() }, "finite"},
		{"override without a reason", func(q *QualityReport) { q.Photos[1].Override.Reason = "" }, "override without"},
		{"override without staff", func(q *QualityReport) { q.Photos[1].Override.Staff = "" }, "override without"},
		{"override reason too long", func(q *QualityReport) {
			q.Photos[1].Override.Reason = strings.Repeat("é", MaxOverrideReason+1)
		}, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := qualityProfile().Quality
			tt.change(q)
			err := q.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate: %v, want an error about %q", err, tt.want)
			}
		})
	}
}
