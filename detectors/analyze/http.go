package analyze

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/achilles-sec/achilles/detectors/verify"
)

// MaxPages bounds how many pages one listing follows; a report that stops
// there says so in Partial.
const MaxPages = 20

// StatusError is an answer other than the one an analyzer expected.
type StatusError struct {
	Status int
	Path   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered HTTP %d", e.Path, e.Status)
}

// IsStatus reports whether err is a StatusError with one of the codes.
func IsStatus(err error, codes ...int) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	for _, c := range codes {
		if se.Status == c {
			return true
		}
	}
	return false
}

// GetJSON makes a call and decodes a 200 answer into v (v may be nil). Any
// other status is a *StatusError; a transport failure an error scrubbed of
// the secret.
func GetJSON(ctx context.Context, c *verify.Client, req verify.Request, call verify.Call, v any) (*verify.Response, error) {
	resp, failed := c.Send(ctx, req, call)
	if failed != nil {
		return nil, errors.New(failed.Reason)
	}
	// Some providers take the key in the path (Telegram's /bot<token>/):
	// what an error quotes of the path is scrubbed here, once.
	path := verify.Scrub(pathOnly(call.Path), req)
	if resp.Status != http.StatusOK {
		return resp, &StatusError{Status: resp.Status, Path: path}
	}
	if v != nil {
		if err := json.Unmarshal(resp.Body, v); err != nil {
			return resp, fmt.Errorf("%s: the answer is not the documented JSON: %w", path, err)
		}
	}
	return resp, nil
}

// Pages calls first and then each Link rel="next" page, up to MaxPages, and
// hands every 200 answer to each. A next link to another host than the
// call's base is not followed (the key must not leave its provider). It
// returns whether the listing was cut short by the page limit.
func Pages(ctx context.Context, c *verify.Client, req verify.Request, first verify.Call, each func(*verify.Response) error) (truncated bool, err error) {
	base, err := c.BaseURL(first.Verifier, first.Official)
	if err != nil {
		return false, err
	}
	call := first
	for page := 0; ; page++ {
		if page == MaxPages {
			return true, nil
		}
		resp, err := GetJSON(ctx, c, req, call, nil)
		if err != nil {
			return false, err
		}
		if err := each(resp); err != nil {
			return false, err
		}
		next := NextLink(resp.Header.Get("Link"))
		if next == "" {
			return false, nil
		}
		path, ok := PathUnder(base, next)
		if !ok {
			return false, fmt.Errorf("refusing a next page on another host")
		}
		call.Path = path
	}
}

// NextLink reads the rel="next" URL of an RFC 8288 Link header.
func NextLink(header string) string {
	for _, part := range strings.Split(header, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		target := strings.Trim(strings.TrimSpace(seg[0]), "<>")
		for _, p := range seg[1:] {
			p = strings.ReplaceAll(strings.TrimSpace(p), " ", "")
			if p == `rel="next"` || p == "rel=next" {
				return target
			}
		}
	}
	return ""
}

// PathUnder turns an absolute link (a next page named in an answer's body
// or header) into a path under base, when it is on base's scheme and host
// and under its path; a link anywhere else is refused (ok false), so a key
// never follows a link off its provider.
func PathUnder(base, link string) (string, bool) {
	b, err1 := url.Parse(base)
	l, err2 := url.Parse(link)
	if err1 != nil || err2 != nil || l.Scheme != b.Scheme || l.Host != b.Host || l.User != nil {
		return "", false
	}
	prefix := strings.TrimSuffix(b.Path, "/")
	if !strings.HasPrefix(l.Path, prefix+"/") && l.Path != prefix {
		return "", false
	}
	p := strings.TrimPrefix(l.Path, prefix)
	if l.RawQuery != "" {
		p += "?" + l.RawQuery
	}
	return p, true
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
