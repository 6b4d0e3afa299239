package config

import "os"

// Config holds credentials read from the environment.
type Config struct {
	AWSAccessKeyID     string
	AWSSecretAccessKey string
	GitHubToken        string
	DBPassword         string
}

func Load() Config {
	return Config{
		AWSAccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		AWSSecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		GitHubToken:        os.Getenv("GITHUB_TOKEN"),
		DBPassword:         os.Getenv("DB_PASSWORD"),
	}
}
