from twilio.rest import Client

account_sid = "ACed719d3a9dc4db04b0c056362fa956bc"
auth_token = "6ecd2b00aacafce7abed27e145dd9eb4"
client = Client(account_sid, auth_token)
client.messages.create(to="+15558675310", from_="+15017122661", body="Your code is 4411")
