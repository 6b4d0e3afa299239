package fly

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func viewerQuery(auth string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		var q struct{ Query string }
		return r.Header.Get("Authorization") == auth &&
			json.NewDecoder(r.Body).Decode(&q) == nil && strings.Contains(q.Query, "viewer")
	}
}

func TestVerifier(t *testing.T) {
	const macaroon = "FlyV1 fm2_lJPECAAAAAAAAOqixBAUo1J8XDqLMzbS5u6HzlyqwrVodHRwczovL2FwaS5mbHkuaW8vdjGUAJLOAAJqAh8Lk7lodHRwczovL2FwaS5mbHkuaW8vYWFhL3YxxDw"
	const legacy = "q9nSu2mT9uWm0Zx1cFb2eB4kGgYlQe5p3RkYz7h0AbC"
	live := `{"data":{"viewer":{"email":"ada@example.com"}}}`
	dead := `{"data":{"viewer":null},"errors":[{"message":"You must be authenticated to view this.","extensions":{"code":"UNAUTHORIZED"}}]}`
	vt.Run(t, Verifier{}, vt.Case{ID: "fly", Secret: macaroon, Method: "POST", Path: "/graphql", Authorized: viewerQuery(macaroon),
		LiveBody: live, Identity: "ada@example.com", DeadStatus: 200, DeadBody: dead})
	vt.Run(t, Verifier{}, vt.Case{ID: "fly", Secret: legacy, Method: "POST", Path: "/graphql", Authorized: viewerQuery("Bearer " + legacy),
		LiveBody: live, Identity: "ada@example.com", DeadStatus: 401, DeadBody: `{"errors":[{"message":"unauthorized"}]}`})
}
