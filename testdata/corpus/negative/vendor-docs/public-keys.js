// Publishable keys are safe to ship to the browser.
const stripe = Stripe("pk_live_6jD1TQDY178lgmfiwshCuQCB");
mapboxgl.accessToken = "pk.eyJ1IjoiYWNtZSIsImEiOiJ79cpj4KRNdvEFjRqDqpf.5SL07uyGC7USFAMXXwq44p";
const recaptchaSiteKey = "6Lc6oMcOWFimdR646msTjtF7i6Mex7EdpLAEx4xL";
const sentryDsn = "https://83da5471d6ddee672ad64b22dc1514b7@o560261.ingest.sentry.io/5088767";
