const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3");

const client = new S3Client({
  region: "us-east-2",
  credentials: {
    accessKeyId: "AKIAVWB4KG2ZB5B6P4DZ",
    secretAccessKey: "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",
  },
});

module.exports = async function put(key, body) {
  return client.send(new PutObjectCommand({ Bucket: "acme-assets", Key: key, Body: body }));
};
