package verifiers

import (
	"net/http"
	"strings"
	"testing"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

// TestDeclaredVerifiers runs the first declared verifiers against fakes
// written by hand from their providers' documentation, which check the
// credential's exact form (header, scheme, path) rather than the
// declaration's own rendering of it.
func TestDeclaredVerifiers(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	const tok = "tok_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6"
	json401 := `{"error":{"message":"Invalid authentication"}}`
	cases := []vt.Case{
		{ID: "openai", Path: "/v1/models", Authorized: vt.Bearer(tok), LiveBody: `{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}`, DeadStatus: 401, DeadBody: `{"error":{"code":"invalid_api_key"}}`},
		{ID: "anthropic", Path: "/v1/models", Authorized: func(r *http.Request) bool {
			return r.Header.Get("x-api-key") == tok && r.Header.Get("anthropic-version") != ""
		}, LiveBody: `{"data":[{"id":"claude-sonnet-4","type":"model"}],"has_more":false}`, DeadStatus: 401, DeadBody: `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`},
		{ID: "groq", Path: "/openai/v1/models", Authorized: vt.Bearer(tok), LiveBody: `{"object":"list","data":[]}`, DeadStatus: 401, DeadBody: json401},
		{ID: "mistral", Path: "/v1/models", Authorized: vt.Bearer(tok), LiveBody: `{"object":"list","data":[]}`, DeadStatus: 401, DeadBody: `{"message":"Unauthorized"}`},
		{ID: "huggingface", Path: "/api/whoami-v2", Authorized: vt.Bearer(tok), LiveBody: `{"type":"user","name":"ada","auth":{"type":"access_token","accessToken":{"displayName":"ci","role":"write"}}}`, Identity: "ada", Scopes: []string{"write"}, DeadStatus: 401, DeadBody: `{"error":"Invalid credentials in Authorization header"}`},
		{ID: "replicate", Path: "/v1/account", Authorized: vt.Bearer(tok), LiveBody: `{"type":"user","username":"ada","name":"Ada"}`, Identity: "ada", DeadStatus: 401, DeadBody: `{"detail":"Invalid token."}`},
		{ID: "sendgrid", Path: "/v3/scopes", Authorized: vt.Bearer(tok), LiveBody: `{"scopes":["mail.send","alerts.read"]}`, Scopes: []string{"mail.send", "alerts.read"}, DeadStatus: 401, DeadBody: `{"errors":[{"field":null,"message":"authorization required"}]}`},
		{ID: "npm", Path: "/-/whoami", Authorized: vt.Bearer(tok), LiveBody: `{"username":"ada"}`, Identity: "ada", DeadStatus: 401, DeadBody: `{"error":"Unauthorized"}`},
		{ID: "heroku", Path: "/account", Authorized: func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer "+tok && strings.Contains(r.Header.Get("Accept"), "version=3")
		}, LiveBody: `{"email":"ada@example.com","id":"01234567-89ab-cdef-0123-456789abcdef"}`, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"id":"unauthorized","message":"Invalid credentials provided."}`},
		{ID: "digitalocean", Path: "/v2/account", Authorized: vt.Bearer(tok), LiveBody: `{"account":{"email":"ops@example.com","status":"active"}}`, Identity: "ops@example.com", DeadStatus: 401, DeadBody: `{"id":"Unauthorized","message":"Unable to authenticate you"}`},
		{ID: "cloudflare", Path: "/client/v4/user/tokens/verify", Authorized: vt.Bearer(tok), LiveBody: `{"result":{"id":"f267e341f3dd4697bd3b9f71dd96247f","status":"active","expires_on":"2027-01-01T00:00:00Z"},"success":true,"errors":[],"messages":[]}`, Identity: "f267e341f3dd4697bd3b9f71dd96247f", Expires: "2027-01-01T00:00:00Z", DeadStatus: 401, DeadBody: `{"success":false,"errors":[{"code":1000,"message":"Invalid API Token"}]}`},
		{ID: "discord", Path: "/api/v10/users/@me", Authorized: vt.Header("Authorization", "Bot "+tok), LiveBody: `{"id":"80351110224678912","username":"deploy-bot","bot":true}`, Identity: "deploy-bot", DeadStatus: 401, DeadBody: `{"message":"401: Unauthorized","code":0}`},
		{ID: "telegram", Path: "/bot" + tok + "/getMe", Authorized: func(r *http.Request) bool { return r.URL.Path == "/bot"+tok+"/getMe" }, LiveBody: `{"ok":true,"result":{"id":123456789,"is_bot":true,"username":"acme_bot"}}`, Identity: "acme_bot", DeadStatus: 401, DeadBody: `{"ok":false,"error_code":401,"description":"Unauthorized"}`},
		{ID: "newrelic", Method: "POST", Path: "/graphql", Authorized: vt.Header("API-Key", tok), LiveBody: `{"data":{"actor":{"user":{"email":"ada@example.com"}}}}`, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"errors":[{"message":"Invalid API key"}]}`},
		{ID: "sentry", Path: "/api/0/", Authorized: vt.Bearer(tok), LiveBody: `{"version":"0","auth":{"scopes":["org:read","project:read"]},"user":{"email":"ada@example.com"}}`, Identity: "ada@example.com", Scopes: []string{"org:read", "project:read"}, DeadStatus: 401, DeadBody: `{"detail":"Invalid token"}`},
		{ID: "notion", Path: "/v1/users/me", Authorized: func(r *http.Request) bool {
			return r.Header.Get("Authorization") == "Bearer "+tok && r.Header.Get("Notion-Version") != ""
		}, LiveBody: `{"object":"user","id":"6794760a-1f15-45cd-9c65-0dfe42f5135a","name":"Deploy integration","type":"bot"}`, Identity: "Deploy integration", DeadStatus: 401, DeadBody: `{"object":"error","status":401,"code":"unauthorized","message":"API token is invalid."}`},
		{ID: "linear", Method: "POST", Path: "/graphql", Authorized: vt.Header("Authorization", tok), LiveBody: `{"data":{"viewer":{"email":"ada@example.com"}}}`, Identity: "ada@example.com", DeadStatus: 400, DeadBody: `{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error"}}]}`},
		{ID: "postman", Path: "/me", Authorized: vt.Header("X-Api-Key", tok), LiveBody: `{"user":{"id":12345678,"username":"ada","email":"ada@example.com"}}`, Identity: "ada", DeadStatus: 401, DeadBody: `{"error":{"name":"AuthenticationError","message":"Invalid API Key."}}`},
		{ID: "vercel", Path: "/v2/user", Authorized: vt.Bearer(tok), LiveBody: `{"user":{"id":"AEIIDYVk59zbFF2Sxfyxxmua","email":"ada@example.com","username":"ada"}}`, Identity: "ada@example.com", DeadStatus: 403, DeadBody: `{"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}}`},
		{ID: "netlify", Path: "/api/v1/user", Authorized: vt.Bearer(tok), LiveBody: `{"id":"5f5b3c","email":"ada@example.com"}`, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"code":401,"message":"Access Denied"}`},
		{ID: "pagerduty", Path: "/abilities", Authorized: vt.Header("Authorization", "Token token="+tok), LiveBody: `{"abilities":["teams","read_only_users"]}`, Scopes: []string{"teams", "read_only_users"}, DeadStatus: 401, DeadBody: `{"error":{"message":"Authentication failed","code":2006}}`},
		{ID: "circleci", Path: "/api/v2/me", Authorized: vt.Header("Circle-Token", tok), LiveBody: `{"id":"b2d1d1a2","login":"ada","name":"Ada"}`, Identity: "ada", DeadStatus: 401, DeadBody: `{"message":"You must log in first."}`},
		{ID: "buildkite", Path: "/v2/access-token", Authorized: vt.Bearer(tok), LiveBody: `{"uuid":"b63254c0-3271-4a98-8270-7cfbd6c2f14e","scopes":["read_builds","read_pipelines"]}`, Identity: "b63254c0-3271-4a98-8270-7cfbd6c2f14e", Scopes: []string{"read_builds", "read_pipelines"}, DeadStatus: 401, DeadBody: `{"message":"Authentication required. Please supply a valid API Access Token"}`},
		{ID: "airtable", Path: "/v0/meta/whoami", Authorized: vt.Bearer(tok), LiveBody: `{"id":"usrL2PNC5o3H4lBEi","email":"ada@example.com","scopes":["data.records:read"]}`, Identity: "ada@example.com", Scopes: []string{"data.records:read"}, DeadStatus: 401, DeadBody: `{"error":{"type":"AUTHENTICATION_REQUIRED","message":"Authentication required"}}`},
		{ID: "figma", Path: "/v1/me", Authorized: vt.Header("X-Figma-Token", tok), LiveBody: `{"id":"12345","email":"ada@example.com","handle":"Ada"}`, Identity: "ada@example.com", DeadStatus: 403, DeadBody: `{"status":403,"err":"Invalid token"}`},
		{ID: "doppler", Path: "/v3/me", Authorized: vt.Bearer(tok), LiveBody: `{"workplace":{"slug":"acme","name":"Acme"},"type":"service_token","success":true}`, Identity: "Acme", DeadStatus: 401, DeadBody: `{"messages":["Invalid Auth token"],"success":false}`},
		{ID: "terraform-cloud", Path: "/api/v2/account/details", Authorized: vt.Bearer(tok), LiveBody: `{"data":{"id":"user-V3R563qtJNcExAkN","type":"users","attributes":{"username":"ada","email":"ada@example.com"}}}`, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"errors":[{"status":"401","title":"unauthorized"}]}`},
		{ID: "supabase", Path: "/v1/projects", Authorized: vt.Bearer(tok), LiveBody: `[{"id":"abcdefghijklmnopqrst","name":"prod"}]`, DeadStatus: 401, DeadBody: `{"message":"Unauthorized"}`},
		{ID: "postmark", Path: "/server", Authorized: vt.Header("X-Postmark-Server-Token", tok), LiveBody: `{"ID":1,"Name":"Production","ApiTokens":["redacted"]}`, Identity: "Production", DeadStatus: 401, DeadBody: `{"ErrorCode":10,"Message":"Bad or missing Server API token."}`},
		{ID: "linode", Path: "/v4/profile", Authorized: vt.Bearer(tok), LiveBody: `{"username":"ada","email":"ada@example.com"}`, Identity: "ada", DeadStatus: 401, DeadBody: `{"errors":[{"reason":"Invalid Token"}]}`},
		{ID: "vultr", Path: "/v2/account", Authorized: vt.Bearer(tok), LiveBody: `{"account":{"name":"Ada","email":"ada@example.com","acls":["manage_users"]}}`, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"error":"Invalid API token.","status":401}`},
		{ID: "honeycomb", Path: "/1/auth", Authorized: vt.Header("X-Honeycomb-Team", tok), LiveBody: `{"id":"a1b2c3","type":"configuration","team":{"name":"Acme","slug":"acme"},"environment":{"name":"prod","slug":"prod"}}`, Identity: "acme", DeadStatus: 401, DeadBody: `{"error":"unknown API key - check your credentials"}`},
		{ID: "square", Path: "/v2/merchants/me", Authorized: vt.Bearer(tok), LiveBody: `{"merchant":{"id":"DM7VKY8Q63GNP","business_name":"Acme Coffee","country":"US"}}`, Identity: "Acme Coffee", DeadStatus: 401, DeadBody: `{"errors":[{"category":"AUTHENTICATION_ERROR","code":"UNAUTHORIZED","detail":"This request could not be authorized."}]}`},
		{ID: "dropbox", Method: "POST", Path: "/2/users/get_current_account", Authorized: vt.Bearer(tok), LiveBody: `{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","email":"ada@example.com"}`, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"error_summary":"invalid_access_token/","error":{".tag":"invalid_access_token"}}`},
		{ID: "cohere", Method: "POST", Path: "/v1/check-api-key", Authorized: vt.Bearer(tok), LiveBody: `{"valid":true,"organization_id":"8e3b6a0c-2f44-4f0e-9c65-1d7e8a9b2c31","owner_id":"b1f0c9a2"}`, Identity: "8e3b6a0c-2f44-4f0e-9c65-1d7e8a9b2c31", DeadStatus: 401, DeadBody: `{"message":"invalid api token"}`},
		{ID: "mapbox", Path: "/tokens/v2", Authorized: func(r *http.Request) bool { return r.URL.Query().Get("access_token") == tok }, LiveBody: `{"code":"TokenValid","token":{"usage":"sk","user":"ada","authorization":"cijucimbe000brbkt48d0dhcx","client":"api","scopes":["styles:read","tokens:write"]}}`, Identity: "ada", Scopes: []string{"styles:read", "tokens:write"}, DeadStatus: 401, DeadBody: `{"code":"TokenInvalid","token":null}`},
		{ID: "asana", Path: "/api/1.0/users/me", Authorized: vt.Bearer(tok), LiveBody: `{"data":{"gid":"12345","email":"ada@example.com","name":"Ada","resource_type":"user"}}`, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"errors":[{"message":"Not Authorized"}]}`},
		{ID: "hubspot", Path: "/account-info/v3/details", Authorized: vt.Bearer(tok), LiveBody: `{"portalId":62515,"accountType":"STANDARD","timeZone":"US/Eastern","companyCurrency":"USD","uiDomain":"app.hubspot.com"}`, Identity: "62515", DeadStatus: 401, DeadBody: `{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`},
		{ID: "planetscale", Parts: map[string]string{"planetscale-service-token-id": "x4r7kq2m9p1z"}, Path: "/v1/organizations", Authorized: vt.Header("Authorization", "x4r7kq2m9p1z:"+tok), LiveBody: `{"type":"list","current_page":1,"data":[{"id":"org_abc","type":"Organization","name":"acme"}]}`, Identity: "acme", DeadStatus: 401, DeadBody: `{"code":"unauthorized","message":"Unauthorized"}`},
		{ID: "scaleway", Path: "/account/v3/projects", Authorized: vt.Header("X-Auth-Token", tok), LiveBody: `{"total_count":1,"projects":[{"id":"6170692e-7363-616c-6577-61792e636f6d","name":"default","organization_id":"0f4d2c1e-8b7a-4c3d-9e6f-5a4b3c2d1e0f"}]}`, Identity: "0f4d2c1e-8b7a-4c3d-9e6f-5a4b3c2d1e0f", DeadStatus: 401, DeadBody: `{"message":"authentication is denied","method":"api_key","reason":"invalid_argument","type":"denied_authentication"}`},
		{ID: "hetzner", Path: "/v1/servers", Authorized: vt.Bearer(tok), LiveBody: `{"servers":[],"meta":{"pagination":{"page":1,"per_page":1,"total_entries":0}}}`, DeadStatus: 401, DeadBody: `{"error":{"code":"unauthorized","message":"unable to authenticate"}}`},
		{ID: "perplexity", Path: "/router/v1/models", Authorized: vt.Bearer(tok), LiveBody: `{"object":"list","data":[{"id":"sonar","object":"model"}]}`, DeadStatus: 401, DeadBody: `{"error":{"message":"Invalid API key provided.","type":"invalid_api_key","code":401}}`},
		{ID: "rubygems", Path: "/api/v1/gems.json", Authorized: vt.Header("Authorization", tok), LiveBody: `[{"name":"acme-client","downloads":1234,"version":"1.2.0"}]`, DeadStatus: 401, DeadBody: `Access Denied. Please sign up for an account at https://rubygems.org`},
	}
	for _, c := range cases {
		if c.Secret == "" {
			c.Secret = tok
		}
		v, ok := all[c.ID]
		if !ok {
			t.Fatalf("no verifier %q", c.ID)
		}
		c.SkipTimeout = true // the client's one timeout path is tested with the code verifiers
		vt.Run(t, v, c)
	}
	// Every other declared verifier runs against its own samples
	// (TestCatalogueVerifiersConform).
}

func TestBuiltinHasNoDuplicates(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 40 {
		t.Errorf("%d verifiers, want at least 40", len(all))
	}
	if _, err := With(code(), []verify.HTTPSpec{{ID: "github", URL: "https://example.com/"}}); err == nil {
		t.Error("a duplicate id was accepted")
	}
}
