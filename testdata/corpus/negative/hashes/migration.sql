-- seed roles
INSERT INTO roles (id, name) VALUES ('5b4e018b-5ded-b671-bd92-8abd3cff255f', 'admin');
INSERT INTO roles (id, name) VALUES ('570b4e3d-0313-8bda-0416-651a2491b6db', 'viewer');
