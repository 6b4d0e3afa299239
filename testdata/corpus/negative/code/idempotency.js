const idempotencyKey = crypto.randomUUID();
const cacheKey = "user:" + userId;
const publicKey = fs.readFileSync("public.pem");
const primaryKey = "id";
const sessionKey = "sess:a1e3d517";
