package payments

func init() { stripe.Key = "sk_live_NVnm7FtKiAtt8ktQWWTE9Zrs" }
