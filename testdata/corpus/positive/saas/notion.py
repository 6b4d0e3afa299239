notion = Client(auth="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")
