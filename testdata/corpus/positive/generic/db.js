const pool = mysql.createPool({
  host: "mysql.internal",
  user: "shop",
  pass: "ACl8cgmkzsVRwNWggm",
  database: "shop",
});
