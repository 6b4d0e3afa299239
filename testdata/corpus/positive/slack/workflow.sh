curl -X POST -H 'Content-Type: application/json' -d '{"msg":"done"}' https://hooks.slack.com/workflows/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
