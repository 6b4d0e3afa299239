package verify

// Token declares the most common provider shape in one line: the secret in
// one request header (after Prefix, e.g. "Bearer "), a GET of one official
// https URL, 200 live, 401 and 403 dead, the identity read from the JSON
// answer by a dot path (empty: none). It panics on a malformed URL, which
// is a programming error in the built-in list.
func Token(id, url, header, prefix, identity string) Verifier {
	return MustCompileHTTP(HTTPSpec{
		ID:       id,
		URL:      url,
		Headers:  map[string]string{header: prefix + "{{secret}}"},
		Identity: identity,
		Dead:     Outcome{Status: []int{401, 403}},
	})
}

// Bearer is Token with "Authorization: Bearer <secret>".
func Bearer(id, url, identity string) Verifier {
	return Token(id, url, "Authorization", "Bearer ", identity)
}

// MustCompileHTTP is CompileHTTP for specs fixed in code.
func MustCompileHTTP(s HTTPSpec) Verifier {
	v, err := CompileHTTP(s)
	if err != nil {
		panic(err)
	}
	return v
}
