package promtext

import (
	"maps"
	"testing"
)

func TestSamples(t *testing.T) {
	text := `# TYPE idkiosk_frames_total counter
idkiosk_frames_total 42
# TYPE idkiosk_quality_rejections_total counter
idkiosk_quality_rejections_total{step="face",reason="dark"} 3
# TYPE idkiosk_queue_depth gauge
idkiosk_queue_depth 7
# TYPE idkiosk_upload_seconds histogram
idkiosk_upload_seconds_bucket{le="+Inf"} 1
idkiosk_upload_seconds_sum 0.5
idkiosk_upload_seconds_count 1
`
	got, err := Samples(text)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"idkiosk_frames_total": 42,
		`idkiosk_quality_rejections_total{reason="dark",step="face"}`: 3,
		"idkiosk_queue_depth": 7,
	}
	if !maps.Equal(got, want) {
		t.Errorf("Samples = %v, want %v", got, want)
	}
	if _, err := Samples("idkiosk_frames_total not-a-number\n"); err == nil {
		t.Error("Samples accepted a malformed exposition")
	}
}
