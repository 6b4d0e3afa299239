data = {
    "grant_type": "password",
    "username": username,
    "password": password,
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
}
