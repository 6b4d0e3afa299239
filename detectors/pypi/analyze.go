package pypi

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
)

// Analyzer reads what a PyPI API token may do from the token itself. PyPI
// tokens are macaroons ("pypi-" and the base64url of a serialised
// macaroon) whose caveats restrict them, and PyPI has no read-only API that
// takes a token, so nothing is sent: the caveats are decoded offline.
//
// The caveats are JSON, as Warehouse writes them
// (https://github.com/pypi/warehouse/blob/main/warehouse/macaroons/caveats/__init__.py):
// [0, expires_at, not_before], [1, [project names]], [2, [project ids]],
// [3, user id], [4, trusted publisher id], and the legacy objects
// {"version":1,"permissions":"user"|{"projects":[...]}}, {"exp","nbf"},
// {"project_ids":[...]}. A token without a project caveat uploads to every
// project of its user (https://pypi.org/help/#apitoken).
type Analyzer struct{}

// ID implements analyze.Analyzer: the verifier's id.
func (Analyzer) ID() string { return "pypi" }

// Analyze implements analyze.Analyzer.
func (a Analyzer) Analyze(ctx context.Context, c *verify.Client, req verify.Request) (*analyze.Report, error) {
	m, err := decodeToken(req.Secret)
	if err != nil {
		return nil, fmt.Errorf("PyPI token: %w", err)
	}
	rep := &analyze.Report{Analyzer: a.ID(), Kind: "API token (user-wide)"}
	if id := printable(m.identifier); id != "" {
		rep.Identity = "token " + id
	}
	var (
		names, ids   []string
		restricted   bool
		idRestricted bool
		user, oidc   string
		unknown      int
	)
	for _, cav := range m.caveats {
		if cav.thirdParty {
			rep.Partial = append(rep.Partial, "a third-party caveat (at "+printable(cav.location)+") that cannot be read offline")
			continue
		}
		cv, err := parseCaveat(cav.id)
		if err != nil {
			unknown++
			continue
		}
		switch cv.kind {
		case caveatExpiry:
			exp := time.Unix(cv.expires, 0).UTC()
			if time.Now().After(exp) {
				return nil, fmt.Errorf("PyPI token: expired at %s", exp.Format(time.RFC3339))
			}
			rep.Resources = append(rep.Resources, analyze.Resource{Kind: "restriction", Name: "expiry", Permissions: []string{"expires " + exp.Format(time.RFC3339)}})
		case caveatProjects:
			if restricted {
				names = intersect(names, cv.list)
			} else {
				names, restricted = cv.list, true
			}
		case caveatProjectIDs:
			if idRestricted {
				ids = intersect(ids, cv.list)
			} else {
				ids, idRestricted = cv.list, true
			}
		case caveatUser:
			user = cv.value
		case caveatOIDC:
			oidc = cv.value
		case caveatLegacyUser:
			// Scoped to "the user": no restriction beyond the owner.
		}
	}
	if unknown > 0 {
		rep.Partial = append(rep.Partial, fmt.Sprintf("%d caveats of a form not known here", unknown))
	}
	if user != "" {
		rep.Identity = strings.TrimSpace(rep.Identity + " of user " + user)
	}
	if oidc != "" {
		rep.Kind = "trusted publisher token"
		rep.Identity = strings.TrimSpace(rep.Identity + " (trusted publisher " + oidc + ")")
	}
	for _, n := range names {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: n, Permissions: []string{"upload"}})
	}
	for _, id := range ids {
		rep.Resources = append(rep.Resources, analyze.Resource{Kind: "project", Name: "id " + id, Permissions: []string{"upload"}})
	}
	rep.Severity = analyze.SeverityWrite
	switch {
	case restricted || idRestricted:
		rep.Kind = "API token (project-scoped)"
		if oidc != "" {
			rep.Kind = "trusted publisher token"
		}
		n := rep.Count("project")
		if n == 0 {
			rep.Worst = "no project: its project caveats exclude each other"
			rep.Severity = analyze.SeverityInfo
			break
		}
		var shown []string
		for _, r := range rep.Resources {
			if r.Kind == "project" {
				shown = append(shown, r.Name)
			}
		}
		sort.Strings(shown)
		rep.Worst = fmt.Sprintf("can upload releases to %d PyPI %s: %s", n, pluralNoun(n, "project"), strings.Join(shown, ", "))
	default:
		rep.Worst = "can upload releases to every PyPI project of its owner, and create new projects"
	}
	rep.Sort()
	return rep, nil
}

// macaroon is the readable part of a macaroon.
type macaroon struct {
	location, identifier string
	caveats              []caveat
}

type caveat struct {
	location, id string
	thirdParty   bool
}

// decodeToken decodes "pypi-<base64url macaroon>", in the binary format
// version 2 (libmacaroons, which Warehouse mints) or version 1.
func decodeToken(tok string) (*macaroon, error) {
	raw, ok := strings.CutPrefix(tok, "pypi-")
	if !ok {
		return nil, errors.New(`not a "pypi-" token`)
	}
	raw = strings.TrimRight(raw, "=")
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(raw); err != nil {
			return nil, errors.New("the token is not base64")
		}
	}
	if len(b) == 0 {
		return nil, errors.New("empty token")
	}
	if b[0] == 2 {
		return decodeV2(b[1:])
	}
	return decodeV1(b)
}

// Field types of the version 2 binary format.
const (
	fieldEOS        = 0
	fieldLocation   = 1
	fieldIdentifier = 2
	fieldVID        = 4
	fieldSignature  = 6
)

// decodeV2 reads the version 2 binary format: the header's fields up to
// an end-of-section byte, then each caveat's fields up to one, an empty
// section ending the caveats, then the signature.
func decodeV2(b []byte) (*macaroon, error) {
	type field struct {
		typ  uint64
		data []byte
	}
	next := func() (field, error) {
		typ, n := binary.Uvarint(b)
		if n <= 0 {
			return field{}, errors.New("truncated macaroon")
		}
		b = b[n:]
		if typ == fieldEOS {
			return field{typ: fieldEOS}, nil
		}
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return field{}, errors.New("truncated macaroon")
		}
		data := b[n : n+int(l)]
		b = b[n+int(l):]
		return field{typ: typ, data: data}, nil
	}
	m := &macaroon{}
	for {
		f, err := next()
		if err != nil {
			return nil, err
		}
		if f.typ == fieldEOS {
			break
		}
		switch f.typ {
		case fieldLocation:
			m.location = string(f.data)
		case fieldIdentifier:
			m.identifier = string(f.data)
		}
	}
	for len(m.caveats) < 1000 {
		var cv caveat
		empty := true
		for {
			f, err := next()
			if err != nil {
				return nil, err
			}
			if f.typ == fieldEOS {
				break
			}
			empty = false
			switch f.typ {
			case fieldLocation:
				cv.location = string(f.data)
			case fieldIdentifier:
				cv.id = string(f.data)
			case fieldVID:
				cv.thirdParty = true
			case fieldSignature:
				return nil, errors.New("malformed macaroon: signature inside a caveat")
			}
		}
		if empty {
			return m, nil
		}
		m.caveats = append(m.caveats, cv)
	}
	return nil, errors.New("too many caveats")
}

// decodeV1 reads the version 1 format: packets of four hex digits giving
// the packet's length, then "key value\n".
func decodeV1(b []byte) (*macaroon, error) {
	m := &macaroon{}
	var cur *caveat
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errors.New("truncated macaroon")
		}
		n, err := strconv.ParseUint(string(b[:4]), 16, 16)
		if err != nil {
			return nil, errors.New("not a macaroon")
		}
		if n < 6 || int(n) > len(b) {
			return nil, errors.New("truncated macaroon")
		}
		line := strings.TrimSuffix(string(b[4:n]), "\n")
		b = b[n:]
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "location":
			if cur != nil {
				cur.location = value
			} else {
				m.location = value
			}
		case "identifier":
			m.identifier = value
		case "cid":
			m.caveats = append(m.caveats, caveat{id: value})
			cur = &m.caveats[len(m.caveats)-1]
		case "vid":
			if cur != nil {
				cur.thirdParty = true
			}
		case "cl":
			if cur != nil {
				cur.location = value
			}
		case "signature":
			return m, nil
		default:
			return nil, errors.New("not a macaroon")
		}
		if len(m.caveats) > 1000 {
			return nil, errors.New("too many caveats")
		}
	}
	if m.identifier == "" {
		return nil, errors.New("not a macaroon")
	}
	return m, nil
}

type caveatKind int

const (
	caveatExpiry caveatKind = iota
	caveatProjects
	caveatProjectIDs
	caveatUser
	caveatOIDC
	caveatLegacyUser
)

type parsedCaveat struct {
	kind    caveatKind
	expires int64
	list    []string
	value   string
}

// parseCaveat reads one of Warehouse's caveats, the tagged arrays or the
// legacy objects.
func parseCaveat(s string) (parsedCaveat, error) {
	var arr []json.RawMessage
	if json.Unmarshal([]byte(s), &arr) == nil && len(arr) > 0 {
		var tag int
		if json.Unmarshal(arr[0], &tag) != nil {
			return parsedCaveat{}, errors.New("caveat tag")
		}
		switch {
		case tag == 0 && len(arr) >= 2:
			var exp int64
			if json.Unmarshal(arr[1], &exp) != nil {
				break
			}
			return parsedCaveat{kind: caveatExpiry, expires: exp}, nil
		case (tag == 1 || tag == 2) && len(arr) >= 2:
			var list []string
			if json.Unmarshal(arr[1], &list) != nil {
				break
			}
			k := caveatProjects
			if tag == 2 {
				k = caveatProjectIDs
			}
			return parsedCaveat{kind: k, list: list}, nil
		case (tag == 3 || tag == 4) && len(arr) >= 2:
			var v string
			if json.Unmarshal(arr[1], &v) != nil {
				break
			}
			k := caveatUser
			if tag == 4 {
				k = caveatOIDC
			}
			return parsedCaveat{kind: k, value: v}, nil
		}
		return parsedCaveat{}, errors.New("unknown caveat")
	}
	var obj struct {
		Version     int             `json:"version"`
		Permissions json.RawMessage `json:"permissions"`
		Exp         *int64          `json:"exp"`
		Nbf         *int64          `json:"nbf"`
		ProjectIDs  []string        `json:"project_ids"`
	}
	if json.Unmarshal([]byte(s), &obj) != nil {
		return parsedCaveat{}, errors.New("not JSON")
	}
	switch {
	case obj.Version == 1 && len(obj.Permissions) > 0:
		var p struct {
			Projects []string `json:"projects"`
		}
		var user string
		if json.Unmarshal(obj.Permissions, &user) == nil && user == "user" {
			return parsedCaveat{kind: caveatLegacyUser}, nil
		}
		if json.Unmarshal(obj.Permissions, &p) == nil && p.Projects != nil {
			return parsedCaveat{kind: caveatProjects, list: p.Projects}, nil
		}
	case obj.Exp != nil && obj.Nbf != nil:
		return parsedCaveat{kind: caveatExpiry, expires: *obj.Exp}, nil
	case obj.ProjectIDs != nil:
		return parsedCaveat{kind: caveatProjectIDs, list: obj.ProjectIDs}, nil
	}
	return parsedCaveat{}, errors.New("unknown caveat")
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}

// printable returns s when it is short readable text, or its hex prefix.
func printable(s string) string {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			h := hex.EncodeToString([]byte(s))
			if len(h) > 16 {
				h = h[:16]
			}
			return h
		}
	}
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

func pluralNoun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
