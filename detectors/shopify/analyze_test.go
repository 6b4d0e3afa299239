package shopify

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/verify"
	vt "github.com/achilles-sec/achilles/detectors/verify/verifytest"
)

type fakeShop struct {
	srv       *vt.Server
	scopes    string
	ordersErr int
	limitOnce atomic.Bool
	mu        sync.Mutex
	paths     []string
}

// handler answers as the Shopify Admin REST API: the token in
// X-Shopify-Access-Token, 401 {"errors": ...} otherwise, 429 with
// Retry-After when throttled.
func (f *fakeShop) handler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.Header.Get("X-Shopify-Access-Token") != tok || r.Method != http.MethodGet {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`)
		return
	}
	if f.limitOnce.CompareAndSwap(true, false) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`)
		return
	}
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.RequestURI())
	f.mu.Unlock()
	switch r.URL.Path {
	case "/admin/oauth/access_scopes.json":
		var hs []string
		for _, s := range strings.Split(f.scopes, ",") {
			hs = append(hs, `{"handle":"`+s+`"}`)
		}
		fmt.Fprintf(w, `{"access_scopes":[%s]}`, strings.Join(hs, ","))
	case "/admin/api/2024-10/shop.json":
		fmt.Fprint(w, `{"shop":{"id":548380009,"name":"John Smith Test Store","email":"j.smith@example.com","domain":"shop.apple.com","myshopify_domain":"jsmith.myshopify.com","plan_name":"enterprise","shop_owner":"John Smith","currency":"USD"}}`)
	case "/admin/api/2024-10/customers/count.json":
		fmt.Fprint(w, `{"count":1204}`)
	case "/admin/api/2024-10/orders/count.json":
		if r.URL.Query().Get("status") != "any" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if f.ordersErr != 0 {
			w.WriteHeader(f.ordersErr)
			fmt.Fprint(w, `{"errors":"[API] This action requires merchant approval for read_orders scope."}`)
			return
		}
		fmt.Fprint(w, `{"count":87}`)
	case "/admin/api/2024-10/products/count.json":
		fmt.Fprint(w, `{"count":31}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"errors":"Not Found"}`)
	}
}

func analyzeShop(t *testing.T, f *fakeShop, secret string) (*analyze.Report, error) {
	f.srv = vt.NewServer(t, f.handler)
	return Analyzer{}.Analyze(context.Background(), f.srv.Client("shopify", 5*time.Second),
		verify.Request{Secret: secret, Parts: map[string]string{DomainRule: "jsmith.myshopify.com"}})
}

func TestAnalyzeFull(t *testing.T) {
	f := &fakeShop{scopes: "write_orders,read_customers,read_products"}
	rep, err := analyzeShop(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(f.srv.URL, "https://")
	if rep.Identity != "John Smith Test Store ("+host+", plan enterprise, owner John Smith)" || rep.Kind != "Admin API access token" {
		t.Errorf("identity %q kind %q", rep.Identity, rep.Kind)
	}
	if strings.Join(rep.Scopes, ",") != "read_customers,read_products,write_orders" {
		t.Errorf("scopes %v", rep.Scopes)
	}
	if rep.Count("shop") != 1 || rep.Count("customers") != 1 || rep.Count("orders") != 1 || rep.Count("products") != 1 {
		t.Fatalf("resources %+v", rep.Resources)
	}
	for _, r := range rep.Resources {
		if r.Kind == "orders" && (r.Name != "87 orders of "+host || strings.Join(r.Permissions, ",") != "write_orders") {
			t.Errorf("orders %+v", r)
		}
	}
	want := "can change orders of the Shopify shop John Smith Test Store (" + host + ") with 1204 customers, 87 orders, 31 products"
	if rep.Severity != analyze.SeverityWrite || rep.Worst != want || len(rep.Partial) != 0 {
		t.Errorf("severity %s worst %q partial %v", rep.Severity, rep.Worst, rep.Partial)
	}
}

func TestAnalyzeReadOnlySkipsUngrantedCounts(t *testing.T) {
	f := &fakeShop{scopes: "read_products"}
	rep, err := analyzeShop(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.paths {
		if strings.Contains(p, "customers") || strings.Contains(p, "orders") {
			t.Errorf("asked %s without the scope", p)
		}
	}
	if rep.Severity != analyze.SeverityRead || !strings.HasPrefix(rep.Worst, "reads the Shopify shop") {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzeStaffScopeIsAdmin(t *testing.T) {
	rep, err := analyzeShop(t, &fakeShop{scopes: "write_users,read_products"}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Severity != analyze.SeverityAdmin || !strings.Contains(rep.Worst, "(write_users)") {
		t.Errorf("%s %q", rep.Severity, rep.Worst)
	}
}

func TestAnalyzePartialAndRateLimit(t *testing.T) {
	f := &fakeShop{scopes: "read_orders,read_customers", ordersErr: http.StatusForbidden}
	f.limitOnce.Store(true)
	rep, err := analyzeShop(t, f, tok)
	if err != nil {
		t.Fatal(err)
	}
	if f.limitOnce.Load() || len(rep.Partial) != 1 || !strings.Contains(rep.Partial[0], "orders count") || !strings.Contains(rep.Partial[0], "403") {
		t.Fatalf("partial %v", rep.Partial)
	}
	if rep.Count("customers") != 1 || rep.Count("orders") != 0 {
		t.Errorf("resources %+v", rep.Resources)
	}
}

func TestAnalyzeInvalidToken(t *testing.T) {
	wrong := tok[:len(tok)-1] + "0"
	rep, err := analyzeShop(t, &fakeShop{scopes: "read_products"}, wrong)
	if err == nil || rep != nil || strings.Contains(err.Error(), wrong) {
		t.Fatalf("%+v, %v", rep, err)
	}
}

func TestAnalyzeRefusesOtherHosts(t *testing.T) {
	c := verify.NewClient(verify.Options{Timeout: time.Second})
	_, err := Analyzer{}.Analyze(context.Background(), c, verify.Request{Secret: tok, Parts: map[string]string{DomainRule: "evil.example.com"}})
	if err == nil || c.Requests() != 0 {
		t.Fatalf("%v, %d requests", err, c.Requests())
	}
}
