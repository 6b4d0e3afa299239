import oss2

auth = oss2.Auth("LTAI5trsPXa3KIC11sC0knGn", "mrwHnlsgUVLOxSorwRYTGYDYFMwpKx")
bucket = oss2.Bucket(auth, "https://oss-cn-hangzhou.aliyuncs.com", "app-static")
bucket.put_object_from_file("index.html", "dist/index.html")
