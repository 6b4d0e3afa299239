#!/bin/sh
curl -s -H "Accept: application/json" \
  -H "Authorization: SSWS 00mJI2TW6JH6tJ7aYz7NxWpoiPuj5FDZQlr25wy0Oi" \
  "https://acme-widgets.okta.com/api/v1/users?limit=25"
