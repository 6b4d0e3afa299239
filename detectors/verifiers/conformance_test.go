package verifiers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
	"github.com/achilles-sec/achilles/rules"
)

// crossDomain lists declared verifiers whose API host is not under the
// domain of the page documenting it (nor of the provider's catalogue
// page), each reviewed: the host is the provider's own.
var crossDomain = map[string]string{
	"sendgrid":            "Twilio documents SendGrid's API at twilio.com",
	"linode":              "Akamai documents the Linode API at techdocs.akamai.com",
	"npm":                 "the npm registry is registry.npmjs.org, documented at docs.npmjs.com",
	"dropbox":             "api.dropboxapi.com is Dropbox's API host",
	"postman":             "api.getpostman.com is Postman's API host",
	"hubspot":             "api.hubapi.com is HubSpot's API host",
	"terraform-cloud":     "app.terraform.io is HCP Terraform, documented at developer.hashicorp.com",
	"weatherflow":         "swd.weatherflow.com is WeatherFlow's API, documented on weatherflow.github.io",
	"spotinst":            "api.spotinst.io is Spot's API (docs.spot.io)",
	"rachio":              "api.rach.io is Rachio's API (rachio.readme.io)",
	"ns1":                 "api.nsone.net is NS1's API, documented by IBM",
	"naver-cloud":         "ncloud.apigw.ntruss.com is NAVER Cloud's API gateway",
	"meraki":              "api.meraki.com is Meraki's API, documented at developer.cisco.com",
	"godaddy":             "api.ote-godaddy.com is GoDaddy's documented test environment",
	"dnspod":              "dnsapi.cn is DNSPod's China API host",
	"desec":               "desec.io is deSEC's API, documented on readthedocs",
	"blynk":               "blynk.cloud and its regional hosts are Blynk's, documented at docs.blynk.io",
	"balena":              "api.balena-cloud.com is balena's API (docs.balena.io)",
	"airvisual":           "api.airvisual.com is IQAir's AirVisual API",
	"here":                "geocode.search.hereapi.com is HERE's API host",
	"helpscout-docs":      "docsapi.helpscout.net is Help Scout's Docs API",
	"guardian":            "content.guardianapis.com is the Guardian's Open Platform",
	"everhour":            "api.everhour.com is Everhour's API, documented on apiary",
	"eventbrite":          "www.eventbriteapi.com is Eventbrite's API host",
	"calcom":              "api.cal.eu is Cal.com's EU region",
	"bungie":              "www.bungie.net is Bungie's API, documented on bungie-net.github.io",
	"besnappy":            "app.besnappy.com is BeSnappy's API, documented on GitHub",
	"botpress":            "api.botpress.cloud is Botpress Cloud's API",
	"coze":                "api.coze.cn is Coze's China platform",
	"elastic-cloud":       "api.elastic-cloud.com is Elastic Cloud's API, documented at elastic.co",
	"firehydrant":         "api.firehydrant.io is FireHydrant's API",
	"moonshot":            "api.moonshot.cn is Moonshot's China platform",
	"privacy-com":         "api.privacy.com is Privacy's API, documented on readme.io",
	"regulations-gov":     "api.regulations.gov is run by GSA, documented at open.gsa.gov",
	"scaleserp":           "Traject Data documents Scale SERP at docs.trajectdata.com",
	"serpwow":             "Traject Data documents SerpWow at docs.trajectdata.com",
	"valueserp":           "Traject Data documents VALUE SERP at docs.trajectdata.com",
	"siliconflow":         "api.siliconflow.com is SiliconFlow's international platform",
	"thousandeyes":        "api.thousandeyes.com is ThousandEyes' API, documented at developer.cisco.com",
	"vectara":             "api.vectara.io is Vectara's API",
	"waqi":                "api.waqi.info is the World Air Quality Index project's API (aqicn.org)",
	"bitbar":              "cloud.bitbar.com is SmartBear's BitBar API",
	"eventregistry":       "eventregistry.org is the API of NewsAPI.ai (Event Registry)",
	"readthedocs":         "readthedocs.org and readthedocs.com are Read the Docs' Community and Business hosts",
	"tavus":               "tavusapi.com is Tavus' API host",
	"intercom":            "api.intercom.io and its EU and AU hosts are Intercom's API",
	"convertkit":          "api.convertkit.com is Kit's (ConvertKit's) API",
	"drip":                "api.getdrip.com is Drip's API",
	"line":                "api.line.me is LINE's API, documented at developers.line.biz",
	"paystack":            "api.paystack.co is Paystack's API",
	"smsapi":              "api.smsapi.pl is SMSAPI's Polish platform",
	"together":            "api.together.xyz is Together AI's API",
	"wise":                "api.transferwise.com is Wise's API (formerly TransferWise)",
	"devto":               "dev.to runs Forem, documented at developers.forem.com",
	"instagram":           "graph.instagram.com is Meta's Instagram API, documented at developers.facebook.com",
	"braintree":           "payments.braintree-api.com (and its sandbox) is Braintree's GraphQL API",
	"webex":               "webexapis.com is Cisco Webex's API, documented at developer.webex.com",
	"brandfetch":          "api.brandfetch.io is Brandfetch's API (docs.brandfetch.com)",
	"commercejs":          "api.chec.io is the Chec API behind Commerce.js",
	"checio":              "api.chec.io is the Chec API behind Commerce.js",
	"kustomer":            "api.kustomerapp.com and its EU host are Kustomer's API",
	"beebole":             "beebole-apps.com is Beebole's API host",
	"bingmaps":            "dev.virtualearth.net is the Bing Maps API, documented at learn.microsoft.com",
	"intelx":              "2.intelx.io and free.intelx.io are Intelligence X's API hosts (docs: its GitHub SDK)",
	"bybit":               "api.bybit.com and its testnet and demo hosts are Bybit's, documented on bybit-exchange.github.io",
	"conekta":             "api.conekta.io is Conekta's API",
	"covalent":            "api.covalenthq.com is Covalent's GoldRush API",
	"listenbrainz":        "api.listenbrainz.org is ListenBrainz' API, documented on readthedocs",
	"livecoinwatch":       "api.livecoinwatch.com is Live Coin Watch's API, documented on GitHub Pages",
	"minimax":             "api.minimaxi.com is MiniMax's China platform",
	"moonclerk":           "api.moonclerk.com is MoonClerk's API, documented on GitHub",
	"recharge":            "api.rechargeapps.com is Recharge's API",
	"vatlayer":            "apilayer.net is the host of apilayer's vatlayer API",
	"dashscope":           "dashscope.aliyuncs.com (and -intl) is Alibaba Cloud Model Studio's API",
	"moralis":             "deep-index.moralis.io is Moralis' Web3 data API",
	"lunchmoney":          "dev.lunchmoney.app is Lunch Money's API, documented at lunchmoney.dev",
	"joesandbox":          "jbxcloud.joesecurity.org is Joe Sandbox Cloud (docs: its GitHub client)",
	"helius":              "mainnet.helius-rpc.com is Helius' RPC host",
	"yandex":              "resource-manager.api.cloud.yandex.net is Yandex Cloud's API",
	"ambientweather":      "rt.ambientweather.net is Ambient Weather's API, documented on apiary",
	"trello":              "api.trello.com is Trello's API, documented by Atlassian",
	"yousign":             "api.yousign.app (and its sandbox) is Yousign's API",
	"streak":              "api.streak.com is Streak's API, documented on readme.io",
	"steam":               "api.steampowered.com is Valve's Steam Web API",
	"radar":               "api.radar.io is Radar's API",
	"paymo":               "app.paymoapp.com is Paymo's API, documented on GitHub",
	"numverify":           "apilayer.net is the host of apilayer's numverify API",
	"mailboxlayer":        "apilayer.net is the host of apilayer's mailboxlayer API",
	"nimble":              "app.nimble.com is Nimble's API, documented on readthedocs",
	"mavenlink":           "api.mavenlink.com is Kantata's (Mavenlink's) API",
	"mapquest":            "www.mapquestapi.com is MapQuest's API",
	"signable":            "api.signable.co.uk is the production server of Signable's own OpenAPI",
	"sam-gov":             "api.sam.gov is GSA's SAM.gov API, documented at open.gsa.gov",
	"harvard-art-museums": "api.harvardartmuseums.org is documented in the museums' GitHub repository",
}

// TestCatalogueVerifiersConform holds every verifier the provider catalogue
// declares to the rules of a declaration, and runs each against a TLS fake
// that answers with the declaration's documented samples: live with the
// identity, scopes and expiry the samples name, the documented rejection
// dead, and 403, 429, 5xx, a malformed answer and a wrong credential never
// live.
func TestCatalogueVerifiersConform(t *testing.T) {
	specs, err := Declared()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := rules.Default()
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	ruleOf := map[string]*rules.Rule{}
	for _, r := range cfg.Rules {
		if r.Verifier != "" {
			named[r.Verifier] = true
			if ruleOf[r.Verifier] == nil {
				ruleOf[r.Verifier] = r
			}
		}
	}
	for _, s := range specs {
		t.Run(s.ID, func(t *testing.T) {
			t.Parallel()
			conform(t, s, named[s.ID], providerDocs(cfg, ruleOf[s.ID]))
		})
	}
}

func providerDocs(cfg *rules.Config, r *rules.Rule) string {
	if r == nil {
		return ""
	}
	if p := cfg.Provider(r.Provider); p != nil {
		return p.Docs
	}
	return ""
}

// domain is a host's last two labels (three under a two-letter country
// code's second level, as in example.co.uk).
func domain(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	n := 2
	if len(labels) >= 3 && len(labels[len(labels)-1]) == 2 && secondLevel[labels[len(labels)-2]] {
		n = 3
	}
	if len(labels) < n {
		return host
	}
	return strings.Join(labels[len(labels)-n:], ".")
}

// secondLevel are the labels under which a country code registers names
// (example.co.uk, example.com.br).
var secondLevel = map[string]bool{"co": true, "com": true, "net": true, "org": true, "ac": true, "gov": true, "edu": true, "ne": true, "or": true}

func conform(t *testing.T, s verify.HTTPSpec, used bool, provDocs string) {
	if !used {
		t.Errorf("no rule names verifier %s", s.ID)
	}
	d, err := url.Parse(s.Docs)
	if err != nil || d.Scheme != "https" || d.Host == "" {
		t.Fatalf("docs %q: every declaration links the page documenting its endpoint (https)", s.Docs)
	}
	if s.Samples == nil || s.Samples.Live == "" || s.Samples.Dead == "" || s.Samples.DeadStatus == 0 {
		t.Fatalf("samples: a declaration carries the documented live and dead answers (samples.live, samples.dead, samples.dead_status)")
	}
	for _, o := range s.Live {
		for _, st := range o.Status {
			if st < 200 || st > 299 {
				t.Errorf("live on status %d: only a documented success answer is live", st)
			}
		}
	}
	for _, o := range s.Dead {
		for _, st := range o.Status {
			if (st == 403 || st < 300) && o.Body == "" {
				t.Errorf("dead on status %d without a body pattern: a 403 or a success is dead only with the provider's documented invalid-credential text", st)
			}
			if st >= 500 || st == 429 {
				t.Errorf("dead on status %d", st)
			}
		}
	}
	if strings.EqualFold(s.Method, "POST") {
		if s.Description == "" {
			t.Errorf("a POST declaration says in its description which read-only call it makes")
		}
		if strings.Contains(strings.ToLower(s.Body), "mutation") {
			t.Errorf("a GraphQL mutation")
		}
	}
	if s.Tenant == nil {
		hosts := []string{s.URL[:strings.Index(s.URL+"{{", "{{")]}
		hosts = append(hosts, s.Sites...)
		for _, h := range hosts {
			u, err := url.Parse(h)
			if err != nil {
				t.Fatalf("url %s: %v", h, err)
			}
			p, _ := url.Parse(provDocs)
			same := domain(u.Hostname()) == domain(d.Hostname()) || p != nil && domain(u.Hostname()) == domain(p.Hostname())
			if !same && crossDomain[s.ID] == "" {
				t.Errorf("host %s is under neither the endpoint's docs (%s) nor the provider's (%s): review it and list it in crossDomain", u.Hostname(), d.Hostname(), provDocs)
			}
		}
	} else if s.Samples.Host == "" || !regexp.MustCompile(`^(?:`+s.Tenant.Pattern+`)$`).MatchString(s.Samples.Host) {
		t.Errorf("samples.host %q: a tenant declaration's sample host matches its pattern", s.Samples.Host)
	}
	v, err := verify.CompileHTTP(s)
	if err != nil {
		t.Fatal(err)
	}
	secret := s.Samples.Secret
	if secret == "" {
		secret = "tok_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4"
	}
	parts := map[string]string{}
	for k, p := range s.Samples.Parts {
		parts[k] = p
	}
	if s.Tenant != nil {
		parts[s.Tenant.Companion] = s.Samples.Host
	}
	for _, c := range v.Companions() {
		if parts[c] == "" {
			t.Fatalf("samples.parts: no sample for companion %s", c)
		}
	}
	if s.Identity != "" && s.Samples.Identity == "" {
		t.Errorf("samples.identity: the identity the live sample holds at %s", s.Identity)
	}
	if s.Scopes != "" && len(s.Samples.Scopes) == 0 {
		t.Errorf("samples.scopes: the scopes the live sample holds at %s", s.Scopes)
	}
	if s.Expires != "" && s.Samples.Expires == "" {
		t.Errorf("samples.expires: the expiry the live sample holds at %s", s.Expires)
	}
	// The path the request goes to, as the declaration renders it.
	raw := s.URL
	if s.Tenant != nil {
		raw = "https://" + s.Samples.Host + strings.TrimPrefix(raw, "https://{{tenant}}")
	}
	raw = strings.NewReplacer("{{secret}}", url.PathEscape(secret)).Replace(raw)
	path := raw
	if u, err := url.Parse(raw); err == nil && !strings.Contains(u.Path, "{{") {
		path = u.Path
	} else {
		path = "" // a templated path: any path carrying the credential
	}
	method := strings.ToUpper(s.Method)
	if method == "" {
		method = http.MethodGet
	}
	c := vt.Case{
		ID: s.ID, Secret: secret, Parts: parts, Method: method, Path: path,
		Authorized:  carries(secret, parts, s.Samples.Signed),
		LiveBody:    s.Samples.Live,
		LiveStatus:  s.Samples.LiveStatus,
		LiveHeaders: s.Samples.LiveHeaders,
		Identity:    s.Samples.Identity,
		Scopes:      s.Samples.Scopes,
		Expires:     s.Samples.Expires,
		Kind:        s.Samples.Kind,
		DeadStatus:  s.Samples.DeadStatus,
		DeadBody:    s.Samples.Dead,
		SkipTimeout: true,
		// A signature made with a wrong secret looks like any other to a
		// fake that cannot check it.
		SkipWrongCredential: s.Samples.Signed,
	}
	if path == "" {
		c.Path = "*"
	}
	vt.Run(t, v, c)
	// A 403 the declaration does not document is never live or dead.
	srv := vt.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"message":"Forbidden"}`)
	})
	res := srv.Client(s.ID, 2*time.Second).Verify(context.Background(), v, verify.Request{Secret: secret, Parts: parts})
	if res.Status != verify.Unknown {
		t.Errorf("an undocumented 403 gave %s (%s)", res.Status, res.Reason)
	}
}

// carries reports whether a request holds the secret anywhere a provider
// takes it: a header (basic authentication decoded), the path, the query
// or the body. A signed request carries a companion (the key id) instead.
func carries(secret string, parts map[string]string, signed bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		var hay []string
		for _, vals := range r.Header {
			hay = append(hay, vals...)
		}
		if u, p, ok := r.BasicAuth(); ok {
			hay = append(hay, u, p)
		}
		if p, err := url.PathUnescape(r.URL.EscapedPath()); err == nil {
			hay = append(hay, p)
		}
		for _, vals := range r.URL.Query() {
			hay = append(hay, vals...)
		}
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			hay = append(hay, string(b))
			if f, err := url.ParseQuery(string(b)); err == nil {
				for _, vals := range f {
					hay = append(hay, vals...)
				}
			}
		}
		all := strings.Join(hay, "\n")
		if !signed {
			return strings.Contains(all, secret)
		}
		for _, p := range parts {
			if strings.Contains(all, p) {
				return true
			}
		}
		return false
	}
}
