CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  api_token_digest TEXT,
  created_at TIMESTAMPTZ DEFAULT now()
);
