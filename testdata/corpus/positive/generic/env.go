package config

var (
	apiSecret = "1D8tCZKxJtDIFvCHYO85Tmh5VOLfQn8W1u3JRuFH"
)
