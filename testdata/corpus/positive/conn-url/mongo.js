const { MongoClient } = require("mongodb");
const uri = "mongodb+srv://analytics:ADXhTHNX3gf7ttRT@cluster0.a1b2c.mongodb.net/?retryWrites=true&w=majority";
const client = new MongoClient(uri);
