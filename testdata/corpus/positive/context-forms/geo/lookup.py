import requests

def country(ip):
    r = requests.get(f"https://ipinfo.io/{ip}/json?token=f456923dd101e0", timeout=5)
    return r.json().get("country")
