package whep

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idkiosk/idkiosk/capture/encode"
	"github.com/idkiosk/idkiosk/capture/whep/wheptest"
)

// h264Source stands in for the pass-through or M2M encoder: an IDR with
// its parameter sets, then P slices, every 20 ms.
type h264Source struct{}

func (h264Source) Run(ctx context.Context, keyframe func() bool, emit func(encode.Packet)) error {
	nal := func(b ...byte) []byte { return append([]byte{0, 0, 0, 1}, b...) }
	idr := append(append(nal(0x67, 0x42, 0xe0, 0x1f, 0xaa), nal(0x68, 0xce, 0x3c, 0x80)...), nal(0x65, 0x88, 0x84, 0x00)...)
	p := nal(0x41, 0x9a, 0x02)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			key := keyframe() || first
			first = false
			au := p
			if key {
				au = idr
			}
			emit(encode.Packet{Data: au, Keyframe: key, Duration: 20 * time.Millisecond})
		}
	}
}

// An H.264 stream (camera pass-through, hardware encoder) negotiates with
// a viewer that offers H.264 and reaches it.
func TestWatch_H264(t *testing.T) {
	srv, err := New(Config{
		Codec: encode.CodecH264, Source: h264Source{},
		Tokens: Tokens{tokenLine("alice", 2, secretAlice)},
		UDP:    "127.0.0.1:0",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx := ctxT(t)
	o, err := wheptest.NewOffer()
	if err != nil {
		t.Fatal(err)
	}
	v, resp, answer, err := o.Post(ctx, nil, hs.URL+"/whep", secretAlice)
	if err != nil || v == nil {
		t.Fatalf("POST: %v %v %s", resp.Status, err, answer)
	}
	defer v.Delete(ctx)
	if !strings.Contains(string(answer), "H264/90000") || !strings.Contains(string(answer), "packetization-mode=1") {
		t.Errorf("answer does not carry H.264 packetization mode 1:\n%s", answer)
	}
	if err := v.WaitFrames(ctx, 10); err != nil {
		t.Fatal(err)
	}
}
