const { App } = require("@slack/bolt");

const app = new App({
  token: "xoxb-9223306682229-6032470974315-4Zbs4xZqvn6D1Rk3oF7RSWqu",
  appToken: "xapp-1-A02T9FPFH4L-1589004246640-9728f2630ff1b9d001aa88b3286ee425841a6851114efa5c72657c7b350ef770",
  socketMode: true,
});
