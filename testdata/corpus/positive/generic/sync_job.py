ACCESS_TOKEN = "QMY8urHBjKCufeLSK5wcb0jNFoZ2IvH8RRoGdRpyFmx3jeiE972AlrBygeQ18oFI"
headers = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
