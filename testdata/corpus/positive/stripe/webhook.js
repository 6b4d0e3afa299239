const endpointSecret = "whsec_iddih43TvyQ1705Or5XtEHxTzmKWN7tW";
app.post("/webhook", express.raw({ type: "application/json" }), (req, res) => {
  const event = stripe.webhooks.constructEvent(req.body, req.headers["stripe-signature"], endpointSecret);
  res.json({ received: true });
});
