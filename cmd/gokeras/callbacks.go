package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gokeras/gokeras/train"
)

// parseReduceLR reads --reduce-lr-on-plateau: "on" (Keras's defaults) or
// comma-separated key=value pairs named as ReduceLROnPlateau's arguments
// in Keras (monitor, factor, patience, min_delta, cooldown, min_lr, mode,
// verbose), e.g. "monitor=loss,factor=0.5,patience=3".
func parseReduceLR(s string) (*train.ReduceLROnPlateau, error) {
	p := &train.ReduceLROnPlateau{}
	if s == "on" || s == "" {
		return p, nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("--reduce-lr-on-plateau: "+format+`; write "on" or key=value pairs such as "monitor=val_loss,factor=0.5,patience=3" (keys: monitor, factor, patience, min_delta, cooldown, min_lr, mode, verbose)`, args...)
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, bad("%q is not key=value", kv)
		}
		var err error
		switch k {
		case "monitor":
			p.Monitor = v
		case "mode":
			switch v {
			case "auto":
				p.Mode = train.ModeAuto
			case "min":
				p.Mode = train.ModeMin
			case "max":
				p.Mode = train.ModeMax
			default:
				return nil, bad("mode %q is not auto, min or max", v)
			}
		case "factor":
			p.Factor, err = strconv.ParseFloat(v, 64)
		case "min_delta":
			p.MinDelta, err = strconv.ParseFloat(v, 64)
		case "min_lr":
			p.MinLR, err = strconv.ParseFloat(v, 64)
		case "patience":
			p.Patience, err = strconv.Atoi(v)
		case "cooldown":
			p.Cooldown, err = strconv.Atoi(v)
		case "verbose":
			p.Verbose, err = strconv.Atoi(v)
		default:
			return nil, bad("unknown key %q", k)
		}
		if err != nil {
			return nil, bad("%s=%q is not a number", k, v)
		}
	}
	return p, nil
}

// remoteMonitor is --remote-monitor's callback: the URL is split into
// Keras's root and path, which RemoteMonitor joins again.
func remoteMonitor(raw string, asJSON bool) (*train.RemoteMonitor, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--remote-monitor %q is not an http(s) URL with a host, e.g. http://localhost:9000/publish/epoch/end/", raw)
	}
	root := (&url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host}).String() // user:password@ kept: the client sends it as basic auth
	return &train.RemoteMonitor{Root: root, Path: u.RequestURI(), SendAsJSON: asJSON}, nil
}
