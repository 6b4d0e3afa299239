var password = Environment.GetEnvironmentVariable("DB_PASSWORD");
var apiKey = Configuration["Api:Key"];
var conn = Configuration.GetConnectionString("Default");
