# Positive files: one leaked credential each, in realistic context.
# Executed by gen.py (helpers come from there).

# ---------------- AWS ----------------
for i, (kid, sec) in enumerate([(aws_id(), aws_secret()) for _ in range(8)]):
    pass
k = [(aws_id(), aws_secret()) for _ in range(10)]
pos("aws", "home/.aws/credentials", f"""[default]
aws_access_key_id = {k[0][0]}
aws_secret_access_key = {k[0][1]}

[staging]
aws_access_key_id={k[1][0]}
aws_secret_access_key={k[1][1]}
region=eu-west-1
""")
pos("aws", "upload_reports.py", f"""import boto3
from datetime import date

s3 = boto3.client(
    "s3",
    aws_access_key_id="{k[2][0]}",
    aws_secret_access_key="{k[2][1]}",
    region_name="us-east-1",
)

def upload(path):
    key = f"reports/{{date.today():%Y/%m/%d}}/{{path}}"
    s3.upload_file(path, "acme-finance-reports", key)
""")
pos("aws", "infra/provider.tf", f"""terraform {{
  required_version = ">= 1.3"
}}

provider "aws" {{
  region     = "us-west-2"
  access_key = "{k[3][0]}"
  secret_key = "{k[3][1]}"
}}

resource "aws_s3_bucket" "logs" {{
  bucket = "acme-prod-logs"
}}
""")
pos("aws", "deploy/.env.production", f"""NODE_ENV=production
PORT=8080
AWS_REGION=ap-southeast-2
AWS_ACCESS_KEY_ID={k[4][0]}
AWS_SECRET_ACCESS_KEY={k[4][1]}
S3_BUCKET=media-uploads-prod
""")
pos("aws", ".github/workflows/deploy.yml", f"""name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      AWS_ACCESS_KEY_ID: {k[5][0]}
      AWS_SECRET_ACCESS_KEY: {k[5][1]}
      AWS_DEFAULT_REGION: us-east-1
    steps:
      - uses: actions/checkout@v4
      - run: aws s3 sync ./dist s3://www.acme-widgets.com --delete
""")
pos("aws", "src/main/resources/application.properties", f"""spring.application.name=billing
cloud.aws.region.static=eu-central-1
cloud.aws.credentials.access-key={k[6][0]}
cloud.aws.credentials.secret-key={k[6][1]}
cloud.aws.stack.auto=false
""")
pos("aws", "storage.js", f"""const {{ S3Client, PutObjectCommand }} = require("@aws-sdk/client-s3");

const client = new S3Client({{
  region: "us-east-2",
  credentials: {{
    accessKeyId: "{k[7][0]}",
    secretAccessKey: "{k[7][1]}",
  }},
}});

module.exports = async function put(key, body) {{
  return client.send(new PutObjectCommand({{ Bucket: "acme-assets", Key: key, Body: body }}));
}};
""")
sess = aws_id("ASIA")
pos("aws", "notes/session.txt", f"""temporary creds from sts assume-role (expire 1h)
export AWS_ACCESS_KEY_ID={sess}
export AWS_SECRET_ACCESS_KEY={k[8][1]}
export AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjE{b64(300).replace('=','')}
""")
pos("aws", "aws_config.go", f"""package storage

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

var creds = credentials.NewStaticCredentialsProvider("{k[9][0]}", "{k[9][1]}", "")

func Config() aws.Config {{
	return aws.Config{{Region: "us-east-1", Credentials: creds}}
}}
""")
k2 = (aws_id(), aws_secret())
pos("aws", "appsettings.json", f"""{{
  "Logging": {{ "LogLevel": {{ "Default": "Information" }} }},
  "AWS": {{
    "Region": "us-east-1",
    "AccessKey": "{k2[0]}",
    "SecretKey": "{k2[1]}"
  }}
}}
""")

# ---------------- GCP ----------------
def sa_json(project):
    key = openssl_key("pkcs8").replace("\n", "\\n")
    cid = str(R.randint(10**20, 10**21 - 1))
    return f"""{{
  "type": "service_account",
  "project_id": "{project}",
  "private_key_id": "{hx(40)}",
  "private_key": "{key}",
  "client_email": "ci-deployer@{project}.iam.gserviceaccount.com",
  "client_id": "{cid}",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token",
  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/ci-deployer%40{project}.iam.gserviceaccount.com",
  "universe_domain": "googleapis.com"
}}
"""
pos("gcp-service-account", "keys/acme-prod-7f3a2c.json", sa_json("acme-prod-381207"))
pos("gcp-service-account", "service-account.json", sa_json("data-pipeline-2291"))
sa = sa_json("ml-train-55120")
pos("gcp-service-account", "charts/values-prod.yaml", "gcp:\n  credentialsJson: |\n" + "".join("    " + l + "\n" for l in sa.splitlines()))
gk = ["AIza" + rs(35, AL + "-_") for _ in range(4)]
pos("google-api-key", "web/src/firebase.js", f"""import {{ initializeApp }} from "firebase/app";

const firebaseConfig = {{
  apiKey: "{gk[0]}",
  authDomain: "shoplist-9a1c2.firebaseapp.com",
  projectId: "shoplist-9a1c2",
  storageBucket: "shoplist-9a1c2.appspot.com",
  messagingSenderId: "{R.randint(10**11, 10**12)}",
  appId: "1:{R.randint(10**11, 10**12)}:web:{hx(22)}",
}};

export const app = initializeApp(firebaseConfig);
""")
pos("google-api-key", "android/app/src/main/res/values/google_maps_api.xml", f"""<resources>
    <string name="google_maps_key" templateMergeStrategy="preserve" translatable="false">{gk[1]}</string>
</resources>
""")
pos("google-api-key", "geocode.py", f"""import requests

GOOGLE_MAPS_KEY = "{gk[2]}"

def geocode(address):
    r = requests.get("https://maps.googleapis.com/maps/api/geocode/json",
                     params={{"address": address, "key": GOOGLE_MAPS_KEY}})
    return r.json()["results"][0]["geometry"]["location"]
""")
pos("gcp-oauth", "client_secret.json", f"""{{"installed":{{"client_id":"{R.randint(10**11,10**12)}-{rs(32, LO)}.apps.googleusercontent.com","project_id":"calendar-sync-40211","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","auth_provider_x509_cert_url":"https://www.googleapis.com/oauth2/v1/certs","client_secret":"GOCSPX-{rs(28, AL + '-_')}","redirect_uris":["http://localhost"]}}}}
""")
pos("gcp-oauth", "settings/google.yml", f"""google:
  oauth:
    client_id: {R.randint(10**11,10**12)}-{rs(32, LO)}.apps.googleusercontent.com
    client_secret: GOCSPX-{rs(28, AL + '-_')}
    refresh_token: 1//0{rs(100, AL + '-_')}
""")

# ---------------- Azure ----------------
def az_key(): return b64(64)
pos("azure-storage", "appsettings.Production.json", f"""{{
  "ConnectionStrings": {{
    "Blob": "DefaultEndpointsProtocol=https;AccountName=acmeprodstore;AccountKey={az_key()};EndpointSuffix=core.windows.net"
  }},
  "AllowedHosts": "*"
}}
""")
pos("azure-storage", "local.settings.json", f"""{{
  "IsEncrypted": false,
  "Values": {{
    "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=funcqueue7781;AccountKey={az_key()};EndpointSuffix=core.windows.net",
    "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated"
  }}
}}
""")
pos("azure-storage", "backup.sh", f"""#!/bin/bash
set -euo pipefail
export AZURE_STORAGE_ACCOUNT=nightlybackups01
export AZURE_STORAGE_KEY="{az_key()}"
az storage blob upload-batch -d backups -s /var/backups/db --overwrite
""")
pos("azure-storage", "BlobService.cs", f"""using Azure.Storage.Blobs;

public class BlobService
{{
    private const string Conn = "DefaultEndpointsProtocol=https;AccountName=invoicearchive;AccountKey={az_key()};EndpointSuffix=core.windows.net";
    private readonly BlobContainerClient _container = new BlobContainerClient(Conn, "invoices");
}}
""")
def sas_sig(): return base64.b64encode(rbytes(32)).decode().replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
pos("azure-sas", "download_model.py", f"""import urllib.request

MODEL_URL = "https://mlartifacts42.blob.core.windows.net/models/resnet50.onnx?sp=r&st=2024-03-01T09:00:00Z&se=2025-03-01T17:00:00Z&spr=https&sv=2022-11-02&sr=b&sig={sas_sig()}"

urllib.request.urlretrieve(MODEL_URL, "resnet50.onnx")
""")
pos("azure-sas", "README.md", f"""# Dataset

Download the raw data with azcopy:

```
azcopy copy "https://opendatastore.blob.core.windows.net/raw?sv=2021-06-08&ss=b&srt=co&sp=rl&se=2026-01-01T00:00:00Z&st=2024-01-01T00:00:00Z&spr=https&sig={sas_sig()}" ./data --recursive
```
""")
pos("azure-sas", "config/queue.yaml", f"""queue:
  endpoint: https://ordersq.queue.core.windows.net/incoming
  sas_token: "sv=2020-08-04&ss=q&srt=sco&sp=rwdlacup&se=2025-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig={sas_sig()}"
""")
pos("azure-ad", "terraform.tfvars", f"""subscription_id = "{uuid.UUID(int=R.getrandbits(128))}"
tenant_id       = "{uuid.UUID(int=R.getrandbits(128))}"
client_id       = "{uuid.UUID(int=R.getrandbits(128))}"
client_secret   = "{rs(3, AL)}8Q~{rs(34, AL + '_-.~')}"
""")
pos("azure-ad", "auth.env", f"""AZURE_TENANT_ID={uuid.UUID(int=R.getrandbits(128))}
AZURE_CLIENT_ID={uuid.UUID(int=R.getrandbits(128))}
AZURE_CLIENT_SECRET={rs(3, AL)}7Q~{rs(34, AL + '_-.~')}
""")
pos("azure-servicebus", "appsettings.json", f"""{{
  "ServiceBus": {{
    "ConnectionString": "Endpoint=sb://orders-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={b64(32)}"
  }}
}}
""")
pos("azure-servicebus", "eventhub_consumer.py", f"""from azure.eventhub import EventHubConsumerClient

CONN = "Endpoint=sb://telemetry-ns.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey={b64(32)};EntityPath=devices"
client = EventHubConsumerClient.from_connection_string(CONN, consumer_group="$Default")
""")

# ---------------- other clouds ----------------
pos("digitalocean", "do.tf", f"""variable "region" {{ default = "nyc3" }}

provider "digitalocean" {{
  token = "dop_v1_{hx(64)}"
}}
""")
pos("digitalocean", ".github/workflows/k8s.yml", f"""jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: digitalocean/action-doctl@v2
        with:
          token: dop_v1_{hx(64)}
      - run: doctl kubernetes cluster kubeconfig save prod-cluster
""")
pos("digitalocean", "spaces.py", f"""import boto3

session = boto3.session.Session()
client = session.client("s3", region_name="ams3",
                        endpoint_url="https://ams3.digitaloceanspaces.com",
                        aws_access_key_id="DO00{rs(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}",
                        aws_secret_access_key="{b64(32).rstrip('=')}")
""")
pos("cloudflare", "wrangler.env", f"""CLOUDFLARE_ACCOUNT_ID={hx(32)}
CLOUDFLARE_API_TOKEN={rs(40, AL + '_-')}
""")
pos("cloudflare", "dns_update.sh", f"""#!/bin/sh
ZONE={hx(32)}
curl -s -X PUT "https://api.cloudflare.com/client/v4/zones/$ZONE/dns_records/$RECORD" \\
  -H "X-Auth-Email: ops@acme-widgets.com" \\
  -H "X-Auth-Key: {hx(37)}" \\
  -H "Content-Type: application/json" \\
  --data '{{"type":"A","name":"vpn","content":"'"$IP"'"}}'
""")
pos("cloudflare", "cloudflare.ini", f"""# certbot dns-cloudflare credentials
dns_cloudflare_api_token = {rs(40, AL + '_-')}
""")
pos("alibaba", "oss_upload.py", f"""import oss2

auth = oss2.Auth("LTAI5t{rs(18, AL)}", "{rs(30, AL)}")
bucket = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", "app-static")
bucket.put_object_from_file("index.html", "dist/index.html")
""")
pos("alibaba", "application.yml", f"""aliyun:
  oss:
    endpoint: oss-cn-shanghai.aliyuncs.com
    access-key-id: LTAI4G{rs(18, AL)}
    access-key-secret: {rs(30, AL)}
    bucket: media-prod
""")
pos("heroku", "Procfile.env", f"""HEROKU_API_KEY={uuid.UUID(int=R.getrandbits(128))}
HEROKU_APP=acme-api-prod
""")
pos("heroku", "release.sh", f"""#!/bin/bash
export HEROKU_API_KEY=HRKU-AA{rs(58, AL + '_-')}
heroku container:release web -a acme-api
""")

# ---------------- GitHub ----------------
pos("github", "scripts/release.sh", f"""#!/usr/bin/env bash
set -e
GITHUB_TOKEN={gh('ghp_')}
curl -sf -H "Authorization: token $GITHUB_TOKEN" \\
  -d '{{"tag_name":"v'$VERSION'"}}' https://api.github.com/repos/acme/widgets/releases
""")
pos("github", ".npmrc", f"""@acme:registry=https://npm.pkg.github.com
//npm.pkg.github.com/:_authToken={gh('ghp_')}
""")
pos("github", "bot/config.py", f"""GITHUB_APP_ID = 318442
GITHUB_OAUTH_TOKEN = "{gh('gho_')}"
REPO = "acme/infra"
""")
pos("github", "ci/runner.env", f"""RUNNER_NAME=build-07
GITHUB_INSTALLATION_TOKEN={gh('ghs_')}
""")
pos("github", "fetch_repos.go", f"""package main

import (
	"context"

	"github.com/google/go-github/v60/github"
)

func client() *github.Client {{
	return github.NewClient(nil).WithAuthToken("github_pat_11{rs(20, UP)}_{rs(59, AL)}")
}}

func main() {{ _, _, _ = client().Repositories.List(context.Background(), "", nil) }}
""")
pos("github", "home/.git-credentials", f"""https://octo-dev:{gh('ghp_')}@github.com
""")
pos("github", "docker-compose.yml", f"""services:
  renovate:
    image: renovate/renovate:37
    environment:
      RENOVATE_PLATFORM: github
      RENOVATE_TOKEN: {gh('ghu_')}
      LOG_LEVEL: info
""")
pos("github", "refresh.json", f"""{{"access_token":"{gh('ghu_')}","expires_in":28800,"refresh_token":"{'ghr_' + rs(76, AL)}","refresh_token_expires_in":15811200,"token_type":"bearer","scope":""}}
""")
pos("github", "oauth_app.rb", f"""OmniAuth.config.add_provider :github do
  provider :github, "Iv1.{hx(16)}", "{hx(40)}", scope: "read:user"
end
GITHUB_CLIENT_SECRET = "{hx(40)}"
""")
pos("github", "Jenkinsfile", f"""pipeline {{
  agent any
  environment {{
    GH_TOKEN = '{gh('ghp_')}'
  }}
  stages {{
    stage('Publish') {{ steps {{ sh 'gh release create $TAG dist/*' }} }}
  }}
}}
""")

# ---------------- GitLab ----------------
pos("gitlab", ".gitlab-ci.yml", f"""variables:
  GITLAB_TOKEN: glpat-{rs(20, AL + '-_')}
release:
  stage: deploy
  script:
    - 'curl --header "PRIVATE-TOKEN: $GITLAB_TOKEN" "https://gitlab.com/api/v4/projects/$CI_PROJECT_ID/releases"'
""")
pos("gitlab", "sync.py", f"""import gitlab

gl = gitlab.Gitlab("https://gitlab.acme.io", private_token="glpat-{rs(20, AL + '-_')}")
project = gl.projects.get("platform/infra")
""")
pos("gitlab", "runner/config.toml", f"""concurrent = 4

[[runners]]
  name = "docker-runner-02"
  url = "https://gitlab.com/"
  token = "glrt-{rs(20, AL + '-_')}"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.19"
""")
pos("gitlab", "register.sh", f"""gitlab-runner register --non-interactive \\
  --url https://gitlab.example-corp.net/ \\
  --registration-token GR1348941{rs(20, AL + '-_')} \\
  --executor shell
""")
pos("gitlab", "deploy-token.txt", f"""username: gitlab+deploy-token-4411
password: gldt-{rs(20, AL + '-_')}
""")
pos("gitlab", "trigger.sh", f"""curl -X POST --fail -F token=glptt-{hx(40)} -F ref=main https://gitlab.com/api/v4/projects/8812/trigger/pipeline
""")
pos("gitlab", "values.yaml", f"""gitlab:
  url: https://gitlab.com
  token: "glpat-{rs(27, AL + '-_')}.01.{rs(9, LO)}"
""")

# ---------------- Slack ----------------
def xox(p): return f"{p}-{R.randint(10**10, 10**13)}-{R.randint(10**10, 10**13)}-{rs(24, AL)}"
pos("slack", "bot/.env", f"""SLACK_BOT_TOKEN={xox('xoxb')}
SLACK_SIGNING_SECRET={hx(32)}
""")
pos("slack", "notify.py", f"""from slack_sdk import WebClient

client = WebClient(token="{xox('xoxb')}")
client.chat_postMessage(channel="#deploys", text="Deploy finished")
""")
pos("slack", "alertmanager.yml", f"""route:
  receiver: slack-ops
receivers:
  - name: slack-ops
    slack_configs:
      - api_url: https://hooks.slack.com/services/T{rs(8, UP)}/B{rs(10, UP)}/{rs(24, AL)}
        channel: '#alerts'
""")
pos("slack", "Jenkinsfile", f"""post {{
  failure {{
    sh "curl -X POST -H 'Content-type: application/json' --data '{{\\"text\\":\\"Build failed\\"}}' https://hooks.slack.com/services/T{rs(8, UP)}/B{rs(8, UP)}/{rs(24, AL)}"
  }}
}}
""")
pos("slack", "socket_mode.js", f"""const {{ App }} = require("@slack/bolt");

const app = new App({{
  token: "{xox('xoxb')}",
  appToken: "xapp-1-A{rs(10, UP)}-{R.randint(10**12, 10**13)}-{hx(64)}",
  socketMode: true,
}});
""")
pos("slack", "user_token.json", f"""{{"ok":true,"app_id":"A{rs(10, UP)}","authed_user":{{"id":"U{rs(10, UP)}","scope":"chat:write","access_token":"{'xoxp-' + str(R.randint(10**10,10**13)) + '-' + str(R.randint(10**10,10**13)) + '-' + str(R.randint(10**10,10**13)) + '-' + hx(32)}","token_type":"user"}},"team":{{"id":"T{rs(8, UP)}"}}}}
""")
pos("slack", "slack.go", f"""package notify

const webhook = "https://hooks.slack.com/services/T{rs(10, UP)}/B{rs(11, UP)}/{rs(24, AL)}"
""")

# ---------------- Stripe ----------------
pos("stripe", "config/initializers/stripe.rb", f"""Rails.configuration.stripe = {{
  publishable_key: "pk_live_{rs(99, AL)}",
  secret_key: "sk_live_{rs(99, AL)}"
}}
Stripe.api_key = Rails.configuration.stripe[:secret_key]
""")
pos("stripe", "checkout.php", f"""<?php
require 'vendor/autoload.php';
\\Stripe\\Stripe::setApiKey('sk_live_51{rs(22, AL)}{rs(72, AL)}');
$session = \\Stripe\\Checkout\\Session::create(['mode' => 'payment', 'line_items' => $items]);
""")
pos("stripe", "webhook.js", f"""const endpointSecret = "whsec_{rs(32, AL)}";
app.post("/webhook", express.raw({{ type: "application/json" }}), (req, res) => {{
  const event = stripe.webhooks.constructEvent(req.body, req.headers["stripe-signature"], endpointSecret);
  res.json({{ received: true }});
}});
""")
pos("stripe", ".env", f"""STRIPE_SECRET_KEY=rk_live_51{rs(22, AL)}{rs(72, AL)}
STRIPE_PUBLISHABLE_KEY=pk_live_51{rs(22, AL)}{rs(72, AL)}
""")
pos("stripe", "billing_test_env.yaml", f"""stripe:
  api_key: sk_test_51{rs(22, AL)}{rs(72, AL)}
""")

# ---------------- Twilio / SendGrid / mail ----------------
pos("twilio", "sms.py", f"""from twilio.rest import Client

account_sid = "AC{hx(32)}"
auth_token = "{hx(32)}"
client = Client(account_sid, auth_token)
client.messages.create(to="+15558675310", from_="+15017122661", body="Your code is 4411")
""")
pos("twilio", "twilio.env", f"""TWILIO_ACCOUNT_SID=AC{hx(32)}
TWILIO_AUTH_TOKEN={hx(32)}
TWILIO_FROM=+15017122661
""")
pos("twilio", "Sms.java", f"""public class Sms {{
    public static final String ACCOUNT_SID = "AC{hx(32)}";
    public static final String API_KEY = "SK{hx(32)}";
    public static final String API_SECRET = "{rs(32, AL)}";
    static {{ Twilio.init(API_KEY, API_SECRET, ACCOUNT_SID); }}
}}
""")
def sg(): return f"SG.{rs(22, AL + '-_')}.{rs(43, AL + '-_')}"
pos("sendgrid", "mailer.js", f"""const sgMail = require("@sendgrid/mail");
sgMail.setApiKey("{sg()}");
""")
pos("sendgrid", "settings.py", f"""EMAIL_BACKEND = "sendgrid_backend.SendgridBackend"
SENDGRID_API_KEY = "{sg()}"
DEFAULT_FROM_EMAIL = "noreply@acme-widgets.com"
""")
pos("sendgrid", "postfix/sasl_passwd", f"""[smtp.sendgrid.net]:587 apikey:{sg()}
""")
pos("mailgun", "mail.env", f"""MAILGUN_DOMAIN=mg.acme-widgets.com
MAILGUN_API_KEY={hx(32)}-{hx(8)}-{hx(8)}
""")
pos("mailchimp", "newsletter.php", f"""<?php
$mailchimp = new \\MailchimpMarketing\\ApiClient();
$mailchimp->setConfig(['apiKey' => '{hx(32)}-us21', 'server' => 'us21']);
""")

# ---------------- AI ----------------
pos("openai", "chat.py", f"""from openai import OpenAI

client = OpenAI(api_key="sk-proj-{rs(74, AL + '-_')}T3BlbkFJ{rs(74, AL + '-_')}")
resp = client.chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": "hi"}}])
""")
pos("openai", ".env.local", f"""NEXT_PUBLIC_APP_NAME=Summarizer
OPENAI_API_KEY=sk-{rs(20, AL)}T3BlbkFJ{rs(20, AL)}
""")
pos("openai", "notebook.ipynb", json.dumps({"cells": [{"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [], "source": ["import openai\n", f"openai.api_key = \"sk-svcacct-{rs(74, AL + '-_')}T3BlbkFJ{rs(74, AL + '-_')}\"\n", "openai.models.list()"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n")
pos("openai", "config.toml", f"""[llm]
provider = "openai"
model = "gpt-4.1"
api_key = "sk-proj-{rs(48, AL + '-_')}"
""")
def ant(): return f"sk-ant-api03-{rs(93, AL + '-_')}AA"
pos("anthropic", "agent.ts", f"""import Anthropic from "@anthropic-ai/sdk";

const anthropic = new Anthropic({{ apiKey: "{ant()}" }});
""")
pos("anthropic", ".env", f"""ANTHROPIC_API_KEY={ant()}
""")
pos("anthropic", "claude.sh", f"""curl https://api.anthropic.com/v1/messages \\
  -H "x-api-key: {ant()}" \\
  -H "anthropic-version: 2023-06-01" -H "content-type: application/json" \\
  -d '{{"model":"claude-3-5-sonnet-latest","max_tokens":256,"messages":[{{"role":"user","content":"hello"}}]}}'
""")
pos("huggingface", "train.py", f"""from huggingface_hub import login

login(token="hf_{rs(34, string.ascii_letters)}")
""")
pos("huggingface", "Dockerfile", f"""FROM python:3.11-slim
ENV HF_TOKEN=hf_{rs(34, string.ascii_letters)}
RUN pip install transformers && huggingface-cli download meta-llama/Llama-3.1-8B
""")
pos("ai-misc", "rag.env", f"""GROQ_API_KEY=gsk_{rs(52, AL)}
""")
pos("ai-misc", "replicate.py", f"""import replicate
client = replicate.Client(api_token="r8_{rs(37, AL)}")
""")
pos("ai-misc", "langchain.yaml", f"""llm:
  provider: cohere
  cohere_api_key: {rs(40, AL)}
""")

# ---------------- registries ----------------
pos("npm", "home/.npmrc", f"""registry=https://registry.npmjs.org/
//registry.npmjs.org/:_authToken={gh('npm_')}
""")
pos("npm", "publish.yml", f"""- name: publish
  run: npm publish --access public
  env:
    NODE_AUTH_TOKEN: {gh('npm_')}
""")
pos("npm", "project/.npmrc", f"""@corp:registry=https://nexus.corp.internal/repository/npm-private/
//nexus.corp.internal/repository/npm-private/:_auth={base64.b64encode(('ci-publisher:' + pw(18)).encode()).decode()}
always-auth=true
""")
pos("npm", "yarnrc/.yarnrc.yml", f"""npmRegistryServer: "https://registry.npmjs.org"
npmAuthToken: "{gh('npm_')}"
""")
def pypi(): return "pypi-AgEIcHlwaS5vcmc" + b64(120, url=True).rstrip("=")
pos("pypi", "home/.pypirc", f"""[distutils]
index-servers =
    pypi

[pypi]
username = __token__
password = {pypi()}
""")
pos("pypi", "release.yml", f"""- name: Upload
  run: twine upload dist/*
  env:
    TWINE_USERNAME: __token__
    TWINE_PASSWORD: {pypi()}
""")
pos("pypi", "corp/.pypirc", f"""[distutils]
index-servers = internal

[internal]
repository = https://pypi.corp.internal/simple
username = build-bot
password = {word_pw()}
""")
def dauth(u, p): return base64.b64encode(f"{u}:{p}".encode()).decode()
pos("docker", "home/.docker/config.json", f"""{{
	"auths": {{
		"https://index.docker.io/v1/": {{
			"auth": "{dauth('acmeci', 'dckr_pat_' + rs(27, AL + '-_'))}"
		}},
		"ghcr.io": {{
			"auth": "{dauth('octo-dev', gh('ghp_'))}"
		}}
	}}
}}
""")
pos("docker", "registry/config.json", f"""{{"auths":{{"registry.corp.internal:5000":{{"auth":"{dauth('deployer', word_pw())}"}}}}}}
""")
pos("docker", "login.sh", f"""#!/bin/sh
echo "dckr_pat_{rs(27, AL + '-_')}" | docker login -u acmeci --password-stdin
""")
pos("docker", "k8s/regcred.yaml", f"""apiVersion: v1
kind: Secret
metadata:
  name: regcred
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: {base64.b64encode(('{"auths":{"registry.gitlab.com":{"username":"deploy","password":"' + word_pw() + '","auth":"' + dauth('deploy', word_pw()) + '"}}}').encode()).decode()}
""")
pos("registries-misc", "nuget.config", f"""<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="corp" value="https://pkgs.corp.internal/nuget/v3/index.json" />
  </packageSources>
  <packageSourceCredentials>
    <corp>
      <add key="Username" value="build" />
      <add key="ClearTextPassword" value="{word_pw()}" />
    </corp>
  </packageSourceCredentials>
</configuration>
""")
pos("registries-misc", "gem/credentials", f"""---
:rubygems_api_key: rubygems_{hx(48)}
""")
pos("registries-misc", "settings.xml", f"""<settings>
  <servers>
    <server>
      <id>corp-releases</id>
      <username>deployer</username>
      <password>{word_pw()}</password>
    </server>
  </servers>
</settings>
""")
pos("registries-misc", "gradle.properties", f"""org.gradle.jvmargs=-Xmx2g
mavenUser=ci
mavenPassword={word_pw()}
signing.keyId=4A1C2B3D
signing.password={pw(20)}
""")

# ---------------- private keys ----------------
pos("private-key", "deploy/id_rsa.pem", openssl_key("rsa"))
pos("private-key", "certs/server.key", openssl_key("pkcs8"))
pos("private-key", "tls/ec.key", openssl_key("ec"))
pos("private-key", "secrets/encrypted.pem", openssl_key("enc"))
pos("private-key", "legacy/enc_rsa.key", openssl_key("rsa-enc-legacy"))
pos("private-key", "signing/ed25519.pem", openssl_key("ed25519"))
sk, spub = ssh_key("ed25519")
pos("private-key", "home/.ssh/id_ed25519", sk)
sk2, _ = ssh_key("rsa")
pos("private-key", "ansible/files/deploy_key", sk2)
sk3, _ = ssh_key("ecdsa")
pos("private-key", "bastion/id_ecdsa", sk3)
pos("private-key", "ci/ssh_setup.yml", "- name: install key\n  copy:\n    dest: /home/deploy/.ssh/id_ed25519\n    mode: '0600'\n    content: |\n" + "".join("      " + l + "\n" for l in ssh_key()[0].splitlines()))
pkey_json = json.dumps({"name": "signer", "key": openssl_key("ec")})
pos("private-key", "signer.json", pkey_json + "\n")
def ppk():
    pub = b64(51).rstrip("=")
    priv = b64(48)
    return ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ed25519-key-20240311\nPublic-Lines: 2\n"
            + "AAAAC3NzaC1lZDI1NTE5AAAAI" + b64(30)[:43] + "\n" + b64(6) + "\nPrivate-Lines: 1\n" + b64(36) + "\nPrivate-MAC: " + hx(64) + "\n")
pos("private-key", "putty/server.ppk", ppk())
pos("private-key", "putty/old-rsa.ppk", "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: rsa-key-20190402\nPublic-Lines: 6\n" + "\n".join(b64(48) for _ in range(6)) + "\nPrivate-Lines: 14\n" + "\n".join(b64(48) for _ in range(14)) + "\nPrivate-MAC: " + hx(40) + "\n")
def pgp():
    body = "\n".join(b64(48) for _ in range(20))
    return f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{body}\n={b64(3)}\n-----END PGP PRIVATE KEY BLOCK-----\n"
pos("private-key", "gpg/release-signing.asc", pgp())
pos("private-key", "ci/import_gpg.sh", "#!/bin/bash\ncat <<'EOF' | gpg --batch --import\n" + pgp() + "EOF\n")
def age(): return "AGE-SECRET-KEY-1" + rs(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")
pos("private-key", "sops/age/keys.txt", f"""# created: 2024-05-02T10:11:12Z
# public key: age1{rs(58, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}
{age()}
""")
pos("private-key", "ssl/key_in_env.env", "TLS_KEY=\"" + openssl_key("rsa").replace("\n", "\\n") + "\"\n")
pos("private-key", "KeyLoader.java", 'public class KeyLoader {\n    static final String PRIVATE_KEY = "' + openssl_key("pkcs8").replace("\n", "\\n\" +\n        \"") + '";\n}\n')

# ---------------- URLs and connection strings ----------------
def host(): return R.choice(["db.prod.internal", "10.0.12.44", "pg-main.c8xk2.us-east-1.rds.amazonaws.com", "mysql.corp.local", "cluster0.a1b2c.mongodb.net"])
pos("conn-url", "settings.py", f"""DATABASES = {{"default": dj_database_url.parse("postgres://app_rw:{pw(20).replace('%','')}@pg-main.c8xk2.us-east-1.rds.amazonaws.com:5432/shop")}}
""".replace("#", "x"))
pos("conn-url", "mongo.js", f"""const {{ MongoClient }} = require("mongodb");
const uri = "mongodb+srv://analytics:{rs(16, AL)}@cluster0.a1b2c.mongodb.net/?retryWrites=true&w=majority";
const client = new MongoClient(uri);
""")
pos("conn-url", "cache.yml", f"""redis:
  url: redis://:{rs(24, AL)}@redis-prod.internal:6379/0
""")
pos("conn-url", "celeryconfig.py", f"""broker_url = "amqp://worker:{rs(18, AL)}@rabbitmq.internal:5672/prod"
result_backend = "rpc://"
""")
pos("conn-url", "application.properties", f"""spring.datasource.url=jdbc:mysql://mysql.corp.local:3306/orders?user=orders_app&password={rs(14, AL)}&useSSL=true
spring.jpa.hibernate.ddl-auto=validate
""")
pos("conn-url", "hibernate.cfg.xml", f"""<hibernate-configuration>
  <session-factory>
    <property name="connection.url">jdbc:postgresql://db.prod.internal:5432/ledger</property>
    <property name="connection.username">ledger</property>
    <property name="connection.password">{word_pw()}</property>
  </session-factory>
</hibernate-configuration>
""")
pos("conn-url", "Web.config", f"""<configuration>
  <connectionStrings>
    <add name="Main" connectionString="Server=tcp:sql-prod.database.windows.net,1433;Initial Catalog=crm;User ID=crm_app;Password={word_pw()};Encrypt=True;" providerName="System.Data.SqlClient" />
  </connectionStrings>
</configuration>
""")
pos("conn-url", "Db.cs", f"""var cs = "Data Source=SQL01\\\\PROD;Initial Catalog=Payroll;User Id=payroll_svc;Password={word_pw()};";
using var conn = new SqlConnection(cs);
""")
pos("conn-url", "odbc.ini", f"""[Warehouse]
Driver=ODBC Driver 18 for SQL Server
Server=dw.corp.local
Database=warehouse
UID=etl_loader
PWD={word_pw()}
""")
pos("conn-url", "export.sh", f"""#!/bin/bash
pg_dump "postgresql://backup:{rs(20, AL)}@10.0.12.44:5432/inventory" > /backups/inv.sql
""")
pos("conn-url", "docker-compose.yml", f"""services:
  api:
    image: acme/api:1.4
    environment:
      DATABASE_URL: mysql://api:{rs(16, AL)}@mysql:3306/api
""")
pos("conn-url", "main.go", f"""package main

import "database/sql"

func open() (*sql.DB, error) {{
	return sql.Open("postgres", "host=db.prod.internal user=reporting password={rs(18, AL)} dbname=metrics sslmode=require")
}}
""")
pos("conn-url", "ftp_sync.py", f"""from ftplib import FTP
import urllib.request
urllib.request.urlretrieve("ftp://partner:{rs(12, AL)}@ftp.supplier-corp.com/feeds/catalog.csv", "catalog.csv")
""")
pos("conn-url", "pip.conf", f"""[global]
index-url = https://builder:{rs(22, AL)}@artifactory.corp.internal/api/pypi/pypi-remote/simple
""")
pos("conn-url", "jdbc.properties", f"""jdbc.driverClassName=oracle.jdbc.OracleDriver
jdbc.url=jdbc:oracle:thin:scott/{rs(12, AL)}@//ora-prod.corp.local:1521/ORCL
""")

# ---------------- credential files by structure ----------------
pos("netrc", "home/.netrc", f"""machine api.heroku.com
  login ops@acme-widgets.com
  password {uuid.UUID(int=R.getrandbits(128))}
machine git.heroku.com
  login ops@acme-widgets.com
  password {uuid.UUID(int=R.getrandbits(128))}
""")
pos("netrc", "ci/_netrc", f"""machine artifacts.corp.internal login ci-reader password {rs(20, AL)}
""")
pos("pgpass", "home/.pgpass", f"""db.prod.internal:5432:shop:app_rw:{rs(22, AL)}
*:5432:*:replicator:{word_pw()}
""")
pos("pgpass", "provision/pgpass.conf", f"""# hostname:port:database:username:password
10.20.0.5:5432:analytics:readonly:{rs(18, AL)}
""")
pos("git-credentials", "home/.git-credentials", f"""https://jdoe:{rs(24, AL)}@bitbucket.org
https://oauth2:glpat-{rs(20, AL + '-_')}@gitlab.com
""")
pos("git-credentials", "backup/git-credentials", f"""https://build-bot:{word_pw().replace('@','x').replace('#','x').replace('%','x').replace('$','x').replace('&','x')}@git.corp.internal
""")
pos("htpasswd", "nginx/.htpasswd", f"""admin:{apr1(pw())}
deploy:{bcrypt_like()}
""")
pos("htpasswd", "traefik/users", f"""ops:{bcrypt_like()}
""")
pos("shadow", "etc/shadow", f"""root:{sha512crypt(pw())}:19700:0:99999:7:::
daemon:*:19700:0:99999:7:::
bin:*:19700:0:99999:7:::
deploy:{sha512crypt(pw())}:19712:0:99999:7:::
""")
pos("shadow", "cloud-init/user-data.yaml", f"""#cloud-config
users:
  - name: ops
    sudo: ALL=(ALL) NOPASSWD:ALL
    passwd: {sha512crypt(pw())}
    lock_passwd: false
""")
pos("s3cfg", "home/.s3cfg", f"""[default]
access_key = {aws_id()}
secret_key = {aws_secret()}
host_base = s3.amazonaws.com
host_bucket = %(bucket)s.s3.amazonaws.com
use_https = True
""")
pos("s3cfg", "minio/.s3cfg", f"""[default]
access_key = minioadmin-ci
secret_key = {rs(40, AL)}
host_base = minio.corp.internal:9000
host_bucket = minio.corp.internal:9000
""")
pos("rails", "config/master.key", hx(32) + "\n")
pos("rails", "config/secrets.yml", f"""production:
  secret_key_base: {hx(128)}
""")
pos("django", "mysite/settings.py", f"""import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "django-insecure-{rs(50, string.ascii_lowercase + string.digits + '!@#%^&*(-_=+)')}"
DEBUG = False
ALLOWED_HOSTS = ["shop.acme-widgets.com"]
""")
pos("django", "config/settings/prod.py", f"""from .base import *

SECRET_KEY = '{rs(50, string.ascii_lowercase + string.digits + '!@#%^&*(-_=+)')}'
DEBUG = False
""")
def wp(): return rs(64, string.ascii_letters + string.digits + "!@#%^&*()-_[]{}<>~+=,.;:/?|")
pos("wordpress", "wp-config.php", f"""<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wp_user' );
define( 'DB_PASSWORD', '{word_pw()}' );
define( 'DB_HOST', 'localhost' );

define( 'AUTH_KEY',         '{wp()}' );
define( 'SECURE_AUTH_KEY',  '{wp()}' );
define( 'LOGGED_IN_KEY',    '{wp()}' );
define( 'NONCE_KEY',        '{wp()}' );
define( 'AUTH_SALT',        '{wp()}' );
define( 'SECURE_AUTH_SALT', '{wp()}' );
define( 'LOGGED_IN_SALT',   '{wp()}' );
define( 'NONCE_SALT',       '{wp()}' );

$table_prefix = 'wp_';
""".replace("'{", "'x").replace("}'", "x'"))
pos("wordpress", "site/wp-config.php", f"""<?php
define('DB_NAME', 'blog');
define('DB_USER', 'blog');
define('DB_PASSWORD', '{rs(20, AL)}');
define('DB_HOST', 'mysql.internal');
""")
def k8s_secret(name, data):
    lines = "".join(f"  {k}: {base64.b64encode(v.encode()).decode()}\n" for k, v in data.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: prod\ntype: Opaque\ndata:\n{lines}"
pos("k8s-secret", "k8s/db-secret.yaml", k8s_secret("db-credentials", {"username": "orders", "password": word_pw()}))
pos("k8s-secret", "manifests/api-secrets.yaml", k8s_secret("api-keys", {"STRIPE_KEY": "sk_live_" + rs(40, AL), "JWT_SIGNING_KEY": rs(48, AL)}))
pos("k8s-secret", "helm/out/secret.yaml", f"""---
apiVersion: v1
kind: Secret
metadata:
  name: smtp
stringData:
  SMTP_PASSWORD: "{word_pw()}"
""")
pos("kubeconfig", "home/.kube/config", f"""apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {b64(600)}
    server: https://10.0.0.1:6443
  name: prod
contexts:
- context:
    cluster: prod
    user: admin
  name: prod
current-context: prod
users:
- name: admin
  user:
    client-certificate-data: {b64(600)}
    client-key-data: {base64.b64encode(openssl_key('rsa').encode()).decode()}
""")
pos("kubeconfig", "ci/kubeconfig.yaml", f"""apiVersion: v1
kind: Config
clusters:
- name: staging
  cluster:
    server: https://k8s.staging.corp.internal
    certificate-authority-data: {b64(600)}
users:
- name: ci-deployer
  user:
    token: eyJhbGciOiJSUzI1NiIsImtpZCI6I{b64(30, url=True).rstrip('=')}.{b64(220, url=True).rstrip('=')}.{b64(256, url=True).rstrip('=')}
contexts:
- name: staging
  context: {{cluster: staging, user: ci-deployer}}
current-context: staging
""")
pos("kubeconfig", "kube/eks-config", f"""apiVersion: v1
kind: Config
users:
- name: ops
  user:
    token: {rs(6, LO)}.{rs(16, LO)}
""")
pos("tfstate", "terraform.tfstate", f"""{{
  "version": 4,
  "terraform_version": "1.6.2",
  "serial": 12,
  "lineage": "{uuid.UUID(int=R.getrandbits(128))}",
  "outputs": {{}},
  "resources": [
    {{
      "mode": "managed",
      "type": "aws_db_instance",
      "name": "main",
      "provider": "provider[\\"registry.terraform.io/hashicorp/aws\\"]",
      "instances": [
        {{
          "schema_version": 2,
          "attributes": {{
            "engine": "postgres",
            "identifier": "main-db",
            "username": "dbadmin",
            "password": "{rs(24, AL)}",
            "port": 5432
          }},
          "sensitive_attributes": []
        }}
      ]
    }}
  ]
}}
""")
pos("tfstate", "env/prod/terraform.tfstate.backup", f"""{{
  "version": 4,
  "resources": [
    {{
      "type": "random_password",
      "name": "redis",
      "instances": [{{"attributes": {{"length": 32, "result": "{rs(32, AL)}", "special": false}}}}]
    }}
  ]
}}
""")
def fz_pass(): return base64.b64encode(word_pw().encode()).decode()
pos("filezilla", "AppData/FileZilla/sitemanager.xml", f"""<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<FileZilla3 version="3.66.4" platform="windows">
    <Servers>
        <Server>
            <Host>ftp.acme-widgets.com</Host>
            <Port>21</Port>
            <Protocol>0</Protocol>
            <Type>0</Type>
            <User>webmaster</User>
            <Pass encoding="base64">{fz_pass()}</Pass>
            <Logontype>1</Logontype>
            <Name>production web</Name>
        </Server>
    </Servers>
</FileZilla3>
""")
pos("filezilla", "AppData/FileZilla/recentservers.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<FileZilla3>
  <RecentServers>
    <Server>
      <Host>sftp.partner.io</Host>
      <Port>22</Port>
      <Protocol>1</Protocol>
      <User>upload</User>
      <Pass encoding="base64">{fz_pass()}</Pass>
    </Server>
  </RecentServers>
</FileZilla3>
""")
pos("winscp", "AppData/Roaming/WinSCP.ini", f"""[Configuration\\Interface]
RandomSeedFile=%APPDATA%\\winscp.rnd

[Sessions\\deploy@web01]
HostName=web01.corp.local
UserName=deploy
Password={hx(60).upper()}
FSProtocol=2
""")
pos("dotenv", "app/.env", f"""APP_ENV=production
APP_KEY=base64:{b64(32)}
DB_CONNECTION=mysql
DB_HOST=127.0.0.1
DB_DATABASE=laravel
DB_USERNAME=laravel
DB_PASSWORD={word_pw()}
""")
pos("dotenv", "svc/.env", f"""LOG_LEVEL=info
JWT_SECRET={rs(48, AL)}
SESSION_SECRET={hx(64)}
""")
pos("dotenv", "api/.env.staging", f"""DATABASE_PASSWORD="{rs(24, AL)}"
REDIS_HOST=redis
""")
pos("dotenv", "web/.env", f"""VITE_API_URL=https://api.acme-widgets.com
ENCRYPTION_KEY={b64(32)}
""")

# ---------------- generic assignments ----------------
pos("generic", "config/database.yml", f"""production:
  adapter: postgresql
  host: db.prod.internal
  database: storefront
  username: storefront
  password: {word_pw()}
""")
pos("generic", "config.toml", f"""[database]
host = "10.1.2.3"
user = "metrics"
password = "{rs(20, AL)}"
""")
pos("generic", "my.cnf", f"""[client]
user=backup
password={rs(18, AL)}
host=mysql.corp.local
""")
pos("generic", "server.xml", f"""<Server>
  <Resource name="jdbc/Main" auth="Container" type="javax.sql.DataSource"
            username="tomcat_app" password="{word_pw()}"
            driverClassName="org.postgresql.Driver" url="jdbc:postgresql://db:5432/main"/>
</Server>
""")
pos("generic", "secrets.json", f"""{{
  "smtp": {{ "host": "smtp.office365.com", "user": "noreply@acme-widgets.com", "password": "{word_pw()}" }}
}}
""")
pos("generic", "app.ini", f"""[security]
admin_user = grafana
admin_password = {word_pw()}
secret_key = {rs(32, AL)}
""")
pos("generic", "client.py", f"""import requests

API_KEY = "{rs(40, AL)}"

def fetch(path):
    return requests.get("https://api.weatherstack-corp.com" + path, headers={{"X-API-Key": API_KEY}})
""")
pos("generic", "Config.java", f"""public final class Config {{
    public static final String DB_USER = "inventory";
    public static final String DB_PASSWORD = "{word_pw()}";
}}
""")
pos("generic", "config.php", f"""<?php
$config['db_host'] = 'localhost';
$config['db_user'] = 'shop';
$config['db_password'] = '{rs(16, AL)}';
""")
pos("generic", "settings.rb", f"""Rails.application.configure do
  config.x.partner_api_secret = "{hx(40)}"
end
""")
pos("generic", "deploy.yaml", f"""ldap:
  url: ldaps://ldap.corp.local
  bind_dn: cn=svc-jenkins,ou=svc,dc=corp,dc=local
  bind_password: {word_pw()}
""")
pos("generic", "inventory.ini", f"""[web]
web01 ansible_host=10.0.1.11 ansible_user=deploy ansible_password={word_pw()}
""")
pos("generic", "redis.conf", f"""bind 0.0.0.0
port 6379
requirepass {rs(32, AL)}
""")
pos("generic", "Program.cs", f"""var client = new SmtpClient("smtp.sendinblue.com", 587)
{{
    Credentials = new NetworkCredential("mailer@acme-widgets.com", "{word_pw()}"),
    EnableSsl = true
}};
""")
pos("generic", "curl_api.sh", f"""curl -u deploy:{rs(20, AL)} https://nexus.corp.internal/service/rest/v1/components?repository=releases
""")
pos("generic", "fetch.js", f"""fetch("https://api.partner-corp.io/v2/orders", {{
  headers: {{ Authorization: "Bearer {rs(48, AL)}" }},
}});
""")
pos("generic", "basic_auth.py", f"""import requests
requests.get("https://jenkins.corp.local/api/json", headers={{"Authorization": "Basic {dauth('jenkins', rs(24, AL))}"}})
""")
pos("generic", "mysql_backup.sh", f"""#!/bin/bash
mysqldump -u root -p'{word_pw()}' --all-databases | gzip > /backup/all.sql.gz
""")
pos("generic", "vault.hcl", f"""storage "consul" {{
  address = "127.0.0.1:8500"
  token   = "{uuid.UUID(int=R.getrandbits(128))}"
}}
""")
pos("generic", "values.yaml", f"""postgresql:
  auth:
    username: keycloak
    password: "{rs(20, AL)}"
    postgresPassword: "{rs(20, AL)}"
""")
pos("generic", "env.go", f"""package config

var (
	apiSecret = "{rs(40, AL)}"
)
""")

# ---------------- SaaS misc ----------------
pos("saas", "sentry.properties", f"""defaults.org=acme
defaults.project=web
auth.token=sntrys_eyJ{b64(120).rstrip('=')}
""")
pos("saas", "datadog.yaml", f"""api_key: {hx(32)}
site: datadoghq.com
logs_enabled: true
""")
pos("saas", "newrelic.yml", f"""common: &default_settings
  license_key: '{hx(36)}NRAL'
  app_name: Storefront
""")
pos("saas", "telegram_bot.py", f"""import telebot
bot = telebot.TeleBot("{R.randint(10**9, 10**10)}:AA{rs(33, AL + '-_')}")
""")
pos("saas", "discord.env", f"""DISCORD_WEBHOOK=https://discord.com/api/webhooks/{R.randint(10**17, 10**18)}/{rs(68, AL + '-_')}
""")
pos("saas", "shopify.env", f"""SHOPIFY_ACCESS_TOKEN=shpat_{hx(32)}
""")
pos("saas", "hashicorp.sh", f"""export VAULT_ADDR=https://vault.corp.internal:8200
export VAULT_TOKEN=hvs.{rs(24, AL)}
""")
pos("saas", "linear.ts", f"""const linear = new LinearClient({{ apiKey: "lin_api_{rs(40, AL)}" }});
""")
pos("saas", "notion.py", f"""notion = Client(auth="ntn_{rs(11, string.digits)}{rs(35, AL)}")
""")
pos("saas", "postman_env.json", f"""{{"name":"prod","values":[{{"key":"postman_api_key","value":"PMAK-{hx(24)}-{hx(34)}","enabled":true}}]}}
""")
pos("saas", "atlassian.env", f"""JIRA_URL=https://acme.atlassian.net
JIRA_API_TOKEN=ATATT3xFfGF0{rs(180, AL + '-_')}={hx(8).upper()}
""")
pos("saas", "grafana.ini", f"""[auth]
grafana_service_account_token = glsa_{rs(32, AL)}_{hx(8)}
""")
pos("saas", "square.py", f"""client = Client(access_token="EAAA{rs(60, AL + '-_')}", environment="production")
""")
pos("saas", "jwt.txt", f"""Authorization token captured from prod logs:
eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{base64.urlsafe_b64encode(json.dumps({"sub": str(R.randint(1000, 99999)), "role": "admin", "iat": 1715000000}).encode()).decode().rstrip('=')}.{b64(32, url=True).rstrip('=')}
""")
pos("saas", "databricks.cfg", f"""[DEFAULT]
host = https://adb-{R.randint(10**15, 10**16)}.7.azuredatabricks.net
token = dapi{hx(32)}
""")
pos("saas", "terraformrc", f"""credentials "app.terraform.io" {{
  token = "{rs(14, AL)}.atlasv1.{rs(67, AL)}"
}}
""")
pos("saas", "okta.yaml", f"""okta:
  client:
    orgUrl: https://acme.okta.com
    token: 00{rs(40, AL + '-_')}
""")

# ======== batch 2: more contexts per format ========
def upw(): return rs(18, AL)  # url-safe password
pos("generic", "db.py", f"""import psycopg2

conn = psycopg2.connect(host="10.2.0.7", dbname="orders", user="orders_rw", password="{word_pw()}")
""")
pos("generic", "db.js", f"""const pool = mysql.createPool({{
  host: "mysql.internal",
  user: "shop",
  pass: "{upw()}",
  database: "shop",
}});
""")
pos("generic", "store.go", f"""package store

var dbCfg = mysql.Config{{
	User:   "ledger",
	Passwd: "{upw()}",
	Net:    "tcp",
	Addr:   "10.0.3.9:3306",
	DBName: "ledger",
}}
""")
pos("generic", "database.php", f"""<?php
return [
    'mysql' => [
        'host' => '10.0.0.12',
        'username' => 'forge',
        'password' => '{upw()}',
    ],
];
""")
pos("generic", "mailer.rb", f"""ActionMailer::Base.smtp_settings = {{
  address: "smtp.mailgun.org",
  user_name: "postmaster@mg.acme-widgets.com",
  password: "{upw()}",
  authentication: :plain
}}
""")
pos("generic", "Mailer.java", f"""Session session = Session.getInstance(props, new Authenticator() {{
    protected PasswordAuthentication getPasswordAuthentication() {{
        return new PasswordAuthentication("alerts@acme-widgets.com", "{word_pw()}");
    }}
}});
""")
pos("generic", "DataSourceConfig.java", f"""HikariConfig config = new HikariConfig();
config.setJdbcUrl("jdbc:postgresql://db.prod.internal:5432/app");
config.setUsername("app");
config.setPassword("{upw()}");
""")
pos("generic", "run_db.sh", f"""docker run -d --name pg -e POSTGRES_PASSWORD={upw()} -p 5432:5432 postgres:16
""")
pos("generic", "sync.sh", f"""sshpass -p '{word_pw()}' rsync -avz ./site/ deploy@web01.corp.local:/var/www/
""")
pos("generic", "tomcat-users.xml", f"""<tomcat-users>
  <role rolename="manager-gui"/>
  <user username="manager" password="{upw()}" roles="manager-gui,manager-script"/>
</tomcat-users>
""")
pos("generic", "msmtprc", f"""account default
host smtp.gmail.com
port 587
auth on
user reports.acme@gmail.com
password {rs(16, string.ascii_lowercase)}
""")
pos("generic", "wpa_supplicant.conf", f"""network={{
    ssid="Acme-Office"
    psk="{word_pw()}"
}}
""")
pos("generic", "Office.nmconnection", f"""[connection]
id=Acme-Office
type=wifi
[wifi-security]
key-mgmt=wpa-psk
psk={word_pw()}
""")
pos("generic", "settings.yaml", f"""smtp:
  host: smtp.office365.com
  username: noreply@acme-widgets.com
  pwd: {word_pw()}
""")
pos("generic", "client_creds.json", f"""{{
  "client_id": "orders-service",
  "client_secret": "{rs(32, AL)}",
  "token_url": "https://auth.corp.internal/oauth/token"
}}
""")
pos("generic", "auth.yaml", f"""oidc:
  issuer: https://keycloak.corp.internal/realms/prod
  client_id: grafana
  client_secret: {rs(32, AL)}
""")
pos("generic", "api.go", f"""package partner

const apiToken = "{hx(40)}"

func auth(r *http.Request) {{ r.Header.Set("Authorization", "Token "+apiToken) }}
""")
pos("generic", "sync_job.py", f"""ACCESS_TOKEN = "{rs(64, AL)}"
headers = {{"Authorization": f"Bearer {{ACCESS_TOKEN}}"}}
""")
pos("generic", "appsettings.json", f"""{{
  "Smtp": {{ "Host": "smtp.sendgrid.net", "User": "apikey", "Password": "{word_pw()}" }},
  "Jwt": {{ "Issuer": "acme", "SigningKey": "{rs(44, AL)}" }}
}}
""")
pos("generic", "bitbucket-pipelines.yml", f"""pipelines:
  default:
    - step:
        script:
          - pipe: atlassian/ftp-deploy:0.3.7
            variables:
              USER: deploy
              PASSWORD: '{word_pw()}'
              SERVER: ftp.acme-widgets.com
""")
pos("generic", "provision.ps1", f"""$password = ConvertTo-SecureString "{word_pw()}" -AsPlainText -Force
$cred = New-Object System.Management.Automation.PSCredential ("CORP\\svc-deploy", $password)
Invoke-Command -ComputerName web01 -Credential $cred -ScriptBlock {{ iisreset }}
""")
pos("generic", "Unattend.xml", f"""<UserAccounts>
  <AdministratorPassword>
    <Value>{word_pw()}</Value>
    <PlainText>true</PlainText>
  </AdministratorPassword>
</UserAccounts>
""")
pos("generic", "mosquitto.conf", f"""connection bridge-01
address mqtt.cloud-iot.net:8883
remote_username gateway-07
remote_password {upw()}
""")
pos("generic", "ldap.conf", f"""BASE dc=corp,dc=local
URI ldaps://ldap.corp.local
BINDDN cn=readonly,dc=corp,dc=local
BINDPW {upw()}
""")
pos("generic", "sasl_passwd", f"""[smtp.gmail.com]:587 relay.acme@gmail.com:{rs(16, string.ascii_lowercase)}
""")
pos("conn-url", "App.config", f"""<connectionStrings>
  <add name="Db" connectionString="Server=mysql01;Port=3306;Database=crm;Uid=crm;Pwd={upw()};" providerName="MySql.Data.MySqlClient" />
</connectionStrings>
""")
pos("conn-url", "redis.py", f"""import redis
r = redis.from_url("rediss://default:{upw()}@redis-12345.c1.us-east-1-2.ec2.cloud.redislabs.com:12345")
""")
pos("conn-url", "mongo_replica.yaml", f"""mongodb:
  uri: mongodb://svc_api:{upw()}@mongo-0.mongo:27017,mongo-1.mongo:27017,mongo-2.mongo:27017/app?replicaSet=rs0&authSource=admin
""")
pos("conn-url", "mssql.properties", f"""db.url=jdbc:sqlserver://sql01.corp.local:1433;databaseName=Payroll;user=payroll;password={upw()};encrypt=true
""")
pos("conn-url", "sqlalchemy.py", f"""engine = create_engine("mssql+pyodbc://etl:{upw()}@dw-prod/warehouse?driver=ODBC+Driver+18+for+SQL+Server")
""")
pos("conn-url", "amqp.env", f"""RABBITMQ_URL=amqps://orders:{upw()}@b-1234abcd.mq.us-east-1.amazonaws.com:5671
""")
pos("conn-url", "git-config", f"""[remote "origin"]
	url = https://oauth2:{rs(20, AL)}@git.corp.internal/platform/api.git
	fetch = +refs/heads/*:refs/remotes/origin/*
""")
pos("conn-url", "proxy.sh", f"""export https_proxy=http://jsmith:{upw()}@proxy.corp.local:3128
""")
pos("conn-url", "elastic.yml", f"""output.elasticsearch:
  hosts: ["https://elastic:{upw()}@es.corp.internal:9200"]
""")
pos("conn-url", "clickhouse.xml", f"""<clickhouse><remote_servers><cluster><shard><replica><host>ch1</host><port>9000</port><user>replicator</user><password>{upw()}</password></replica></shard></cluster></remote_servers></clickhouse>
""")
pos("aws", "serverless.yml", f"""provider:
  name: aws
  environment:
    AWS_KEY: {aws_id()}
    AWS_SECRET: {aws_secret()}
""")
pos("aws", "S3Config.java", f"""AWSCredentials credentials = new BasicAWSCredentials("{aws_id()}", "{aws_secret()}");
AmazonS3 s3 = AmazonS3ClientBuilder.standard().withCredentials(new AWSStaticCredentialsProvider(credentials)).build();
""")
pos("aws", "filesystems.php", f"""<?php
return ['disks' => ['s3' => [
    'driver' => 's3',
    'key' => '{aws_id()}',
    'secret' => '{aws_secret()}',
    'region' => 'eu-west-1',
]]];
""")
pos("aws", "aws.rb", f"""Aws.config.update(credentials: Aws::Credentials.new('{aws_id()}', '{aws_secret()}'), region: 'us-east-1')
""")
pos("aws", "home/.boto", f"""[Credentials]
aws_access_key_id = {aws_id()}
aws_secret_access_key = {aws_secret()}
""")
pos("aws", "secret_only.yaml", f"""s3:
  bucket: exports
  aws_secret_access_key: {aws_secret()}
""")
pos("azure-storage", "azuredeploy.parameters.json", f"""{{
  "parameters": {{
    "storageAccountName": {{ "value": "diagstore01" }},
    "storageAccountKey": {{ "value": "{az_key()}" }}
  }}
}}
""")
pos("azure-ad", "provider.tf", f"""provider "azurerm" {{
  features {{}}
  client_id     = "{uuid.UUID(int=R.getrandbits(128))}"
  client_secret = "{rs(3, AL)}8Q~{rs(34, AL + '_-.~')}"
  tenant_id     = "{uuid.UUID(int=R.getrandbits(128))}"
}}
""")
pos("azure-devops", "nuget-feed/.npmrc", f"""registry=https://pkgs.dev.azure.com/acme/_packaging/web/npm/registry/
always-auth=true
//pkgs.dev.azure.com/acme/_packaging/web/npm/registry/:username=acme
//pkgs.dev.azure.com/acme/_packaging/web/npm/registry/:_password={base64.b64encode(rs(52, string.ascii_lowercase + '234567').encode()).decode()}
//pkgs.dev.azure.com/acme/_packaging/web/npm/registry/:email=ci@acme-widgets.com
""")
pos("azure-devops", "clone.sh", f"""AZURE_DEVOPS_PAT={rs(52, string.ascii_lowercase + '234567')}
git clone https://build:$AZURE_DEVOPS_PAT@dev.azure.com/acme/web/_git/web
""")
pos("github", "gh/hosts.yml", f"""github.com:
    user: octo-dev
    oauth_token: {gh('gho_')}
    git_protocol: https
""")
pos("github", "composer/auth.json", f"""{{
    "github-oauth": {{
        "github.com": "{gh('ghp_')}"
    }}
}}
""")
pos("github", "clone_private.py", f"""subprocess.run(["git", "clone", "https://x-access-token:{gh('ghs_')}@github.com/acme/private-models.git"])
""")
pos("gitlab", "git-remote.txt", f"""origin  https://oauth2:glpat-{rs(20, AL + '-_')}@gitlab.com/acme/platform.git (fetch)
""")
pos("slack", "workflow.sh", f"""curl -X POST -H 'Content-Type: application/json' -d '{{"msg":"done"}}' https://hooks.slack.com/workflows/T{rs(8, UP)}/A{rs(10, UP)}/{R.randint(10**17,10**18)}/{rs(24, AL)}
""")
pos("slack", "oauth.json", f"""{{"ok": true, "access_token": "xoxe.xoxp-1-{rs(160, AL)}", "refresh_token": "xoxe-1-{rs(146, AL)}", "expires_in": 43200}}
""")
pos("npm", "legacy/.npmrc", f"""//registry.npmjs.org/:_authToken={uuid.UUID(int=R.getrandbits(128))}
""")
pos("docker", "gcr/config.json", f"""{{"auths":{{"https://us-docker.pkg.dev":{{"auth":"{dauth('oauth2accesstoken', 'ya29.' + rs(150, AL + '-_'))}"}}}}}}
""")
pos("private-key", "helm/tls-values.yaml", "ingress:\n  tls:\n    crt: |\n" + "".join("      " + l + "\n" for l in cert()[0].splitlines()) + "    key: |\n" + "".join("      " + l + "\n" for l in openssl_key("rsa").splitlines()))
pos("private-key", "k8s/tls-secret.yaml", f"""apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: web-tls
data:
  tls.crt: {base64.b64encode(cert()[0].encode()).decode()}
  tls.key: {base64.b64encode(openssl_key('ec').encode()).decode()}
""")
pos("private-key", "dsa/id_dsa", run(["openssl", "dsaparam", "-genkey", "-noout", "1024"]) if False else "-----BEGIN DSA PRIVATE KEY-----\n" + "\n".join(b64(48) for _ in range(8)) + "\n" + b64(30) + "\n-----END DSA PRIVATE KEY-----\n")
pos("private-key", "id_rsa", openssl_key("rsa"))
pos("private-key", "app/keys.py", 'SIGNING_KEY = """' + openssl_key("ec") + '"""\n')
pos("private-key", "ios/AuthKey_7F3K2L9QX1.p8", openssl_key("ec").replace("EC PRIVATE KEY", "PRIVATE KEY"))
pos("gcp-oauth", "adc/application_default_credentials.json", f"""{{
  "client_id": "{R.randint(10**11,10**12)}-{rs(32, LO)}.apps.googleusercontent.com",
  "client_secret": "GOCSPX-{rs(28, AL + '-_')}",
  "refresh_token": "1//0{rs(100, AL + '-_')}",
  "type": "authorized_user"
}}
""")
pos("saas", "kaggle.json", f"""{{"username":"jdoe42","key":"{hx(32)}"}}
""")
pos("saas", "cargo/credentials.toml", f"""[registry]
token = "cio{rs(32, AL)}"
""")
pos("saas", "vault-token", f"hvs.CAESI{rs(90, AL + '_-')}\n")
pos("saas", "pulumi/credentials.json", f"""{{"current":"https://api.pulumi.com","accessTokens":{{"https://api.pulumi.com":"pul-{hx(40)}"}}}}
""")
pos("saas", "doctl/config.yaml", f"""access-token: dop_v1_{hx(64)}
context: default
""")
pos("saas", "hcloud/cli.toml", f"""active_context = "prod"
[[contexts]]
  name = "prod"
  token = "{rs(64, AL)}"
""")
pos("saas", "sentryclirc", f"""[auth]
token={hx(64)}
""")
pos("saas", "firebase-tools.json", f"""{{"tokens": {{"refresh_token": "1//0{rs(100, AL + '-_')}", "access_token": "ya29.{rs(150, AL + '-_')}"}}}}
""")
pos("saas", "mapbox.js", f"""mapboxgl.accessToken = "pk.eyJ1IjoiYWNtZSIsImEiOiJ{rs(40, AL)}.{rs(22, AL)}";
const SECRET = "sk.eyJ1IjoiYWNtZSIsImEiOiJ{rs(40, AL)}.{rs(22, AL)}";
""")
pos("saas", "paypal.env", f"""PAYPAL_CLIENT_ID=A{rs(79, AL + '-_')}
PAYPAL_CLIENT_SECRET=E{rs(79, AL + '-_')}
""")
pos("saas", "algolia.js", f"""const client = algoliasearch("{rs(10, UP)}", process.env.ALGOLIA_SEARCH_KEY);
const ALGOLIA_ADMIN_KEY = "{hx(32)}";
""")
pos("saas", "discord_bot.py", f"""client.run("M{rs(23, AL)}.{rs(6, AL + '-_')}.{rs(38, AL + '-_')}")
""")
pos("saas", "bundle/config", f"""---
BUNDLE_GEMS__CONTRIBSYS__COM: "{hx(8)}:{hx(8)}"
BUNDLE_RUBYGEMS__PKG__GITHUB__COM: "octo-dev:{gh('ghp_')}"
""")
pos("twilio", "appsettings.json", f"""{{ "Twilio": {{ "AccountSid": "AC{hx(32)}", "AuthToken": "{hx(32)}" }} }}
""")
pos("stripe", "payments.go", f"""package payments

func init() {{ stripe.Key = "sk_live_{rs(24, AL)}" }}
""")
pos("sendgrid", "notify.yaml", f"""email:
  provider: sendgrid
  api_key: {sg()}
""")
pos("openai", "app.js", f"""const openai = new OpenAI({{ apiKey: "sk-proj-{rs(156, AL + '-_')}" }});
""")

# ======== batch 3 ========
pos("generic", "fetchmailrc", f"""poll imap.gmail.com protocol IMAP
  user "reports.acme@gmail.com" there with password "{word_pw()}" is reports here
""")
pos("generic", "mutt/muttrc", f"""set smtp_url = "smtps://ops@acme-widgets.com@smtp.gmail.com:465/"
set smtp_pass = "{rs(16, string.ascii_lowercase)}"
""")
pos("generic", "rclone.conf", f"""[s3-backup]
type = s3
provider = AWS
access_key_id = {aws_id()}
secret_access_key = {aws_secret()}
""")
pos("generic", "keystore.properties", f"""storeFile=release.jks
storePassword={upw()}
keyAlias=release
keyPassword={upw()}
""")
pos("generic", "jenkins-cli.sh", f"""java -jar jenkins-cli.jar -s https://jenkins.corp.local -auth admin:{hx(34)} build deploy-prod
""")
pos("conn-url", "knexfile.js", f"""module.exports = {{
  production: {{
    client: "pg",
    connection: "postgresql://knex:{upw()}@pg.internal:5432/app",
  }},
}};
""")
pos("conn-url", "sentry.conf.py", f"""SENTRY_OPTIONS["system.secret-key"] = "{rs(50, string.ascii_lowercase + string.digits + '!@#%^&*(-_=+)')}"
""")
pos("private-key", "vault/unseal.txt", "Unseal Key 1: " + b64(33) + "\nUnseal Key 2: " + b64(33) + "\nInitial Root Token: hvs." + rs(24, AL) + "\n")
pos("private-key", "wireguard/wg0.conf", f"""[Interface]
PrivateKey = {b64(32)}
Address = 10.8.0.2/24

[Peer]
PublicKey = {b64(32)}
Endpoint = vpn.acme-widgets.com:51820
""")
pos("aws", "lambda_env.json", f"""{{"Variables": {{"ACCESS_KEY": "{aws_id()}", "SECRET_KEY": "{aws_secret()}"}}}}
""")
pos("saas", "mapbox_short_user.sh", f"""# tiles upload for the ops account
export MAPBOX_ACCESS_TOKEN=sk.eyJ1IjoicW0iLCJhIjoi{rs(20, AL)}.{rs(22, AL + '-_')}
""")
pos("saas", "mongodb_atlas_sa.json", f"""{{
  "clientId": "mdb_sa_id_{hx(24)}",
  "clientSecret": "mdb_sa_sk_{rs(40, AL + '-_')}",
  "orgId": "{hx(24)}"
}}
""")
pos("saas", "mongodb_atlas_sa.env", f"""MONGODB_ATLAS_CLIENT_ID=mdb_sa_id_{hx(24)}
MONGODB_ATLAS_CLIENT_SECRET=mdb_sa_sk_{rs(40, AL + '-_')}
""")
pos("saas", "truenas_login.py", f"""from truenas_api_client import Client

with Client("wss://nas.lan/api/current") as c:
    c.call("auth.login_with_api_key", "{R.randint(1, 99)}-{rs(64, AL)}")
    print(c.call("system.info"))
""")
pos("saas", "truenas_login.json", f"""{{
  "id": "{uuid.UUID(int=R.getrandbits(128))}",
  "msg": "method",
  "method": "auth.login_with_api_key",
  "params": ["{R.randint(1, 99)}-{rs(64, AL)}"]
}}
""")
pos("saas", "particle_led.sh", f"""#!/bin/sh
# toggle the lab LED
curl https://api.particle.io/v1/devices/{hx(24)}/led \\
  -d arg=on \\
  -d access_token={hx(40)}
""")
