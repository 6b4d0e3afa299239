-- seed roles
INSERT INTO roles (id, name) VALUES ('6333e96e-f7ac-5006-99fd-7cfe9e903729', 'admin');
INSERT INTO roles (id, name) VALUES ('376d9561-fd6b-c371-70e1-e3776dca25ca', 'viewer');
