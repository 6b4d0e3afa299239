package verify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
)

// HTTPSpec declares a verifier as one HTTP request, in TOML, so that
// providers are added as data: the built-in ones in the provider catalogue
// (rules/default, `[[verify.http]]` next to the provider's rules), a user's
// in their rules file under the same name:
//
//	[[verify.http]]
//	id = "acme"
//	docs = "https://docs.acme.example/api/me"
//	url = "https://api.acme.example/v1/me"
//	headers = { Authorization = "Bearer {{secret}}" }
//	live = { status = [200], body = '"id"' }
//	dead = { status = [401] }
//	identity = "user.email"
//
// Templates (url, headers, body) know {{secret}}, {{part "rule-id"}},
// {{base64 "text" ...}} (joins its arguments, then encodes: Basic auth is
// 'Basic {{base64 secret ":"}}'), {{now}} and {{nowMilli}} (Unix time, the
// same in every template of one request), {{hmacSHA256 key msg}} and
// {{hmacSHA256Base64 key msg}}, {{sha256 text}} (hex) and text/template's
// own functions (printf, urlquery).
type HTTPSpec struct {
	ID          string `toml:"id"`
	Description string `toml:"description"`
	// Docs is the page documenting the endpoint and its answers; every
	// built-in declaration has one.
	Docs       string            `toml:"docs"`
	Companions []string          `toml:"companions"`
	Method     string            `toml:"method"`
	URL        string            `toml:"url"`
	Headers    map[string]string `toml:"headers"`
	Body       string            `toml:"body"`
	// Sites are more official base URLs (https://host) of a provider that
	// keeps accounts per region: the URL's path is asked at its own host,
	// then at each site in order, until one knows the key; it is dead only
	// when every site rejects it.
	Sites []string `toml:"sites"`
	// Tenant takes the URL's host from a companion match (a shop, an
	// organisation's domain): the URL starts "https://{{tenant}}/", and a
	// host is sent the secret only when it matches Pattern, the provider's
	// documented domain (or when configured in [verify.endpoints]).
	Tenant *Tenant `toml:"tenant"`
	// Live and Dead are the documented answers: one outcome or a list of
	// them. Anything else is unknown, with the status as the reason.
	Live Outcomes `toml:"live"`
	Dead Outcomes `toml:"dead"`
	// Identity, Scopes and Expires are dot paths into a JSON body
	// ("user.email", "scopes", "data.0.name") or "header:Name".
	Identity string `toml:"identity"`
	Scopes   string `toml:"scopes"`
	Expires  string `toml:"expires"`
	Kind     string `toml:"kind"`
	// Extra names more facts to report, each a dot path or "header:Name":
	// extra = { account = "account.id", plan = "account.plan" }.
	Extra map[string]string `toml:"extra"`
	// Samples are the documented answers, for the conformance test that
	// runs every built-in declaration against a fake of its provider.
	Samples *Samples `toml:"samples"`
}

// Tenant names the companion rule whose match is the API host and the
// documented form of that host (a regular expression over the whole host
// name, such as `[a-z0-9-]+\.myshopify\.com`).
type Tenant struct {
	Companion string `toml:"companion"`
	Pattern   string `toml:"pattern"`
}

// Samples are answers copied from a provider's documentation: the success
// body (with the identity, scopes, expiry and kind a verifier must read
// from it) and the invalid-credential body. Secret is the credential the
// test sends (default: a made-up token), Parts fill the companions, Host is
// a tenant host for the test (it must match the tenant pattern).
type Samples struct {
	Live        string            `toml:"live"`
	LiveStatus  int               `toml:"live_status"`
	LiveHeaders map[string]string `toml:"live_headers"`
	Dead        string            `toml:"dead"`
	DeadStatus  int               `toml:"dead_status"`
	Identity    string            `toml:"identity"`
	Scopes      []string          `toml:"scopes"`
	Expires     string            `toml:"expires"`
	Kind        string            `toml:"kind"`
	Secret      string            `toml:"secret"`
	Parts       map[string]string `toml:"parts"`
	Host        string            `toml:"host"`
	// Signed says the secret signs the request (HMAC) rather than
	// travelling in it; the fake then looks for a companion instead.
	Signed bool `toml:"signed"`
}

// Outcome says which answers mean live or dead: a status in Status (when
// set) and a body matching Body (when set). Kind, on a live outcome, names
// what such an answer says of the key ("restricted", "test mode"); Reason,
// on a dead one, is the verdict's reason.
type Outcome struct {
	Status []int  `toml:"status"`
	Body   string `toml:"body"`
	Kind   string `toml:"kind"`
	Reason string `toml:"reason"`
}

// Outcomes is one outcome (a table) or several (an array of tables).
type Outcomes []Outcome

// UnmarshalTOML reads a table or an array of tables, refusing fields an
// Outcome does not have.
func (o *Outcomes) UnmarshalTOML(data any) error {
	var list []map[string]any
	switch d := data.(type) {
	case map[string]any:
		list = []map[string]any{d}
	case []map[string]any:
		list = d
	case []any:
		for _, e := range d {
			m, ok := e.(map[string]any)
			if !ok {
				return fmt.Errorf("an outcome is a table such as { status = [200] }")
			}
			list = append(list, m)
		}
	default:
		return fmt.Errorf("an outcome is a table such as { status = [200] }")
	}
	for _, m := range list {
		var out Outcome
		for k, v := range m {
			switch k {
			case "status":
				vals, ok := v.([]any)
				if !ok {
					if n, isInt := v.(int64); isInt {
						vals = []any{n}
					} else {
						return fmt.Errorf("outcome status: want a list of numbers")
					}
				}
				for _, e := range vals {
					n, ok := e.(int64)
					if !ok || n < 100 || n > 599 {
						return fmt.Errorf("outcome status %v is not an HTTP status", e)
					}
					out.Status = append(out.Status, int(n))
				}
			case "body", "kind", "reason":
				s, ok := v.(string)
				if !ok {
					return fmt.Errorf("outcome %s: want a string", k)
				}
				switch k {
				case "body":
					out.Body = s
				case "kind":
					out.Kind = s
				default:
					out.Reason = s
				}
			default:
				return fmt.Errorf("outcome: unknown field %s", k)
			}
		}
		*o = append(*o, out)
	}
	return nil
}

type outcome struct {
	Outcome
	body *regexp.Regexp
}

func (o outcome) matches(r *Response) bool {
	if len(o.Status) > 0 && !slices.Contains(o.Status, r.Status) {
		return false
	}
	return o.body == nil || o.body.Match(r.Body)
}

// httpVerifier runs an HTTPSpec.
type httpVerifier struct {
	spec       HTTPSpec
	url        *template.Template
	body       *template.Template
	headers    map[string]*template.Template
	live, dead []outcome
	official   string // scheme://host of the spec URL
	sites      []string
	tenant     *regexp.Regexp
}

const tenantPrefix = "https://{{tenant}}"

// CompileHTTP checks and compiles a declarative verifier.
func CompileHTTP(s HTTPSpec) (Verifier, error) {
	if s.ID == "" {
		return nil, fmt.Errorf("a declarative verifier needs an id")
	}
	if s.Method == "" {
		s.Method = http.MethodGet
	}
	s.Method = strings.ToUpper(s.Method)
	if s.Method != http.MethodGet && s.Method != http.MethodPost && s.Method != http.MethodHead {
		return nil, fmt.Errorf("verifier %s: method %s: only GET, HEAD and POST (for read-only query APIs) are allowed", s.ID, s.Method)
	}
	if len(s.Live) == 0 {
		s.Live = Outcomes{{Status: []int{200}}}
	}
	if len(s.Dead) == 0 {
		s.Dead = Outcomes{{Status: []int{401}}}
	}
	v := &httpVerifier{spec: s, headers: map[string]*template.Template{}}
	var err error
	rawURL := s.URL
	if s.Tenant != nil {
		rest, ok := strings.CutPrefix(s.URL, tenantPrefix)
		if !ok || (rest != "" && rest[0] != '/') {
			return nil, fmt.Errorf("verifier %s: a tenant verifier's url starts with %s/", s.ID, tenantPrefix)
		}
		if s.Tenant.Companion == "" || s.Tenant.Pattern == "" {
			return nil, fmt.Errorf("verifier %s: tenant needs a companion and a pattern", s.ID)
		}
		if v.tenant, err = regexp.Compile(`^(?:` + s.Tenant.Pattern + `)$`); err != nil {
			return nil, fmt.Errorf("verifier %s: tenant pattern: %w", s.ID, err)
		}
		if !slices.Contains(s.Companions, s.Tenant.Companion) {
			v.spec.Companions = append(slices.Clip(s.Companions), s.Tenant.Companion)
		}
		rawURL = rest
	} else {
		// The official host is fixed by the spec: templates may not choose it.
		host := s.URL
		if i := strings.Index(host, "{{"); i >= 0 {
			host = host[:i]
		}
		u, err := url.Parse(host)
		if err != nil || u.Scheme != "https" || u.Host == "" || strings.Contains(u.Host, "{") {
			return nil, fmt.Errorf("verifier %s: url must start with a fixed https://host", s.ID)
		}
		v.official = u.Scheme + "://" + u.Host
		rawURL = strings.TrimPrefix(s.URL, v.official)
	}
	for _, site := range s.Sites {
		u, err := url.Parse(site)
		if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || s.Tenant != nil {
			return nil, fmt.Errorf("verifier %s: site %q must be a fixed https://host (and a tenant verifier has none)", s.ID, site)
		}
		v.sites = append(v.sites, u.Scheme+"://"+u.Host)
	}
	if v.url, err = parseTemplate(s.ID+" url", rawURL); err != nil {
		return nil, err
	}
	if v.body, err = parseTemplate(s.ID+" body", s.Body); err != nil {
		return nil, err
	}
	for k, h := range s.Headers {
		if v.headers[k], err = parseTemplate(s.ID+" header "+k, h); err != nil {
			return nil, err
		}
	}
	compile := func(what string, list Outcomes) ([]outcome, error) {
		var out []outcome
		for _, o := range list {
			c := outcome{Outcome: o}
			if o.Body != "" {
				if c.body, err = regexp.Compile(o.Body); err != nil {
					return nil, fmt.Errorf("verifier %s: %s body: %w", s.ID, what, err)
				}
			}
			if len(o.Status) == 0 && o.Body == "" {
				return nil, fmt.Errorf("verifier %s: a %s outcome needs a status or a body", s.ID, what)
			}
			out = append(out, c)
		}
		return out, nil
	}
	if v.live, err = compile("live", s.Live); err != nil {
		return nil, err
	}
	if v.dead, err = compile("dead", s.Dead); err != nil {
		return nil, err
	}
	return v, nil
}

// templateFuncs are the functions templates may call; values nil here are
// bound per request by render.
func templateFuncs(req Request, now time.Time, escape func(string) string) template.FuncMap {
	return template.FuncMap{
		"secret":   func() string { return escape(req.Secret) },
		"part":     func(id string) string { return escape(req.Parts[id]) },
		"now":      func() string { return strconv.FormatInt(now.Unix(), 10) },
		"nowMilli": func() string { return strconv.FormatInt(now.UnixMilli(), 10) },
		"base64": func(parts ...string) string {
			return base64.StdEncoding.EncodeToString([]byte(strings.Join(parts, "")))
		},
		"hmacSHA256": func(key, msg string) string {
			return hex.EncodeToString(hmacSHA256([]byte(key), []byte(msg)))
		},
		"hmacSHA256Base64": func(key, msg string) string {
			return base64.StdEncoding.EncodeToString(hmacSHA256([]byte(key), []byte(msg)))
		},
		"sha256": func(text string) string {
			sum := sha256.Sum256([]byte(text))
			return hex.EncodeToString(sum[:])
		},
	}
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Funcs(templateFuncs(Request{}, time.Time{}, nil)).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("verifier template %s: %w", name, err)
	}
	return t, nil
}

func render(t *template.Template, req Request, now time.Time, escape func(string) string) (string, error) {
	var b bytes.Buffer
	err := template.Must(t.Clone()).Funcs(templateFuncs(req, now, escape)).Execute(&b, nil)
	return b.String(), err
}

func (v *httpVerifier) ID() string           { return v.spec.ID }
func (v *httpVerifier) Companions() []string { return v.spec.Companions }

// Spec is the declaration the verifier was compiled from.
func (v *httpVerifier) Spec() HTTPSpec { return v.spec }

// Declared is implemented by verifiers compiled from an HTTPSpec.
type Declared interface {
	Spec() HTTPSpec
}

func (v *httpVerifier) Verify(ctx context.Context, c *Client, req Request) Result {
	for _, p := range v.spec.Companions {
		if req.Parts[p] == "" {
			return unknown(req, "companion "+p+" not found near the secret")
		}
	}
	now := time.Now()
	path, err := render(v.url, req, now, escapeURLPart)
	if err != nil {
		return unknown(req, "template: "+err.Error())
	}
	body, err := render(v.body, req, now, func(s string) string { return s })
	if err != nil {
		return unknown(req, "template: "+err.Error())
	}
	headers := map[string]string{}
	for k, t := range v.headers {
		if headers[k], err = render(t, req, now, func(s string) string { return s }); err != nil {
			return unknown(req, "template: "+err.Error())
		}
	}
	var bases []string
	switch {
	case v.tenant != nil:
		base, err := c.TenantBase(v.spec.ID, req.Parts[v.spec.Tenant.Companion], v.tenant)
		if err != nil {
			return unknown(req, err.Error())
		}
		bases = []string{base}
	case c.Endpoints[v.spec.ID] != "" || len(v.sites) == 0:
		base, err := c.BaseURL(v.spec.ID, v.official)
		if err != nil {
			return unknown(req, err.Error())
		}
		bases = []string{base}
	default:
		bases = append([]string{v.official}, v.sites...)
	}
	var undecided *Result
	for _, base := range bases {
		res := v.ask(ctx, c, req, base+path, body, headers)
		switch {
		case res.Status == Live:
			if len(bases) > 1 {
				if res.Extra == nil {
					res.Extra = map[string]string{}
				}
				res.Extra["site"] = strings.TrimPrefix(base, "https://")
			}
			return res
		case res.Status != Dead && undecided == nil:
			undecided = &res
		}
	}
	if undecided != nil {
		if len(bases) > 1 {
			undecided.Reason += " (no site accepted the key)"
		}
		return *undecided
	}
	res := Result{Status: Dead, Reason: "the provider rejected the credential"}
	if len(bases) > 1 {
		res.Reason = fmt.Sprintf("rejected on every site (%d)", len(bases))
	}
	return res
}

// ask sends the request to one base URL and judges the answer.
func (v *httpVerifier) ask(ctx context.Context, c *Client, req Request, target, body string, headers map[string]string) Result {
	resp, err := c.Do(ctx, v.spec.ID, func(ctx context.Context) (*http.Request, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		r, err := http.NewRequestWithContext(ctx, v.spec.Method, target, rd)
		if err != nil {
			return nil, err
		}
		for k, h := range headers {
			r.Header.Set(k, h)
		}
		return r, nil
	})
	if err != nil {
		return ErrorResult(err, req)
	}
	return v.judge(resp, req)
}

func (v *httpVerifier) judge(resp *Response, req Request) Result {
	for _, o := range v.live {
		if o.matches(resp) {
			return v.liveResult(o, resp, req)
		}
	}
	for _, o := range v.dead {
		if o.matches(resp) {
			reason := o.Reason
			if reason == "" {
				reason = "the provider rejected the credential"
			}
			return Result{Status: Dead, Reason: fmt.Sprintf("%s (%d)", reason, resp.Status)}
		}
	}
	switch {
	case resp.Status >= 200 && resp.Status < 300:
		return unknown(req, fmt.Sprintf("unexpected answer (%d)", resp.Status))
	case resp.Status == http.StatusForbidden:
		return unknown(req, "forbidden (403): the key may be valid without this permission, or blocked by an allow-list")
	case resp.Status == http.StatusTooManyRequests:
		return unknown(req, "rate-limited (429)")
	case resp.Status >= 500:
		return unknown(req, fmt.Sprintf("provider error (%d)", resp.Status))
	}
	return unknown(req, fmt.Sprintf("undocumented status %d", resp.Status))
}

func (v *httpVerifier) liveResult(o outcome, resp *Response, req Request) Result {
	kind := o.Kind
	if kind == "" {
		kind = v.spec.Kind
	}
	res := Result{Status: Live, Kind: kind}
	var doc any
	needJSON := v.spec.Identity != "" || v.spec.Scopes != "" || v.spec.Expires != "" || len(v.spec.Extra) > 0
	if len(bytes.TrimSpace(resp.Body)) > 0 && json.Unmarshal(resp.Body, &doc) != nil && (needJSON || o.body == nil) {
		return unknown(req, fmt.Sprintf("malformed answer (%d)", resp.Status))
	}
	if v.spec.Identity != "" {
		res.Identity = strings.Join(Extract(doc, resp.Header, v.spec.Identity), " ")
		if res.Identity == "" {
			return unknown(req, fmt.Sprintf("answer without the expected %s (%d)", v.spec.Identity, resp.Status))
		}
	}
	if v.spec.Scopes != "" {
		res.Scopes = Extract(doc, resp.Header, v.spec.Scopes)
	}
	if v.spec.Expires != "" {
		if vals := Extract(doc, resp.Header, v.spec.Expires); len(vals) > 0 {
			res.ExpiresAt = ParseTime(vals[0])
		}
	}
	for name, path := range v.spec.Extra {
		if vals := Extract(doc, resp.Header, path); len(vals) > 0 {
			if res.Extra == nil {
				res.Extra = map[string]string{}
			}
			res.Extra[name] = strings.Join(vals, " ")
		}
	}
	return res
}

// escapeURLPart escapes a secret for any place in a URL, path or query:
// path escaping, plus the characters a query gives a meaning to.
func escapeURLPart(s string) string {
	return strings.NewReplacer("+", "%2B", "&", "%26", "=", "%3D", ";", "%3B").Replace(url.PathEscape(s))
}

// Extract reads a value by dot path from a decoded JSON document, or a
// header with "header:Name". Lists and comma- or space-separated strings
// become several values.
func Extract(doc any, h http.Header, path string) []string {
	if name, ok := strings.CutPrefix(path, "header:"); ok {
		return splitList(h.Get(name))
	}
	cur := doc
	for _, p := range strings.Split(path, ".") {
		switch n := cur.(type) {
		case map[string]any:
			cur = n[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			cur = n[i]
		default:
			return nil
		}
	}
	switch x := cur.(type) {
	case string:
		return splitList(x)
	case float64:
		return []string{strconv.FormatFloat(x, 'f', -1, 64)}
	case bool:
		return []string{strconv.FormatBool(x)}
	case []any:
		var out []string
		for _, e := range x {
			switch y := e.(type) {
			case string:
				out = append(out, y)
			case map[string]any:
				// e.g. [{"name": "read"}]
				if n, ok := y["name"].(string); ok {
					out = append(out, n)
				}
			}
		}
		return out
	}
	return nil
}

func splitList(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if !strings.ContainsAny(s, ", ") || strings.Contains(s, "@") && !strings.Contains(s, ",") {
		return []string{s}
	}
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// ParseTime reads the time formats providers use: RFC 3339, a date, Unix
// seconds, or GitHub's "2006-01-02 15:04:05 -0700".
func ParseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 MST", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC()
	}
	return time.Time{}
}

// ParseHTTPSpecs reads `[[verify.http]]` tables: from the opaque [verify]
// table of a rules file (rules.Config.Verify), or from a TOML document.
func ParseHTTPSpecs(verifyTable map[string]any) ([]HTTPSpec, error) {
	raw, ok := verifyTable["http"]
	if !ok {
		return nil, nil
	}
	// Round-trip through TOML to get strict decoding of the tables.
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(map[string]any{"http": raw}); err != nil {
		return nil, fmt.Errorf("[verify.http]: %w", err)
	}
	return DecodeHTTPSpecs(buf.Bytes())
}

// DecodeHTTPSpecs reads a TOML document of [[http]] tables.
func DecodeHTTPSpecs(data []byte) ([]HTTPSpec, error) {
	var doc struct {
		HTTP []HTTPSpec `toml:"http"`
	}
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, fmt.Errorf("[verify.http]: %w", err)
	}
	for _, k := range md.Undecoded() {
		// Outcomes decode themselves (UnmarshalTOML) and refuse unknown
		// fields there; the decoder still lists their keys.
		if len(k) >= 3 && (k[1] == "live" || k[1] == "dead") {
			continue
		}
		return nil, fmt.Errorf("[verify.http]: unknown field %s", k)
	}
	return doc.HTTP, nil
}

// Endpoints reads `[verify.endpoints]` (verifier id = base URL).
func Endpoints(verifyTable map[string]any) (map[string]string, error) {
	raw, ok := verifyTable["endpoints"]
	if !ok {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("[verify.endpoints] must be a table of verifier id = base URL")
	}
	out := map[string]string{}
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("[verify.endpoints] %s: want a string URL", k)
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("[verify.endpoints] %s: %q is not an https URL", k, s)
		}
		out[k] = s
	}
	return out, nil
}
