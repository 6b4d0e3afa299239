password = None
api_key = ""
secret = get_secret("db")
token: str | None = None
AUTH_TOKEN_HEADER = "Authorization"
