# Positive files for the context forms of context rules: a key under a line
# naming its provider in a log, an XML element or a variable table, a URL
# whose host names the provider, an Okta SSWS header. Executed by gen.py
# after the others, with its own generator so their files do not change.

C = random.Random(20261202)
def crs(n, alpha):
    while True:
        s = "".join(C.choice(alpha) for _ in range(n))
        if not any(b in s.lower() for b in BAD) and ent(s) > 3.3:
            return s
def ent(s):
    import math
    n = len(s)
    return -sum(s.count(c) / n * math.log2(s.count(c) / n) for c in set(s))

OKTA = string.ascii_letters + string.digits + "_-"
pos("okta", "infra/okta.tf", f"""provider "okta" {{
  org_name  = "acme-widgets"
  base_url  = "okta.com"
  api_token = "00{crs(40, OKTA)}"
}}
""")
pos("okta", "scripts/list-users.sh", f"""#!/bin/sh
curl -s -H "Accept: application/json" \\
  -H "Authorization: SSWS 00{crs(40, OKTA)}" \\
  "https://acme-widgets.okta.com/api/v1/users?limit=25"
""")
pos("context-forms", "logs/otx-sync.log", f"""2026-11-30T08:12:01Z [INFO] starting pulse sync from AlienVault OTX
2026-11-30T08:12:01Z [DEBUG] Using Key={crs(64, HEX)}
2026-11-30T08:12:02Z [INFO] 214 pulses received
""")
pos("context-forms", "geo/lookup.py", f"""import requests

def country(ip):
    r = requests.get(f"https://ipinfo.io/{{ip}}/json?token={crs(14, HEX)}", timeout=5)
    return r.json().get("country")
""")
pos("context-forms", "config/notify.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<notifications>
  <mattermost>
    <url>https://chat.acme-widgets.com</url>
    <accessToken>{crs(26, string.ascii_lowercase + string.digits)}</accessToken>
  </mattermost>
</notifications>
""")
pos("context-forms", "docs/postman-variables.md", f"""Variables of the Linode collection

Variable name | Initial Value
apiToken | {crs(64, HEX)}
region | eu-central
""")

# Rules that were a name-and-assignment regex, now context rules: forms the
# old regexes did not accept.
pos("context-forms", "cdn/fastly.tf", f"""provider "fastly" {{
  api_key = "{crs(32, string.ascii_letters + string.digits + "_-")}"
}}
""")
pos("context-forms", "transcribe/client.go", f"""package transcribe

func newClient() *Client {{
	deepgramKey := "{crs(40, HEX)}"
	return &Client{{key: deepgramKey}}
}}
""")
pos("context-forms", "search/settings.xml", f"""<settings>
  <pinecone>
    <apiKey>{str(uuid.UUID(int=C.getrandbits(128), version=4))}</apiKey>
    <index>products</index>
  </pinecone>
</settings>
""")

# Look-alikes: a digest under a log line that names no provider, and URLs of
# a provider's documentation whose query holds no key.
neg("logs/ci-cache.log", f"""2026-11-30T08:12:01Z [INFO] restoring build cache
2026-11-30T08:12:01Z [DEBUG] Using cache key={hashlib.sha256(str(C.random()).encode()).hexdigest()}
2026-11-30T08:12:02Z [INFO] cache hit
2026-11-30T08:12:03Z [INFO] notifying mattermost channel #builds
2026-11-30T08:12:03Z [DEBUG] Using template=build-finished
""")
neg("docs/provider-links.md", """See https://www.linode.com/docs/guides/?page=3&sort=recent for the guides, and
https://ipinfo.io/developers/responses?lang=en for the fields.
""")
