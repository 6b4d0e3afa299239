package notify

const webhook = "https://hooks.slack.com/services/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"
