-- seed roles
INSERT INTO roles (id, name) VALUES ('cb9a1bf2-f93f-a317-b218-792e3b9a2ff8', 'admin');
INSERT INTO roles (id, name) VALUES ('707da6f6-7420-61a1-2e84-ab887f74764c', 'viewer');
