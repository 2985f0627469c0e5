package kioskui

import "net/http"

// demoStatus is what the demo panel shows.
type demoStatus struct {
	Scenes []string `json:"scenes"`
	Scene  string   `json:"scene"`
}

func (s *Server) demoStatus() demoStatus {
	return demoStatus{Scenes: s.cfg.Demo.Scenes(), Scene: s.cfg.Demo.Scene()}
}

func (s *Server) demoState(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, s.demoStatus())
}

func (s *Server) demoCradle(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Present bool `json:"present"`
	}
	if !s.decodeJSON(w, r, &body) {
		return
	}
	if err := s.cfg.Demo.SetCradle(body.Present); err != nil {
		s.log.Warn("demo cradle", "err", err)
		s.problem(w, http.StatusUnprocessableEntity, KeyDemoFailed, nil)
		return
	}
	s.writeJSON(w, s.demoStatus())
}

func (s *Server) demoScene(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Scene string `json:"scene"`
	}
	if !s.decodeJSON(w, r, &body) {
		return
	}
	if err := s.cfg.Demo.SetScene(body.Scene); err != nil {
		s.log.Warn("demo scene", "err", err)
		s.problem(w, http.StatusUnprocessableEntity, KeyDemoFailed, nil)
		return
	}
	s.writeJSON(w, s.demoStatus())
}
