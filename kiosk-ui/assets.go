package kioskui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/idkiosk/idkiosk/kiosk-ui/i18n"
)

//go:embed web
var embedded embed.FS

// webFS is the page: index.html, app.css, js/*.js.
func webFS() fs.FS {
	sub, err := fs.Sub(embedded, "web")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, webFS(), "index.html")
}

// asset serves a file of the page. Directory listings and index.html
// redirects are not wanted, so only plain files are served.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	fsys := webFS()
	info, err := fs.Stat(fsys, name)
	if err != nil || info.IsDir() || name == "index.html" || strings.HasPrefix(name, "api/") {
		s.problem(w, http.StatusNotFound, KeyNotFound, nil)
		return
	}
	http.ServeFileFS(w, r, fsys, name)
}

func (s *Server) catalogue(w http.ResponseWriter, r *http.Request) {
	lang, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	var b []byte
	if ok {
		b, ok = i18n.JSON(lang)
	}
	if !ok {
		s.problem(w, http.StatusNotFound, KeyNotFound, nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
