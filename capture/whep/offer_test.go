package whep

import (
	"strings"
	"testing"

	"github.com/idkiosk/idkiosk/capture/encode"
)

const offerVP8 = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 102\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=recvonly\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtpmap:102 H264/90000\r\n"

func TestCheckOffer(t *testing.T) {
	tests := []struct {
		name, offer string
		codec       encode.Codec
		wantErr     string
	}{
		{"VP8 receiver", offerVP8, encode.CodecVP8, ""},
		{"H.264 receiver", offerVP8, encode.CodecH264, ""},
		{"lower-case codec name", strings.Replace(offerVP8, "VP8/", "vp8/", 1), encode.CodecVP8, ""},
		{"send-only video", strings.Replace(offerVP8, "a=recvonly", "a=sendonly", 1), encode.CodecVP8, "can receive VP8"},
		{"inactive video", strings.Replace(offerVP8, "a=recvonly", "a=inactive", 1), encode.CodecVP8, "can receive VP8"},
		{"rejected video", strings.Replace(offerVP8, "m=video 9", "m=video 0", 1), encode.CodecVP8, "no video section"},
		{"no VP8", strings.Replace(offerVP8, "a=rtpmap:96 VP8/90000\r\n", "", 1), encode.CodecVP8, "can receive VP8"},
		{"not SDP", "GET / HTTP/1.1\r\n", encode.CodecVP8, "not a valid SDP offer"},
	}
	for _, tt := range tests {
		err := checkOffer(tt.offer, tt.codec)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}
