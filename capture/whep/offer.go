package whep

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/idkiosk/idkiosk/capture/encode"
)

// checkOffer refuses, before any WebRTC state is built, an offer that
// cannot work: not SDP, or no video section that accepts our codec and
// is willing to receive.
func checkOffer(offer string, codec encode.Codec) error {
	var d sdp.SessionDescription
	if err := d.UnmarshalString(offer); err != nil {
		return fmt.Errorf("not a valid SDP offer: %v", err)
	}
	name := strings.TrimPrefix(codec.MimeType, "video/")
	var video bool
	for _, md := range d.MediaDescriptions {
		if md.MediaName.Media != "video" || md.MediaName.Port.Value == 0 {
			continue
		}
		video = true
		if _, sendonly := md.Attribute("sendonly"); sendonly {
			continue
		}
		if _, inactive := md.Attribute("inactive"); inactive {
			continue
		}
		for _, a := range md.Attributes {
			if a.Key != "rtpmap" {
				continue
			}
			// "96 VP8/90000"
			_, enc, _ := strings.Cut(a.Value, " ")
			if strings.EqualFold(strings.SplitN(enc, "/", 2)[0], name) {
				return nil
			}
		}
	}
	if !video {
		return errors.New("the offer has no video section")
	}
	return fmt.Errorf("no video section of the offer can receive %s", name)
}
