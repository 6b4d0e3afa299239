subprocess.run(["git", "clone", "https://x-access-token:ghs_zkJC8akkWTMgCsAc5NXPzNYX3MeIqs2DnVPc@github.com/acme/private-models.git"])
