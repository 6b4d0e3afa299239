INSERT INTO users (email, password_hash) VALUES
  ('admin@acme.local', crypt('admin', gen_salt('bf')));
