const idempotencyKey = crypto.randomUUID();
const cacheKey = "user:" + userId;
const publicKey = fs.readFileSync("public.pem");
const primaryKey = "id";
const sessionKey = "sess:1ee4f2a0";
