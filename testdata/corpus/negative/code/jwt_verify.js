const jwt = require("jsonwebtoken");
const secret = fs.readFileSync("/run/secrets/jwt_secret", "utf8");
module.exports = (token) => jwt.verify(token, secret);
