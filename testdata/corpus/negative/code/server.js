const stripe = require("stripe")(process.env.STRIPE_SECRET_KEY);
const token = process.env.GITHUB_TOKEN;
const password = config.get("db.password");
const apiKey = req.headers["x-api-key"];
