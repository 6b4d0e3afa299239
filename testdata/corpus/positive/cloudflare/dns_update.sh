#!/bin/sh
ZONE=841e87a75a439bae845175449e2023af
curl -s -X PUT "https://api.cloudflare.com/client/v4/zones/$ZONE/dns_records/$RECORD" \
  -H "X-Auth-Email: ops@acme-widgets.com" \
  -H "X-Auth-Key: 342a7b8d84ad1733d4b1bf801b38b87cc4214" \
  -H "Content-Type: application/json" \
  --data '{"type":"A","name":"vpn","content":"'"$IP"'"}'
