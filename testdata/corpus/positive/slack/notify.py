from slack_sdk import WebClient

client = WebClient(token="xoxb-6512314519557-1798619353525-JCMgtiubqF7gdZhgX7nQXio1")
client.chat_postMessage(channel="#deploys", text="Deploy finished")
