package partner

const apiToken = "d8a6519c440510340395995c61768a15378c09b4"

func auth(r *http.Request) { r.Header.Set("Authorization", "Token "+apiToken) }
