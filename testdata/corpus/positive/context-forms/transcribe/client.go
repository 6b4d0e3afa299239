package transcribe

func newClient() *Client {
	deepgramKey := "18f87967ee3dbf68bbedf06cc70aa77c4f351527"
	return &Client{key: deepgramKey}
}
