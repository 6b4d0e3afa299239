package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
)

// HTTPSpec declares a verifier as one HTTP request, in TOML, so that users
// add verifiers for their own rules without writing Go:
//
//	[[verify.http]]
//	id = "acme"
//	url = "https://api.acme.example/v1/me"
//	headers = { Authorization = "Bearer {{secret}}" }
//	live = { status = [200] }
//	dead = { status = [401, 403] }
//	identity = "user.email"
//
// Templates (url, headers, body) know {{secret}}, {{part "rule-id"}} and
// {{base64 "text" ...}} (joins its arguments, then encodes).
type HTTPSpec struct {
	ID          string            `toml:"id"`
	Description string            `toml:"description"`
	Companions  []string          `toml:"companions"`
	Method      string            `toml:"method"`
	URL         string            `toml:"url"`
	Headers     map[string]string `toml:"headers"`
	Body        string            `toml:"body"`
	Live        Outcome           `toml:"live"`
	Dead        Outcome           `toml:"dead"`
	// Identity, Scopes and Expires are dot paths into a JSON body
	// ("user.email", "scopes", "data.0.name") or "header:Name".
	Identity string `toml:"identity"`
	Scopes   string `toml:"scopes"`
	Expires  string `toml:"expires"`
	Kind     string `toml:"kind"`
	// Extra names more facts to report, each a dot path or "header:Name":
	// extra = { account = "account.id", plan = "account.plan" }.
	Extra map[string]string `toml:"extra"`
}

// Outcome says which answers mean live or dead: a status in Status (when
// set) and a body matching Body (when set).
type Outcome struct {
	Status []int  `toml:"status"`
	Body   string `toml:"body"`
}

// httpVerifier runs an HTTPSpec.
type httpVerifier struct {
	spec             HTTPSpec
	url              *template.Template
	body             *template.Template
	headers          map[string]*template.Template
	liveBody, deadBy *regexp.Regexp
	official         string // scheme://host of the spec URL
}

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
	if len(s.Live.Status) == 0 {
		s.Live.Status = []int{200}
	}
	if len(s.Dead.Status) == 0 && s.Dead.Body == "" {
		s.Dead.Status = []int{401}
	}
	v := &httpVerifier{spec: s, headers: map[string]*template.Template{}}
	var err error
	if v.url, err = parseTemplate(s.ID+" url", s.URL); err != nil {
		return nil, err
	}
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
	if v.body, err = parseTemplate(s.ID+" body", s.Body); err != nil {
		return nil, err
	}
	for k, h := range s.Headers {
		if v.headers[k], err = parseTemplate(s.ID+" header "+k, h); err != nil {
			return nil, err
		}
	}
	if s.Live.Body != "" {
		if v.liveBody, err = regexp.Compile(s.Live.Body); err != nil {
			return nil, fmt.Errorf("verifier %s: live body: %w", s.ID, err)
		}
	}
	if s.Dead.Body != "" {
		if v.deadBy, err = regexp.Compile(s.Dead.Body); err != nil {
			return nil, fmt.Errorf("verifier %s: dead body: %w", s.ID, err)
		}
	}
	return v, nil
}

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Funcs(template.FuncMap{
		"secret": func() string { return "" },
		"part":   func(string) string { return "" },
		"base64": func(parts ...string) string { return "" },
	}).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("verifier template %s: %w", name, err)
	}
	return t, nil
}

func render(t *template.Template, req Request, escape func(string) string) (string, error) {
	var b bytes.Buffer
	err := template.Must(t.Clone()).Funcs(template.FuncMap{
		"secret": func() string { return escape(req.Secret) },
		"part":   func(id string) string { return escape(req.Parts[id]) },
		"base64": func(parts ...string) string {
			return base64.StdEncoding.EncodeToString([]byte(strings.Join(parts, "")))
		},
	}).Execute(&b, nil)
	return b.String(), err
}

func (v *httpVerifier) ID() string           { return v.spec.ID }
func (v *httpVerifier) Companions() []string { return v.spec.Companions }

func (v *httpVerifier) Verify(ctx context.Context, c *Client, req Request) Result {
	for _, p := range v.spec.Companions {
		if req.Parts[p] == "" {
			return unknown(req, "companion "+p+" not found near the secret")
		}
	}
	base, err := c.BaseURL(v.spec.ID, v.official)
	if err != nil {
		return unknown(req, err.Error())
	}
	raw, err := render(v.url, req, escapeURLPart)
	if err != nil {
		return unknown(req, "template: "+err.Error())
	}
	target := base + strings.TrimPrefix(raw, v.official)
	body, err := render(v.body, req, func(s string) string { return s })
	if err != nil {
		return unknown(req, "template: "+err.Error())
	}
	headers := map[string]string{}
	for k, t := range v.headers {
		if headers[k], err = render(t, req, func(s string) string { return s }); err != nil {
			return unknown(req, "template: "+err.Error())
		}
	}
	resp, err := c.Do(ctx, v.spec.ID, func(ctx context.Context) (*http.Request, error) {
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		var r *http.Request
		var err error
		if rd != nil {
			r, err = http.NewRequestWithContext(ctx, v.spec.Method, target, rd)
		} else {
			r, err = http.NewRequestWithContext(ctx, v.spec.Method, target, nil)
		}
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
	inStatus := func(list []int) bool {
		for _, s := range list {
			if s == resp.Status {
				return true
			}
		}
		return false
	}
	if inStatus(v.spec.Live.Status) && (v.liveBody == nil || v.liveBody.Match(resp.Body)) {
		res := Result{Status: Live, Kind: v.spec.Kind}
		var doc any
		if len(bytes.TrimSpace(resp.Body)) > 0 && json.Unmarshal(resp.Body, &doc) != nil {
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
	dead := false
	switch {
	case len(v.spec.Dead.Status) > 0 && v.deadBy != nil:
		dead = inStatus(v.spec.Dead.Status) && v.deadBy.Match(resp.Body)
	case len(v.spec.Dead.Status) > 0:
		dead = inStatus(v.spec.Dead.Status)
	case v.deadBy != nil:
		dead = v.deadBy.Match(resp.Body)
	}
	if dead {
		return Result{Status: Dead, Reason: fmt.Sprintf("the provider rejected the credential (%d)", resp.Status)}
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return unknown(req, fmt.Sprintf("unexpected answer (%d)", resp.Status))
	}
	return StatusResult(resp, req)
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
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("[verify.http]: unknown field %s", und[0])
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
