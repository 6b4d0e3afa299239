package google

import (
	"net/http"
	"testing"

	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

func TestVerifier(t *testing.T) {
	const key = "AIzaSyQ2x9LmP4vR7sT1uW3yZ5aB8cD6eF0g1h2"
	vt.Run(t, Verifier{}, vt.Case{
		ID: "google-api", Secret: key, Path: "/v1beta/models",
		Authorized: func(r *http.Request) bool { return r.URL.Query().Get("key") == key },
		LiveBody:   `{"models":[{"name":"models/gemini-2.0-flash"}],"nextPageToken":"x"}`,
		DeadStatus: 400, DeadBody: `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"reason":"API_KEY_INVALID"}]}}`,
	})
}
