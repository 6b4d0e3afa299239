# Negative files: look-alikes that must not be reported.
# Executed by gen.py (helpers come from there).

# ---------------- placeholders and templates ----------------
neg("placeholders/.env.example", """# Copy to .env and fill in
AWS_ACCESS_KEY_ID=
AWS_SECRET_ACCESS_KEY=
DATABASE_URL=postgres://user:password@localhost:5432/app
STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx
OPENAI_API_KEY=your-api-key-here
SLACK_BOT_TOKEN=xoxb-your-token
JWT_SECRET=changeme
""")
neg("placeholders/config.sample.yaml", """database:
  host: localhost
  user: app
  password: <your-db-password>
api:
  key: ${API_KEY}
  secret: "{{ .Values.api.secret }}"
""")
neg("placeholders/helm-secret.yaml", """apiVersion: v1
kind: Secret
metadata:
  name: {{ include "app.fullname" . }}
type: Opaque
data:
  password: {{ .Values.db.password | b64enc | quote }}
  api-key: {{ required "apiKey is required" .Values.apiKey | b64enc }}
""")
neg("placeholders/alembic.ini", """[alembic]
script_location = migrations
sqlalchemy.url = postgresql://%(DB_USER)s:%(DB_PASS)s@%(DB_HOST)s/%(DB_NAME)s
""")
neg("placeholders/settings.py", """import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "PASSWORD": os.environ.get("DB_PASSWORD", ""),
    }
}
""")
neg("placeholders/terraform.tfvars.example", """# aws credentials are read from the environment
access_key    = "YOUR_ACCESS_KEY"
secret_key    = "YOUR_SECRET_KEY"
db_password   = "CHANGE_ME"
""")
neg("placeholders/docker-compose.yml", """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}
      POSTGRES_USER: ${POSTGRES_USER:-app}
  api:
    environment:
      DATABASE_URL: postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@db:5432/app
""")
neg("placeholders/github-actions.yml", """jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }}
      AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
      GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
    steps:
      - run: echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc
""")
neg("placeholders/gitlab-ci.yml", """deploy:
  script:
    - docker login -u "$CI_REGISTRY_USER" -p "$CI_REGISTRY_PASSWORD" "$CI_REGISTRY"
    - 'curl --header "PRIVATE-TOKEN: $GITLAB_API_TOKEN" https://gitlab.com/api/v4/projects'
""")
neg("placeholders/README.md", """## Configuration

Set the following environment variables:

| Variable | Description |
| --- | --- |
| `GITHUB_TOKEN` | a personal access token (`ghp_...`) with `repo` scope |
| `SLACK_WEBHOOK_URL` | e.g. `https://hooks.slack.com/services/T000/B000/XXXX` |
| `OPENAI_API_KEY` | your OpenAI key, starting with `sk-` |

```bash
export GITHUB_TOKEN=<your token>
export OPENAI_API_KEY="sk-..."
```
""")
neg("placeholders/application.yml", """spring:
  datasource:
    url: jdbc:postgresql://localhost:5432/app
    username: ${DB_USER}
    password: ${DB_PASSWORD}
  mail:
    password: ${SMTP_PASSWORD:}
""")
neg("placeholders/appsettings.Development.json", """{
  "ConnectionStrings": {
    "Default": "Server=(localdb)\\\\mssqllocaldb;Database=App;Trusted_Connection=True;MultipleActiveResultSets=true",
    "Storage": "UseDevelopmentStorage=true"
  },
  "Jwt": { "Key": "" }
}
""")
neg("placeholders/netrc.template", """machine api.example.com
  login <username>
  password <password>
""")
neg("placeholders/wp-config-sample.php", """<?php
define( 'DB_NAME', 'database_name_here' );
define( 'DB_USER', 'username_here' );
define( 'DB_PASSWORD', 'password_here' );
define( 'AUTH_KEY',         'put your unique phrase here' );
define( 'SECURE_AUTH_KEY',  'put your unique phrase here' );
define( 'LOGGED_IN_KEY',    'put your unique phrase here' );
define( 'NONCE_KEY',        'put your unique phrase here' );
""")
neg("placeholders/kube-secret-template.yaml", """apiVersion: v1
kind: Secret
metadata:
  name: app
stringData:
  DB_PASSWORD: "${DB_PASSWORD}"
  API_TOKEN: "REPLACE_ME"
""")
neg("placeholders/config.ini.dist", """[database]
user = app
password = ********
[api]
token = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
""")
neg("placeholders/sequential.conf", """api_key = abcdefghijklmnopqrstuvwxyz012345
secret = 1234567890abcdef1234567890abcdef
token = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
""")
neg("placeholders/ansible-vars.yml", """db_password: "{{ vault_db_password }}"
api_token: "{{ lookup('env', 'API_TOKEN') }}"
aws_secret_key: "{{ lookup('aws_ssm', '/prod/aws/secret') }}"
""")
neg("placeholders/pgpass.example", """# hostname:port:database:username:password
localhost:5432:*:postgres:*
""")
neg("placeholders/docker-config.json", """{
  "auths": {},
  "credsStore": "desktop",
  "currentContext": "default"
}
""")
neg("placeholders/npmrc", """registry=https://registry.npmjs.org/
//registry.npmjs.org/:_authToken=${NPM_TOKEN}
save-exact=true
""")
neg("placeholders/pypirc", """[distutils]
index-servers = pypi

[pypi]
username = __token__
password = %(PYPI_TOKEN)s
""")
neg("placeholders/sql-server.config", """<add name="Db" connectionString="Server=.;Database=App;Integrated Security=SSPI;" />
<add name="Db2" connectionString="Server=db;Database=App;User Id=sa;Password=$(SA_PASSWORD);" />
""")

# ---------------- documentation keys ----------------
neg("docs/aws-cli.md", """# Configuring the AWS CLI

```
$ aws configure
AWS Access Key ID [None]: AKIAIOSFODNN7EXAMPLE
AWS Secret Access Key [None]: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
Default region name [None]: us-west-2
```
""")
neg("docs/credentials.example", """[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
""")
neg("docs/token-formats.md", """# Token formats we detect

* GitHub classic tokens start with `ghp_` followed by 36 alphanumeric characters.
* GitLab personal access tokens start with `glpat-`.
* Slack bot tokens look like `xoxb-<team>-<bot>-<secret>`.
* Stripe secret keys begin with `sk_live_` and test keys with `sk_test_`.
* AWS access key ids are 20 characters beginning with `AKIA`.
* Private keys begin with a `-----BEGIN ... PRIVATE KEY-----` line.
""")
neg("docs/auth.md", """To authenticate, send your key in the header:

    Authorization: Bearer YOUR_API_KEY

or pass `?api_key=YOUR_API_KEY` in the query string. Keys can be rotated
from the dashboard under *Settings → API keys*.
""")
neg("docs/connection.md", """Connection strings follow the form

    mongodb+srv://<username>:<password>@cluster0.example.mongodb.net/
    postgres://USER:PASSWORD@HOST:PORT/DB

where `<password>` is the database user's password.
""")
neg("docs/stripe-guide.md", """Use your test keys while developing. They look like
`sk_test_...` and `pk_test_...`; never commit a live key (`sk_live_...`).
""")

# ---------------- env references in code ----------------
neg("code/config.go", """package config

import "os"

// Config holds credentials read from the environment.
type Config struct {
	AWSAccessKeyID     string
	AWSSecretAccessKey string
	GitHubToken        string
	DBPassword         string
}

func Load() Config {
	return Config{
		AWSAccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		AWSSecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		GitHubToken:        os.Getenv("GITHUB_TOKEN"),
		DBPassword:         os.Getenv("DB_PASSWORD"),
	}
}
""")
neg("code/client.py", """import os
import boto3

s3 = boto3.client(
    "s3",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)
password = os.getenv("DB_PASSWORD")
api_key = settings.API_KEY
""")
neg("code/server.js", """const stripe = require("stripe")(process.env.STRIPE_SECRET_KEY);
const token = process.env.GITHUB_TOKEN;
const password = config.get("db.password");
const apiKey = req.headers["x-api-key"];
""")
neg("code/Config.java", """public class Config {
    private final String password = System.getenv("DB_PASSWORD");
    private final String apiKey = props.getProperty("api.key");
    @Value("${jwt.secret}")
    private String jwtSecret;
}
""")
neg("code/config.php", """<?php
$password = getenv('DB_PASSWORD');
$apiKey = $_ENV['API_KEY'] ?? null;
$secret = env('APP_SECRET');
""")
neg("code/config.rb", """Rails.application.configure do
  config.stripe_key = ENV["STRIPE_SECRET_KEY"]
  config.password = ENV.fetch("DB_PASSWORD")
  config.secret_key_base = Rails.application.credentials.secret_key_base
end
""")
neg("code/Startup.cs", """var password = Environment.GetEnvironmentVariable("DB_PASSWORD");
var apiKey = Configuration["Api:Key"];
var conn = Configuration.GetConnectionString("Default");
""")
neg("code/login.ts", """export async function login(username: string, password: string) {
  const res = await fetch("/api/login", {
    method: "POST",
    body: JSON.stringify({ username, password }),
  });
  const { token } = await res.json();
  localStorage.setItem("token", token);
}
""")
neg("code/auth.py", """def check_password(user, password):
    if not password:
        raise ValueError("password required")
    return bcrypt.checkpw(password.encode(), user.password_hash)

def make_token(user):
    token = secrets.token_urlsafe(32)
    return token
""")
neg("code/validators.js", """export const passwordRules = {
  minLength: 12,
  requireDigit: true,
};
export function validate(password) {
  return password.length >= passwordRules.minLength;
}
const PASSWORD_FIELD = "password";
const TOKEN_HEADER = "X-Auth-Token";
""")
neg("code/schema.sql", """CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  api_token_digest TEXT,
  created_at TIMESTAMPTZ DEFAULT now()
);
""")
neg("code/secrets_manager.py", """import boto3

def get_secret(name):
    client = boto3.client("secretsmanager")
    secret = client.get_secret_value(SecretId=name)["SecretString"]
    return secret

DB_PASSWORD_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
""")
neg("code/keyvault.cs", """var client = new SecretClient(new Uri("https://corp-kv.vault.azure.net/"), new DefaultAzureCredential());
KeyVaultSecret secret = await client.GetSecretAsync("DbPassword");
string password = secret.Value;
""")
neg("code/main.tf", """variable "db_password" {
  type      = string
  sensitive = true
}

resource "aws_db_instance" "main" {
  username = "dbadmin"
  password = var.db_password
}

data "aws_ssm_parameter" "api_key" {
  name = "/prod/api/key"
}
""")
neg("code/k8s-deploy.yaml", """apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: api
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: db-credentials
                  key: password
            - name: API_TOKEN
              valueFrom:
                secretKeyRef: {name: api, key: token}
""")
neg("code/i18n/en.json", """{
  "login.password": "Password",
  "login.password_hint": "Enter your password",
  "login.forgot_password": "Forgot your password?",
  "settings.api_key": "API key",
  "settings.token_expired": "Your session token has expired"
}
""")
neg("code/form.html", """<form method="post" action="/login">
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
</form>
""")
neg("code/password_reset.go", """package auth

const (
	passwordResetSubject = "Reset your password"
	tokenTTL             = 15 * time.Minute
)

func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	if len(newPassword) < 12 {
		return ErrWeakPassword
	}
	return s.store.SetPassword(ctx, token, newPassword)
}
""")
neg("code/cli.py", """import argparse

p = argparse.ArgumentParser()
p.add_argument("--password", help="database password (default: $DB_PASSWORD)")
p.add_argument("--api-key", dest="api_key", default=None)
args = p.parse_args()
""")
neg("code/jwt_verify.js", """const jwt = require("jsonwebtoken");
const secret = fs.readFileSync("/run/secrets/jwt_secret", "utf8");
module.exports = (token) => jwt.verify(token, secret);
""")
neg("code/Makefile", """REGISTRY ?= ghcr.io/acme
login:
\t@echo $$GHCR_TOKEN | docker login ghcr.io -u $$GHCR_USER --password-stdin
deploy:
\tkubectl create secret generic api --from-literal=token=$$API_TOKEN --dry-run=client -o yaml | kubectl apply -f -
""")

# ---------------- hashes and identifiers ----------------
def integ(): return "sha512-" + base64.b64encode(rbytes(64)).decode()
pkgs = ["react", "lodash", "express", "debug", "ms", "chalk", "commander", "semver", "uuid", "axios", "yargs", "glob"]
neg("hashes/package-lock.json", json.dumps({"name": "web", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": {
    "node_modules/" + p: {"version": f"{R.randint(1,9)}.{R.randint(0,20)}.{R.randint(0,9)}", "resolved": f"https://registry.npmjs.org/{p}/-/{p}-1.0.0.tgz", "integrity": integ()} for p in pkgs}}, indent=2) + "\n")
neg("hashes/yarn.lock", "".join(f"""{p}@^1.0.0:
  version "1.{R.randint(0,20)}.{R.randint(0,9)}"
  resolved "https://registry.yarnpkg.com/{p}/-/{p}-1.0.0.tgz#{hx(40)}"
  integrity {integ()}

""" for p in pkgs))
def gosum_h(): return base64.b64encode(rbytes(32)).decode()
mods = ["github.com/spf13/cobra v1.8.0", "github.com/BurntSushi/toml v1.3.2", "golang.org/x/sys v0.18.0", "github.com/stretchr/testify v1.9.0", "gopkg.in/yaml.v3 v3.0.1"]
neg("hashes/go.sum", "".join(f"{m} h1:{gosum_h()}\n{m.split()[0]} {m.split()[1]}/go.mod h1:{gosum_h()}\n" for m in mods))
neg("hashes/Cargo.lock", "".join(f"""[[package]]
name = "{p}"
version = "1.{R.randint(0,9)}.{R.randint(0,9)}"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{hx(64)}"

""" for p in ["serde", "tokio", "regex", "anyhow", "clap"]))
neg("hashes/Pipfile.lock", json.dumps({"_meta": {"hash": {"sha256": hx(64)}}, "default": {p: {"hashes": ["sha256:" + hx(64), "sha256:" + hx(64)], "version": "==2.31.0"} for p in ["requests", "urllib3", "idna", "certifi"]}}, indent=4) + "\n")
neg("hashes/requirements.txt", "".join(f"{p}==2.{R.randint(0,9)}.0 \\\n    --hash=sha256:{hx(64)} \\\n    --hash=sha256:{hx(64)}\n" for p in ["django", "psycopg2-binary", "gunicorn"]))
neg("hashes/poetry.lock", "".join(f"""[[package]]
name = "{p}"
version = "3.{R.randint(0,9)}"
files = [
    {{file = "{p}-3.0-py3-none-any.whl", hash = "sha256:{hx(64)}"}},
]

""" for p in ["httpx", "pydantic"]))
neg("hashes/SHA256SUMS", "".join(f"{hx(64)}  achilles_{o}_amd64.tar.gz\n" for o in ["linux", "darwin", "windows"]))
neg("hashes/checksums.md5", "".join(f"{hx(32)}  release/{n}\n" for n in ["app.jar", "app.war", "README"]))
neg("hashes/gradle-verification-metadata.xml", """<?xml version="1.0" encoding="UTF-8"?>
<verification-metadata>
   <components>
""" + "".join(f"""      <component group="org.{p}" name="{p}" version="1.0">
         <artifact name="{p}-1.0.jar">
            <sha256 value="{hx(64)}" origin="Generated by Gradle"/>
         </artifact>
      </component>
""" for p in ["slf4j", "junit", "guava"]) + "   </components>\n</verification-metadata>\n")
neg("hashes/CHANGELOG.md", "# Changelog\n\n" + "".join(f"* {m} ([{hx(7)}](https://github.com/acme/widgets/commit/{hx(40)}))\n" for m in ["fix token refresh race", "rotate signing key handling", "password reset emails", "add api key scopes"]))
neg("hashes/gitmodules-and-log.txt", "".join(f"commit {hx(40)}\nAuthor: Dev <dev@acme-widgets.com>\nDate:   Mon Mar 4 10:0{i}:00 2024 +0000\n\n    Update secret rotation docs\n\n" for i in range(4)))
neg("hashes/Dockerfile", f"""FROM golang:1.22@sha256:{hx(64)} AS build
WORKDIR /src
COPY . .
RUN go build -o /app ./cmd/app
FROM gcr.io/distroless/static@sha256:{hx(64)}
COPY --from=build /app /app
""")
neg("hashes/uuids.json", json.dumps({"tenant_id": str(uuid.UUID(int=R.getrandbits(128))), "subscription_id": str(uuid.UUID(int=R.getrandbits(128))), "request_id": str(uuid.UUID(int=R.getrandbits(128))), "client_id": str(uuid.UUID(int=R.getrandbits(128))), "items": [str(uuid.UUID(int=R.getrandbits(128))) for _ in range(5)]}, indent=2) + "\n")
neg("hashes/index.html", f"""<!doctype html>
<html><head>
<script src="https://cdn.jsdelivr.net/npm/bootstrap@5.3.2/dist/js/bootstrap.bundle.min.js" integrity="sha384-{base64.b64encode(rbytes(48)).decode()}" crossorigin="anonymous"></script>
<link rel="stylesheet" href="/assets/app.{hx(20)}.css">
<meta name="csrf-token" content="{{{{ csrf_token() }}}}">
</head><body></body></html>
""")
neg("hashes/etag-cache.json", json.dumps({"/assets/app.js": {"etag": '"' + hx(32) + '"', "sha1": hx(40)}, "/assets/app.css": {"etag": '"' + hx(32) + '"', "sha1": hx(40)}}, indent=2) + "\n")
neg("hashes/terraform.lock.hcl", f"""provider "registry.terraform.io/hashicorp/aws" {{
  version     = "5.40.0"
  constraints = "~> 5.0"
  hashes = [
    "h1:{gosum_h()}",
    "zh:{hx(64)}",
    "zh:{hx(64)}",
  ]
}}
""")
neg("hashes/composer.lock", json.dumps({"content-hash": hx(32), "packages": [{"name": "monolog/monolog", "version": "3.5.0", "dist": {"type": "zip", "url": "https://api.github.com/repos/Seldaek/monolog/zipball/" + hx(40), "reference": hx(40), "shasum": ""}}]}, indent=4) + "\n")
neg("hashes/image.svg.b64", "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + rbytes(300)).decode() + "\n")
neg("hashes/migration.sql", f"""-- seed roles
INSERT INTO roles (id, name) VALUES ('{uuid.UUID(int=R.getrandbits(128))}', 'admin');
INSERT INTO roles (id, name) VALUES ('{uuid.UUID(int=R.getrandbits(128))}', 'viewer');
""")
neg("hashes/nix-flake.lock", json.dumps({"nodes": {"nixpkgs": {"locked": {"lastModified": 1710000000, "narHash": "sha256-" + base64.b64encode(rbytes(32)).decode(), "owner": "NixOS", "repo": "nixpkgs", "rev": hx(40), "type": "github"}}}, "root": "root", "version": 7}, indent=2) + "\n")

# ---------------- public keys and certificates ----------------
c, _k = cert()
neg("public/server.crt", c)
neg("public/ca-bundle.pem", c + cert()[0])
_sk, spub = ssh_key("ed25519")
neg("public/id_ed25519.pub", spub)
neg("public/authorized_keys", spub + ssh_key("rsa")[1])
neg("public/known_hosts", f"github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{b64(30)[:43]}\n|1|{b64(20)}|{b64(20)} ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBB{b64(60)}\n")
pubpem = run(["openssl", "pkey", "-pubout"], openssl_key("rsa").encode())
neg("public/jwt-public.pem", pubpem)
neg("public/jwks.json", json.dumps({"keys": [{"kty": "RSA", "use": "sig", "kid": hx(16), "alg": "RS256", "n": b64(256, url=True).rstrip("="), "e": "AQAB"}]}, indent=2) + "\n")
neg("public/release-key.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(b64(48) for _ in range(12)) + "\n=" + b64(3) + "\n-----END PGP PUBLIC KEY BLOCK-----\n")
neg("public/nginx-ssl.conf", """server {
    listen 443 ssl;
    server_name shop.acme-widgets.com;
    ssl_certificate     /etc/ssl/certs/shop.crt;
    ssl_certificate_key /etc/ssl/private/shop.key;
    ssl_protocols TLSv1.2 TLSv1.3;
}
""")
neg("public/age-recipients.txt", f"# team recipients\nage1{rs(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}\nage1{rs(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}\n")
neg("public/sops.yaml", f"""creation_rules:
  - path_regex: secrets/.*\\.yaml$
    age: age1{rs(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}
    pgp: {hx(40).upper()}
""")
neg("public/csr.pem", run(["openssl", "req", "-new", "-key", "/dev/stdin", "-subj", "/CN=api.acme-widgets.com"], openssl_key("rsa").encode()))
neg("public/ssh_config", """Host bastion
  HostName 10.0.0.4
  User ops
  IdentityFile ~/.ssh/id_ed25519
  IdentitiesOnly yes
""")
neg("public/gpg-fingerprint.md", f"Releases are signed with key `{hx(40).upper()}` (ops@acme-widgets.com).\n")

# ---------------- obvious test fixtures ----------------
neg("fixtures/test_login.py", """def test_login_rejects_bad_password(client):
    resp = client.post("/login", json={"username": "alice", "password": "wrong-password"})
    assert resp.status_code == 401

def test_login_ok(client, user_factory):
    user_factory(username="bob", password="test-password-123")
    resp = client.post("/login", json={"username": "bob", "password": "test-password-123"})
    assert resp.status_code == 200
""")
neg("fixtures/auth.test.js", """describe("auth", () => {
  it("rejects an invalid token", async () => {
    const token = "invalid-token";
    await expect(verify(token)).rejects.toThrow();
  });
  it("uses the mock api key", () => {
    process.env.API_KEY = "mock-api-key";
  });
});
""")
neg("fixtures/users.yml", """alice:
  email: alice@example.com
  password: password
  encrypted_password: <%= User.new.send(:password_digest, 'password') %>
bob:
  email: bob@example.com
  password: secret
""")
neg("fixtures/docker-compose.test.yml", """services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: postgres
      POSTGRES_USER: postgres
  redis:
    image: redis:7
    command: redis-server --requirepass redis
""")
neg("fixtures/AuthTest.java", """@Test
void rejectsWrongPassword() {
    assertThrows(AuthException.class, () -> auth.login("user", "not-the-password"));
}
""")
neg("fixtures/conftest.py", """import pytest

@pytest.fixture
def settings():
    return {"SECRET_KEY": "test-secret-key", "DATABASE_URL": "sqlite:///:memory:", "API_TOKEN": "dummy-token"}
""")
neg("fixtures/local-dev.env", """# local development only; the containers are throwaway
POSTGRES_USER=postgres
POSTGRES_PASSWORD=postgres
REDIS_URL=redis://localhost:6379/0
DATABASE_URL=postgres://postgres:postgres@localhost:5432/dev
MINIO_ROOT_USER=minioadmin
MINIO_ROOT_PASSWORD=minioadmin
""")
neg("fixtures/keycloak-realm.json", """{
  "realm": "dev",
  "users": [{"username": "admin", "credentials": [{"type": "password", "value": "admin"}]}]
}
""")

# ---------------- ordinary source and config ----------------
neg("source/package.json", """{
  "name": "storefront",
  "version": "2.3.1",
  "scripts": { "build": "vite build", "test": "vitest run", "lint": "eslint ." },
  "dependencies": { "react": "^18.2.0", "jsonwebtoken": "^9.0.2", "bcryptjs": "^2.4.3" },
  "devDependencies": { "vite": "^5.1.0" }
}
""")
neg("source/tsconfig.json", """{ "compilerOptions": { "target": "ES2022", "module": "ESNext", "strict": true, "outDir": "dist" } }
""")
neg("source/nginx.conf", """worker_processes auto;
events { worker_connections 1024; }
http {
  server {
    listen 80;
    location /api/ { proxy_pass http://api:8080/; proxy_set_header Authorization $http_authorization; }
  }
}
""")
neg("source/pom.xml", """<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId>
  <artifactId>billing</artifactId>
  <version>1.4.0</version>
  <dependencies>
    <dependency><groupId>io.jsonwebtoken</groupId><artifactId>jjwt-api</artifactId><version>0.12.5</version></dependency>
  </dependencies>
</project>
""")
neg("source/crypto.go", """package crypto

import (
	"crypto/rand"
	"encoding/hex"
)

// NewToken returns a random 32-byte token, hex encoded.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
""")
neg("source/styles.css", """:root { --primary: #3b82f6; --secondary: #64748b; }
.btn-primary { background: var(--primary); }
.icon { background-image: url("data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxNiAxNiI+PHBhdGggZD0iTTAgMGgxNnYxNkgweiIvPjwvc3ZnPg=="); }
""")
neg("source/openapi.yaml", """openapi: 3.0.3
info: { title: Orders API, version: 1.0.0 }
components:
  securitySchemes:
    ApiKeyAuth:
      type: apiKey
      in: header
      name: X-API-Key
    bearerAuth:
      type: http
      scheme: bearer
      bearerFormat: JWT
paths:
  /token:
    post:
      requestBody:
        content:
          application/json:
            schema:
              properties:
                client_secret: { type: string }
                password: { type: string, format: password }
""")
neg("source/prometheus.yml", """global:
  scrape_interval: 15s
scrape_configs:
  - job_name: api
    basic_auth:
      username: prometheus
      password_file: /etc/prometheus/api_password
    static_configs:
      - targets: ['api:9090']
""")
neg("source/sshd_config", """PermitRootLogin no
PasswordAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
""")
neg("source/pam-common-password", """password [success=1 default=ignore] pam_unix.so obscure yescrypt
password requisite pam_deny.so
password required pam_permit.so
""")
neg("source/etc-passwd", """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
deploy:x:1000:1000:Deploy,,,:/home/deploy:/bin/bash
""")
neg("source/shadow-locked", """root:*:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
deploy:!:19712:0:99999:7:::
nobody:!*:19700:0:99999:7:::
""")
neg("source/git-config", """[user]
    name = Dev
    email = dev@acme-widgets.com
[credential]
    helper = osxkeychain
[url "git@github.com:"]
    insteadOf = https://github.com/
""")
neg("source/kube-config-exec.yaml", """apiVersion: v1
kind: Config
users:
- name: eks
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: ["eks", "get-token", "--cluster-name", "prod"]
""")
neg("source/vault-policy.hcl", """path "secret/data/prod/*" {
  capabilities = ["read", "list"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
""")
neg("source/random_strings.py", """ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
def random_id(n=20):
    return "".join(secrets.choice(ALPHABET) for _ in range(n))
""")
neg("source/token_format.rs", """/// A GitHub token: `ghp_` then 36 base62 characters.
pub fn looks_like_github_token(s: &str) -> bool {
    s.starts_with("ghp_") && s.len() == 40 && s[4..].chars().all(|c| c.is_ascii_alphanumeric())
}
const AWS_KEY_PATTERN: &str = r"AKIA[0-9A-Z]{16}";
""")
neg("source/regex-rules.yaml", """rules:
  - id: aws-key
    pattern: '(AKIA|ASIA)[A-Z2-7]{16}'
  - id: slack
    pattern: 'xox[baprs]-[0-9a-zA-Z-]{10,48}'
  - id: private-key
    pattern: '-----BEGIN (RSA|EC|OPENSSH) PRIVATE KEY-----'
""")
neg("source/build.gradle", """plugins { id 'java' }
repositories {
    maven {
        url "https://nexus.corp.internal/repository/maven-releases/"
        credentials {
            username = findProperty("nexusUser") ?: System.getenv("NEXUS_USER")
            password = findProperty("nexusPassword") ?: System.getenv("NEXUS_PASSWORD")
        }
    }
}
""")
neg("source/settings-maven.xml", """<settings>
  <servers>
    <server>
      <id>corp-releases</id>
      <username>${env.MAVEN_USER}</username>
      <password>${env.MAVEN_PASSWORD}</password>
    </server>
  </servers>
</settings>
""")
neg("source/nuget.config", """<configuration>
  <packageSourceCredentials>
    <corp>
      <add key="Username" value="%NUGET_USER%" />
      <add key="ClearTextPassword" value="%NUGET_PASSWORD%" />
    </corp>
  </packageSourceCredentials>
</configuration>
""")
neg("source/ci-jenkinsfile", """pipeline {
  environment {
    AWS_CREDS = credentials('aws-prod')
    GH_TOKEN = credentials('github-token')
  }
  stages { stage('x') { steps { sh 'echo $GH_TOKEN | gh auth login --with-token' } } }
}
""")
neg("source/translations.po", """msgid "Password"
msgstr "Mot de passe"

msgid "Invalid API key"
msgstr "Clé API invalide"
""")
neg("source/cloudbuild.yaml", """steps:
  - name: gcr.io/cloud-builders/docker
    args: ['build', '-t', 'gcr.io/$PROJECT_ID/api:$SHORT_SHA', '.']
availableSecrets:
  secretManager:
    - versionName: projects/$PROJECT_ID/secrets/db-password/versions/latest
      env: DB_PASSWORD
""")
neg("source/azure-pipelines.yml", """variables:
  - group: prod-secrets
steps:
  - task: AzureCLI@2
    inputs:
      azureSubscription: 'prod-connection'
      scriptType: bash
      inlineScript: az storage blob upload --account-key $(STORAGE_KEY) -f app.zip
""")
neg("source/minified.js", "!function(e){var t={};function n(r){if(t[r])return t[r].exports;var o=t[r]={i:r,l:!1,exports:{}};return e[r].call(o.exports,o,o.exports,n),o.l=!0,o.exports}n.m=e,n.c=t,n.d=function(e,t,r){n.o(e,t)||Object.defineProperty(e,t,{enumerable:!0,get:r})},n.p=\"/static/\",n.h=\"" + hx(20) + "\"}([function(e,t){e.exports={token:null,password:\"\",apiKey:void 0}}]);\n")
neg("source/sourcemap.js.map", json.dumps({"version": 3, "file": "app.js", "sources": ["src/app.ts"], "names": ["password", "token"], "mappings": ";AAAA,SAASA,IAAI,CAAC,QAAQ,EAAE;EACtB,OAAO,IAAI;AACb;AACA,SAASC,KAAK,GAAG"}) + "\n")
neg("source/uuid_consts.go", f"""package ids

// Well-known object ids.
const (
	RootFolderID  = "{uuid.UUID(int=R.getrandbits(128))}"
	SystemUserID  = "{uuid.UUID(int=R.getrandbits(128))}"
	TraceSampleID = "{hx(32)}"
)
""")
neg("source/git-sha-pins.yml", f"""jobs:
  build:
    steps:
      - uses: actions/checkout@{hx(40)} # v4.1.1
      - uses: actions/setup-go@{hx(40)} # v5.0.0
      - uses: docker/login-action@{hx(40)}
        with:
          username: ${{{{ github.actor }}}}
          password: ${{{{ secrets.GITHUB_TOKEN }}}}
""")
neg("source/jwt-docs.md", """A JWT has three parts separated by dots: header, payload and signature, e.g.
`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`
""")
neg("source/crontab", """# m h dom mon dow command
0 3 * * * /usr/local/bin/backup.sh --config /etc/backup.conf >> /var/log/backup.log 2>&1
*/5 * * * * curl -fsS -m 10 --retry 5 -o /dev/null https://hc-ping.com/$HC_UUID
""")
neg("source/systemd.service", """[Unit]
Description=API
[Service]
EnvironmentFile=/etc/api/env
ExecStart=/usr/local/bin/api --config /etc/api/config.yaml
LoadCredential=db-password:/etc/api/db-password
""")
neg("source/k8s-sealed-secret.yaml", f"""apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db
spec:
  encryptedData:
    password: AgB{b64(300).rstrip('=')}
""")
neg("source/sops-encrypted.yaml", f"""db_password: ENC[AES256_GCM,data:{b64(18)},iv:{b64(32)},tag:{b64(16)},type:str]
sops:
    kms: []
    age:
        - recipient: age1{rs(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}
    lastmodified: "2024-03-01T10:00:00Z"
    mac: ENC[AES256_GCM,data:{b64(48)},iv:{b64(32)},tag:{b64(16)},type:str]
    version: 3.8.1
""")
neg("source/ansible-vault.yml", "$ANSIBLE_VAULT;1.1;AES256\n" + "\n".join(hx(80) for _ in range(6)) + "\n")
neg("source/rails-credentials.yml.enc", b64(180).rstrip("=") + "--" + b64(9) + "--" + b64(16) + "\n")
neg("source/gitleaks.toml", """[allowlist]
description = "ignore test fixtures"
paths = ['''testdata/''']
regexes = ['''AKIAIOSFODNN7EXAMPLE''']
""")
neg("source/strings.xml", """<resources>
    <string name="app_name">Shop</string>
    <string name="prompt_password">Password</string>
    <string name="error_invalid_password">Password is too short</string>
    <string name="google_maps_key" translatable="false">${MAPS_API_KEY}</string>
</resources>
""")
neg("source/application-local.properties", """server.port=8080
spring.datasource.url=jdbc:h2:mem:testdb
spring.datasource.username=sa
spring.datasource.password=
management.endpoints.web.exposure.include=health
""")
neg("source/vars.tf", """variable "github_token" {
  description = "GitHub token with repo scope"
  type        = string
  sensitive   = true
  default     = ""
}
""")
neg("source/metrics.csv", "timestamp,request_id,latency_ms\n" + "".join(f"2024-03-0{i}T10:00:00Z,{hx(32)},{R.randint(5, 900)}\n" for i in range(1, 9)))
neg("source/log.txt", "".join(f"2024-03-04T10:0{i}:00Z INFO request_id={uuid.UUID(int=R.getrandbits(128))} trace={hx(32)} user=42 path=/api/orders status=200\n" for i in range(8)))

# ======== batch 2: harder look-alikes ========
neg("vendor-docs/stripe-quickstart.md", """Set your secret key. Remember to switch to your live secret key in production.

```python
stripe.api_key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
```
""")
neg("vendor-docs/slack-app.md", """```js
const web = new WebClient("xoxb-not-a-real-token-this-will-not-work");
```
""")
neg("vendor-docs/twilio.md", """```
TWILIO_ACCOUNT_SID=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
TWILIO_AUTH_TOKEN=your_auth_token
```
""")
neg("vendor-docs/public-keys.js", f"""// Publishable keys are safe to ship to the browser.
const stripe = Stripe("pk_live_{rs(24, AL)}");
mapboxgl.accessToken = "pk.eyJ1IjoiYWNtZSIsImEiOiJ{rs(20, AL)}.{rs(22, AL)}";
const recaptchaSiteKey = "6Lc{rs(37, AL + '_-')}";
const sentryDsn = "https://{hx(32)}@o{R.randint(100000, 999999)}.ingest.sentry.io/{R.randint(1000000, 9999999)}";
""")
neg("vendor-docs/github-app.yml", f"""# GitHub App settings (public)
app_id: {R.randint(100000, 999999)}
client_id: Iv1.{hx(16)}
webhook_url: https://ci.acme-widgets.com/github/events
""")
neg("code/crypto_test_vectors.go", """package aes

var vectors = []struct{ key, plaintext, ciphertext string }{
	{"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff", "69c4e0d86a7b0430d8cdb78070b4c55a"},
	{"2b7e151628aed2a6abf7158809cf4f3c", "6bc1bee22e409f96e93d7e117393172a", "3ad77bb40d7a3660a89ecaf32466ef97"},
}
""")
neg("code/cache-keys.yml", """steps:
  - restore_cache:
      keys:
        - v1-deps-{{ checksum "package-lock.json" }}
        - v1-deps-
  - save_cache:
      key: v1-deps-{{ checksum "package-lock.json" }}
""")
neg("code/nulls.py", """password = None
api_key = ""
secret = get_secret("db")
token: str | None = None
AUTH_TOKEN_HEADER = "Authorization"
""")
neg("code/types.ts", """export interface Credentials {
  username: string;
  password: string;
  apiKey?: string;
  secretAccessKey: string;
}
export type TokenResponse = { access_token: string; token_type: "bearer"; expires_in: number };
""")
neg("code/oauth.py", """data = {
    "grant_type": "password",
    "username": username,
    "password": password,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}
""")
neg("code/password_gen.py", """import secrets, string

def generate_password(length=20):
    alphabet = string.ascii_letters + string.digits + string.punctuation
    return "".join(secrets.choice(alphabet) for _ in range(length))
""")
neg("code/gitignore", """.env
.env.*
!.env.example
credentials.json
*.pem
id_rsa*
terraform.tfstate*
""")
neg("code/travis.yml", f"""language: node_js
env:
  global:
    - secure: "{b64(256)}"
deploy:
  provider: npm
  api_key:
    secure: "{b64(256)}"
""")
neg("code/jenkins-credentials.xml", f"""<com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
  <id>deploy</id>
  <username>deploy</username>
  <password>{{AQAAABAAAAAQ{b64(40)}}}</password>
</com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>
""")
neg("code/settings-security.xml", f"""<settingsSecurity>
  <master>{{{b64(36)}}}</master>
</settingsSecurity>
""")
neg("code/urls.txt", """git@github.com:acme/widgets.git
https://deploy@github.com/acme/widgets.git
postgres://localhost/app_dev
http://localhost:8080/login?next=/dashboard
mongodb://mongo:27017/app
redis://redis:6379/0
""")
neg("code/ansible-inline-vault.yml", "db_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n" + "".join("          " + hx(64) + "\n" for _ in range(5)))
neg("code/user_factory.rb", """FactoryBot.define do
  factory :user do
    email { Faker::Internet.email }
    password { "password123" }
    password_confirmation { password }
  end
end
""")
neg("code/seeds.sql", """INSERT INTO users (email, password_hash) VALUES
  ('admin@acme.local', crypt('admin', gen_salt('bf')));
""")
neg("code/keycloak.env", """KEYCLOAK_ADMIN=admin
KEYCLOAK_ADMIN_PASSWORD=${KEYCLOAK_ADMIN_PASSWORD}
KC_DB_PASSWORD_FILE=/run/secrets/kc_db
""")
neg("code/idempotency.js", f"""const idempotencyKey = crypto.randomUUID();
const cacheKey = "user:" + userId;
const publicKey = fs.readFileSync("public.pem");
const primaryKey = "id";
const sessionKey = "sess:{hx(8)}";
""")
neg("code/font.css", "@font-face { font-family: 'Icons'; src: url(data:font/woff2;base64," + base64.b64encode(b"wOF2" + rbytes(600)).decode() + ") format('woff2'); }\n")
neg("code/emoji-map.json", json.dumps({k: hx(8) for k in ["smile", "heart", "key", "lock", "token"]}) + "\n")
neg("code/kms.tf", f"""resource "aws_kms_key" "main" {{
  description = "app key"
}}
output "key_arn" {{ value = "arn:aws:kms:us-east-1:{R.randint(10**11, 10**12)}:key/{uuid.UUID(int=R.getrandbits(128))}" }}
""")
neg("code/tfstate-clean.tfstate", json.dumps({"version": 4, "terraform_version": "1.6.2", "serial": 3, "lineage": str(uuid.UUID(int=R.getrandbits(128))), "outputs": {"vpc_id": {"value": "vpc-" + hx(17), "type": "string"}}, "resources": [{"mode": "managed", "type": "aws_subnet", "name": "a", "instances": [{"attributes": {"id": "subnet-" + hx(17), "arn": "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-" + hx(17), "cidr_block": "10.0.1.0/24"}}]}]}, indent=2) + "\n")
neg("code/k8s-secret-empty.yaml", """apiVersion: v1
kind: Secret
metadata:
  name: app
type: Opaque
data: {}
""")
neg("code/serviceaccount-token-ref.yaml", """apiVersion: v1
kind: Secret
metadata:
  name: ci-token
  annotations:
    kubernetes.io/service-account.name: ci
type: kubernetes.io/service-account-token
""")
neg("code/aws-config", """[default]
region = us-east-1
output = json

[profile prod]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = default
sso_start_url = https://acme.awsapps.com/start
""")
neg("code/phpunit.xml", """<phpunit>
  <php>
    <env name="APP_KEY" value=""/>
    <env name="DB_PASSWORD" value=""/>
    <env name="CACHE_DRIVER" value="array"/>
  </php>
</phpunit>
""")
neg("code/changelog-security.md", """## 2.4.1
- Rotate the leaked Slack webhook (the old URL is revoked).
- `password` fields are now redacted in logs as `[REDACTED]`.
- Tokens are stored as SHA-256 digests.
""")
neg("code/htpasswd-doc.md", """Create the file with `htpasswd -c /etc/nginx/.htpasswd admin` and reload nginx.
""")
neg("code/hex_ids.py", f"""TRACE_IDS = ["{hx(32)}", "{hx(32)}"]
COMMIT = "{hx(40)}"
BUILD_HASH = "{hx(64)}"
""")
neg("code/base64_payload.json", json.dumps({"event": "upload", "thumbnail": base64.b64encode(b"\xff\xd8\xff\xe0" + rbytes(400)).decode(), "checksum": hx(64)}) + "\n")
neg("code/webpack.config.js", """module.exports = {
  output: { filename: "[name].[contenthash].js" },
  plugins: [new webpack.DefinePlugin({ "process.env.API_URL": JSON.stringify(process.env.API_URL) })],
};
""")
neg("code/secrets-doc.yaml", """# Required secrets (create them with kubectl):
#   kubectl create secret generic db --from-literal=password=<db password>
#   kubectl create secret generic api --from-literal=token=<api token>
replicas: 3
image: acme/api:1.4.2
""")

# ======== batch 3: look-alikes of the newer generic rules ========
neg("code3/models.go", """package auth

type Login struct {
	Username string `json:"username"`
	Password string `json:"password"`
	OTP      *string
}

type Win32Creds struct {
	UserName *uint16
	Password *uint16
}
""")
neg("code3/UserService.java", """public void reset(User u, String newPassword) {
    u.setPassword(passwordEncoder.encode(newPassword));
    ds.setPassword(env.getProperty("db.password"));
    mail.setPassword(config.getSmtpPassword());
}
""")
neg("code3/Mail.cs", """var creds = new NetworkCredential(settings.User, settings.Password);
var secure = ConvertTo(password);
""")
neg("code3/deploy.ps1", """$secure = ConvertTo-SecureString $env:ADMIN_PASSWORD -AsPlainText -Force
$cred = Get-Credential -UserName "CORP\\\\svc-deploy" -Message "Password"
""")
neg("code3/run.sh", """docker run -d -e POSTGRES_PASSWORD="$POSTGRES_PASSWORD" -e POSTGRES_PASSWORD_FILE=/run/secrets/pg postgres:16
docker run --env-file .env acme/api
docker run -e API_TOKEN acme/worker
""")
neg("code3/msmtprc.example", """account default
host smtp.example.com
user you@example.com
passwordeval "pass show mail/smtp"
""")
neg("code3/pam.d-login", """auth       required   pam_unix.so
password   required   pam_unix.so sha512 shadow
password   include    common-password
""")
neg("code3/test-results.txt", """PASS: addr2line
PASS: objdump
FAIL: strip_with_password_option
PASS: readelf
""")
neg("code3/postgres.go", """package store

func open(host, user, pass, name string) (*sql.DB, error) {
	dsn := fmt.Sprintf("host=%s user=%s password=%s dbname=%s sslmode=disable", host, user, pass, name)
	return sql.Open("postgres", dsn)
}
""")
neg("code3/hibernate.cfg.xml", """<hibernate-configuration>
  <session-factory>
    <property name="connection.password">${db.password}</property>
    <property name="connection.username">app</property>
    <property name="hibernate.dialect">org.hibernate.dialect.PostgreSQLDialect</property>
  </session-factory>
</hibernate-configuration>
""")
neg("code3/unattend-template.xml", """<UserAccounts>
  <AdministratorPassword>
    <Value>%ADMIN_PASSWORD%</Value>
    <PlainText>true</PlainText>
  </AdministratorPassword>
</UserAccounts>
""")
neg("code3/main.tf", """resource "random_password" "db" {
  length  = 32
  special = true
}
output "db_password" {
  value     = random_password.db.result
  sensitive = true
}
""")
neg("code3/hpke-vectors.json", json.dumps([{"mode": 1, "psk_id": "456e6e796e20447572696e206172616e204d6f726961", "info": "4f6465206f6e2061204772656369616e2055726e"}]) + "\n")
neg("code3/ldap-doc.md", """Set `BINDDN` and `BINDPW` in /etc/ldap/ldap.conf, e.g.

    BINDPW <bind password>
""")
neg("code3/wifi.conf", """network={
    ssid="Guest"
    key_mgmt=NONE
}
""")
