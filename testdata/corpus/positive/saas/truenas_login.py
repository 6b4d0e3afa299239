from truenas_api_client import Client

with Client("wss://nas.lan/api/current") as c:
    c.call("auth.login_with_api_key", "20-WlK3RCRKAYHZV5jAUhPUwaSe0LNg6GYB2KXta8nmoXPJr9WiRmTxmhDTBPuS3l00")
    print(c.call("system.info"))
