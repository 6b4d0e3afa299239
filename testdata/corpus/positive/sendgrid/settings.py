EMAIL_BACKEND = "sendgrid_backend.SendgridBackend"
SENDGRID_API_KEY = "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"
DEFAULT_FROM_EMAIL = "noreply@acme-widgets.com"
