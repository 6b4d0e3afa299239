package main

import (
	"context"

	"github.com/google/go-github/v60/github"
)

func client() *github.Client {
	return github.NewClient(nil).WithAuthToken("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")
}

func main() { _, _, _ = client().Repositories.List(context.Background(), "", nil) }
