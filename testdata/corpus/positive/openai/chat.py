from openai import OpenAI

client = OpenAI(api_key="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")
resp = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
