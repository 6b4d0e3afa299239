curl https://api.anthropic.com/v1/messages \
  -H "x-api-key: sk-ant-api03-2N5PI9Jo1EmTg-d7wVodMJPTPrNzBkBjjGNzXDNT-t-BCCt881AnItZWeAnPSvPeLUkTBG5xjxopCTcZVk0EoPesCDdc2AA" \
  -H "anthropic-version: 2023-06-01" -H "content-type: application/json" \
  -d '{"model":"claude-3-5-sonnet-latest","max_tokens":256,"messages":[{"role":"user","content":"hello"}]}'
