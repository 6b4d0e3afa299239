fetch("https://api.partner-corp.io/v2/orders", {
  headers: { Authorization: "Bearer AXZitN1WjDMC6EpNBQZPPjBAWOEyyEF2FDjSNCXs9jUPi9dz" },
});
