import requests

API_KEY = "WurbiAK1SoSYrYJSCyivqLasrtjZsr08js8Qj6f5"

def fetch(path):
    return requests.get("https://api.weatherstack-corp.com" + path, headers={"X-API-Key": API_KEY})
