package serve

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The page at / is a small web application, embedded in the binary (the
// files under page/, plain HTML, CSS and JavaScript, nothing fetched from
// anywhere else): pick a served model, see its input shape and summary,
// draw a digit or drop an image, and see the model's top classes as bars.
// It calls the same :classify endpoint any client does, and GET /ui/models
// for what it shows about the models. These are the only files the
// handler serves; nothing is read from the file system.
//
// With Options.Token set a browser cannot add a bearer header to a page
// it navigates to, so the handler also takes HTTP Basic authentication
// whose password is the token (any user name; RFC 7617), and the page's
// 401 asks for it (WWW-Authenticate: Basic), which makes the browser show
// its sign-in prompt. The browser then sends the same credentials with
// the page's own requests. Because it would also send them with requests
// other sites' pages make to this server, a request authenticated this
// way must come from the server's own origin when its method changes
// anything (net/http's CrossOriginProtection: Sec-Fetch-Site, or Origin
// against Host); otherwise it is answered 403.

//go:embed page
var pageFS embed.FS

// pageFile is one embedded file and its Content-Type.
type pageFile struct{ name, ctype string }

// pageFiles are the page's paths.
var pageFiles = map[string]pageFile{
	"/":             {"page/index.html", "text/html; charset=utf-8"},
	"/ui/app.js":    {"page/app.js", "text/javascript; charset=utf-8"},
	"/ui/style.css": {"page/style.css", "text/css; charset=utf-8"},
	"/ui/icon.svg":  {"page/icon.svg", "image/svg+xml"},
}

// pageModelsPath answers what the page shows about the served models.
const pageModelsPath = "/ui/models"

// epPage is the endpoint label of the page's requests.
const epPage = "page"

// pageCSP lets the page load its own script and stylesheet and call this
// server, and nothing else: no inline script or style, no other origin,
// no framing. blob: images are the previews of dropped files.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// isPagePath reports whether path is the page's (/ or under /ui/).
func isPagePath(path string) bool { return path == "/" || strings.HasPrefix(path, "/ui/") }

// page serves the page's files and GET /ui/models.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, path string) {
	setRoute(r, "", epPage)
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if path == pageModelsPath {
		if method(w, r, http.MethodGet) {
			hd.Set("Cache-Control", "no-store")
			writeJSON(w, http.StatusOK, h.pageModels())
		}
		return
	}
	f, ok := pageFiles[path]
	if !ok {
		writeError(w, &httpError{http.StatusNotFound, fmt.Sprintf("no endpoint %s; the page is at /", path)})
		return
	}
	if !method(w, r, http.MethodGet) {
		return
	}
	b, err := pageFS.ReadFile(f.name)
	if err != nil {
		writeError(w, fmt.Errorf("the page's file %s is missing from the binary: %w", f.name, err))
		return
	}
	hd.Set("Content-Type", f.ctype)
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("X-Frame-Options", "DENY")
	// The files change with the binary, not while it runs; no-cache
	// still lets the browser keep them, asking each time.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// pageTensor is one input or output: its name and per-sample shape.
type pageTensor struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// pageModel is what the page shows about a model.
type pageModel struct {
	Name    string       `json:"name"`
	Inputs  []pageTensor `json:"inputs"`
	Outputs []pageTensor `json:"outputs"`
	Classes []string     `json:"classes"`
	// Image is the input image :classify resizes to, nil for a model
	// that is not an image classifier; NotImage says why.
	Image *struct {
		Height   int `json:"height"`
		Width    int `json:"width"`
		Channels int `json:"channels"`
	} `json:"image"`
	NotImage string `json:"not_image,omitempty"`
	// Summary is the model's summary, as `gokeras summary` prints it.
	Summary string `json:"summary"`
}

// pageModels is the JSON of GET /ui/models: {"models": [...]}, by name.
func (h *Handler) pageModels() []byte {
	out := struct {
		Models []pageModel `json:"models"`
	}{Models: []pageModel{}}
	for _, name := range h.names() {
		m := h.models[name]
		pm := pageModel{Name: name, Classes: m.m.Classes}
		for k, s := range m.inShapes {
			pm.Inputs = append(pm.Inputs, pageTensor{m.inNames[k], s})
		}
		for k, s := range m.outShapes {
			pm.Outputs = append(pm.Outputs, pageTensor{m.outNames[k], s})
		}
		if ih, iw, ic, _, err := m.imageInput(); err != nil {
			pm.NotImage = err.Error()
		} else {
			pm.Image = &struct {
				Height   int `json:"height"`
				Width    int `json:"width"`
				Channels int `json:"channels"`
			}{ih, iw, ic}
		}
		var sb strings.Builder
		if err := m.m.Summary(&sb); err != nil {
			// The models are built before they are served, so this is
			// not expected; say so on the page rather than fail it.
			sb.Reset()
			fmt.Fprintf(&sb, "(no summary: %v)", err)
		}
		pm.Summary = sb.String()
		out.Models = append(out.Models, pm)
	}
	b, err := json.Marshal(out)
	if err != nil {
		// Names, shapes and strings only: Marshal cannot fail on them.
		panic(fmt.Sprintf("serve: encoding the models for the page: %v", err))
	}
	return b
}

// tokenIs compares got with the token in constant time.
func (h *Handler) tokenIs(got string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.Token)) == 1
}

// crossOrigin is the check of requests authenticated with Basic
// credentials, which browsers send by themselves (see the comment at the
// top of this file).
var crossOrigin = http.NewCrossOriginProtection()

// basicAuthorize accepts HTTP Basic credentials whose password is the
// token, from the server's own origin (any origin for GET and HEAD).
// ok is false when r has no such credentials.
func (h *Handler) basicAuthorize(r *http.Request) (ok bool, err error) {
	_, pw, has := r.BasicAuth()
	if !has || !h.tokenIs(pw) {
		return false, nil
	}
	if err := crossOrigin.Check(r); err != nil {
		return true, &httpError{http.StatusForbidden, fmt.Sprintf("%v: a request signed in with the page's (Basic) credentials must come from this server's own pages; other clients send \"Authorization: Bearer <token>\"", err)}
	}
	return true, nil
}

// challenge sets WWW-Authenticate on a 401 answer: Bearer, as the token
// is meant to be sent, and on the page's paths Basic first, so that a
// browser asks its user for the token (browsers know no Bearer prompt).
func challenge(hd http.Header, path string, err error) {
	var he *httpError
	if !errors.As(err, &he) || he.code != http.StatusUnauthorized {
		return
	}
	if isPagePath(path) {
		hd.Add("WWW-Authenticate", `Basic realm="gokeras", charset="UTF-8"`)
	}
	hd.Add("WWW-Authenticate", `Bearer realm="gokeras"`)
}
