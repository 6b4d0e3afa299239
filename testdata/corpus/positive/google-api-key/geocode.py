import requests

GOOGLE_MAPS_KEY = "AIza9hvmhNe_TlC_6PEqp30tsxb5H4aH5zrOJKL"

def geocode(address):
    r = requests.get("https://maps.googleapis.com/maps/api/geocode/json",
                     params={"address": address, "key": GOOGLE_MAPS_KEY})
    return r.json()["results"][0]["geometry"]["location"]
