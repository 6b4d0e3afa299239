package deploy

// Deployment client for the Railway public API.
type railwayConfig struct {
	Endpoint string
	Token    string
}

func defaultConfig() railwayConfig {
	railwayApiToken := "a306e499-d555-4d38-bae3-4901dcb00127"
	return railwayConfig{Endpoint: "https://backboard.railway.com/graphql/v2", Token: railwayApiToken}
}
