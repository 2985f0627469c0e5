package outbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/idkiosk/idkiosk/sync/envelope"
)

// fakeEnvelope frames body under a header for id. It passes Put's envelope
// check without paying for a real seal in the timed loop; the bytes that
// reach the disk are the same size and just as incompressible.
func fakeEnvelope(b *testing.B, id string, body []byte) []byte {
	hdr, err := json.Marshal(envelope.Header{Version: envelope.Version, ProfileID: id, DeviceID: "bench", KeyID: "bench", Suite: envelope.DefaultSuite})
	if err != nil {
		b.Fatal(err)
	}
	env := append([]byte{'I', 'D', 'K', 'E', envelope.Version, byte(len(hdr) >> 8), byte(len(hdr))}, hdr...)
	return append(env, body...)
}

// BenchmarkOutboxPut is the durable half of "tap submit -> saved": one
// 300 KB sealed profile per bbolt transaction, fsync'd. Run it on the
// kiosk's own disk; tmpfs numbers mean nothing.
func BenchmarkOutboxPut(b *testing.B) {
	o, err := Open(testPath(b), Options{MaxItems: 1 << 30, MaxBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	body := make([]byte, 300<<10)
	rand.Read(body)
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		b.StopTimer()
		id := uuid.NewString()
		it := NewItem{ID: id, Sealed: fakeEnvelope(b, id, body)}
		b.StartTimer()
		if err := o.Put(ctx, it); err != nil {
			b.Fatal(err)
		}
	}
}
