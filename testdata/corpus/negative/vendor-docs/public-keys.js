// Publishable keys are safe to ship to the browser.
const stripe = Stripe("pk_live_VQdBtRUfLYFGMWpkHj7bDncR");
mapboxgl.accessToken = "pk.eyJ1IjoiYWNtZSIsImEiOiJX6evCqpDzuZZKTFvmSUp.L6K230oa1EyV3qYtI3aTaP";
const recaptchaSiteKey = "6LcL3btYctL2uYOS-aJA-xw9E0MEsmro22v6xyMR";
const sentryDsn = "https://26d371bd2d686fbf4ddb4161c34f1918@o837882.ingest.sentry.io/1335415";
