package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/idkiosk/idkiosk/cmd/internal/vm/appliance"
)

// rig serves appliance's rig API: the cradle's lines and the camera's
// scene, and power-off.
type rig struct {
	log      *slog.Logger
	present  simLine
	light    simLine
	cam      *camera
	poweroff func()
}

func (r *rig) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+appliance.RigStatePath, func(w http.ResponseWriter, _ *http.Request) {
		r.reply(w, nil)
	})
	mux.HandleFunc("POST "+appliance.RigCradlePath, func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Present bool `json:"present"`
		}
		if !decode(w, req, &body) {
			return
		}
		err := r.present.pull(body.Present)
		r.log.Info("rig: cradle", "present", body.Present, "err", err)
		r.reply(w, err)
	})
	mux.HandleFunc("POST "+appliance.RigScenePath, func(w http.ResponseWriter, req *http.Request) {
		var body struct {
			Scene string `json:"scene"`
		}
		if !decode(w, req, &body) {
			return
		}
		err := r.cam.pin(body.Scene)
		r.log.Info("rig: scene", "scene", body.Scene, "err", err)
		r.reply(w, err)
	})
	mux.HandleFunc("POST "+appliance.RigPowerOffPath, func(w http.ResponseWriter, _ *http.Request) {
		r.log.Info("rig: power off")
		r.reply(w, nil)
		http.NewResponseController(w).Flush()
		r.poweroff()
	})
	return mux
}

func (r *rig) reply(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	showing, mode := r.cam.showing()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(appliance.RigState{Cradle: r.present.pulledHigh(), Light: r.light.high(), Scene: mode, Showing: showing})
}

func decode(w http.ResponseWriter, req *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, req.Body, 4096)).Decode(v); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// serve runs h on the guest's network address at port until ctx ends.
func serve(ctx context.Context, port int, h http.Handler) error {
	srv := &http.Server{Addr: net.JoinHostPort(appliance.GuestIP, strconv.Itoa(port)), Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		// Gracefully: the power-off request itself is still answering.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// relayUI accepts the host's connections on the guest's network address
// and joins each to kioskd's UI on loopback (ui.listen), which kioskd
// refuses to serve anywhere else: on the image the browser runs on the
// device itself.
func relayUI(ctx context.Context, ui string, log *slog.Logger) error {
	_, port, err := net.SplitHostPort(ui)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(appliance.GuestIP, port))
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() {
			defer c.Close()
			k, err := net.DialTimeout("tcp", ui, 5*time.Second)
			if err != nil {
				log.Debug("ui relay: kioskd not answering", "err", err)
				return
			}
			defer k.Close()
			appliance.Join(c, k)
		}()
	}
}
