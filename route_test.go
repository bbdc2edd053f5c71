package multi_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
	"github.com/jinpy-utils/multi/multitest"
)

func mustRoute(t testing.TB, o *multi.RouteOptions, rules ...multi.Rule) slog.Handler {
	t.Helper()
	h, err := multi.Route(o, rules...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type tenantKey struct{}

func TestRouteSendsEachRecordWhereItsRulesMatch(t *testing.T) {
	errs, acme, beta, audit, rest := multitest.NewRecorder(nil), multitest.NewRecorder(nil), multitest.NewRecorder(nil), multitest.NewRecorder(nil), multitest.NewRecorder(nil)
	h := mustRoute(t, nil,
		multi.Rule{When: multi.MatchLevel(slog.LevelError), To: errs},
		multi.Rule{When: multi.MatchAttr("tenant", "acme"), To: acme},
		multi.Rule{When: multi.MatchContext(tenantKey{}, "beta"), To: beta},
		multi.Rule{When: multi.MatchMessage("audit:"), To: audit},
		multi.Rule{When: multi.MatchNot(multi.MatchLevel(slog.LevelWarn)), To: rest},
	)
	log := slog.New(h)
	ctx := context.WithValue(context.Background(), tenantKey{}, "beta")

	log.With("tenant", "acme").Error("acme failed")        // errs, acme
	log.Info("beta served", "k", 1)                        // rest
	log.InfoContext(ctx, "beta via ctx")                   // beta, rest
	log.WarnContext(ctx, "audit: beta login")              // beta, audit
	log.WithGroup("req").Info("grouped", "tenant", "acme") // rest: its tenant is req.tenant

	for _, c := range []struct {
		name string
		r    *multitest.Recorder
		want string
	}{
		{"errors", errs, "acme failed"},
		{"acme", acme, "acme failed"},
		{"beta", beta, "beta via ctx,audit: beta login"},
		{"audit", audit, "audit: beta login"},
		{"rest", rest, "beta served,beta via ctx,grouped"},
	} {
		if got := strings.Join(c.r.Messages(), ","); got != c.want {
			t.Errorf("%s got %q; want %q", c.name, got, c.want)
		}
	}
}

func TestRouteFirstMatchStopsAtTheFirstRuleThatTakesTheRecord(t *testing.T) {
	errs, warn, rest := multitest.NewRecorder(nil), multitest.NewRecorder(&multitest.Options{Level: slog.LevelWarn}), multitest.NewRecorder(nil)
	log := slog.New(mustRoute(t, &multi.RouteOptions{FirstMatch: true},
		multi.Rule{When: multi.MatchLevel(slog.LevelError), To: errs},
		multi.Rule{When: multi.MatchMessage("x"), To: warn}, // enabled at WARN only
		multi.Rule{To: rest},
	))
	log.Error("e x")
	log.Warn("w x")
	log.Info("i x") // the second rule's handler is not enabled at INFO: it falls through
	if e, w, r := strings.Join(errs.Messages(), ","), strings.Join(warn.Messages(), ","), strings.Join(rest.Messages(), ","); e != "e x" || w != "w x" || r != "i x" {
		t.Errorf("errors %q, warn %q, rest %q; want \"e x\", \"w x\", \"i x\"", e, w, r)
	}
}

func TestRouteMatchesAttrsBoundInGroupsAndNested(t *testing.T) {
	hit := multitest.NewRecorder(nil)
	h := mustRoute(t, nil, multi.Rule{When: multi.MatchAll(multi.MatchAttr("req.user.id", 7), multi.MatchAttr("app")), To: hit})
	log := slog.New(h).With("app", "api")
	log.WithGroup("req").With(slog.Group("user", "id", 7)).Info("bound")
	log.WithGroup("req").Info("own", slog.Group("user", "id", 7))
	log.Info("top", slog.Group("req", slog.Group("user", "id", 7)))
	log.WithGroup("req").Info("other user", slog.Group("user", "id", 8))
	slog.New(h).Info("no app", slog.Group("req", slog.Group("user", "id", 7)))
	if got := strings.Join(hit.Messages(), ","); got != "bound,own,top" {
		t.Errorf("matched %q; want bound,own,top", got)
	}
	// The record the route got carries what was bound, in its groups.
	if v, ok := multitest.Attr(hit.WithMessage("bound")[0], "req.user.id"); !ok || v.Int64() != 7 {
		t.Errorf("bound record: req.user.id = %v, %v; want 7", v, ok)
	}
}

func TestRouteLifecycleReachesEveryRouteCountingSharedSinksOnce(t *testing.T) {
	a, b := multitest.NewRecorder(nil), multitest.NewDrill(nil)
	h := mustRoute(t, nil,
		multi.Rule{When: multi.MatchLevel(slog.LevelError), To: a},
		multi.Rule{To: a.WithAttrs([]slog.Attr{slog.Int("k", 1)})},
		multi.Rule{To: b},
	)
	tree := multi.New(h, slog.New(h).With("x", 1).Handler())
	slog.New(tree).Error("e") // a twice (two rules), b once; and again through the derived route
	ctx := context.Background()
	if err := multi.Flush(ctx, tree); err != nil {
		t.Fatal(err)
	}
	if s := tree.Stats(); s.Written != 6 {
		t.Errorf("Stats().Written = %d; want 6 (a's store 4 and b's 2, each counted once)", s.Written)
	}
	b.SetHealthy(false)
	if tree.Healthy() {
		t.Error("Healthy() = true with a route's handler unhealthy")
	}
	if err := multi.Shutdown(ctx, tree); err != nil {
		t.Fatal(err)
	}
	if a.Flushes() != 4 || a.Shutdowns() != 4 || b.Flushes() != 2 || b.Shutdowns() != 2 {
		t.Errorf("a: %d flushes, %d shutdowns; b: %d, %d; want 4, 4, 2, 2", a.Flushes(), a.Shutdowns(), b.Flushes(), b.Shutdowns())
	}
}

func TestRouteOneRoutesErrorOrPanicDoesNotStopTheOthers(t *testing.T) {
	bad, good := multitest.NewDrill(nil), multitest.NewRecorder(nil)
	bad.Fail(errors.New("disk full"))
	h := mustRoute(t, nil,
		multi.Rule{When: multi.MatchFunc(func(context.Context, slog.Record) bool { panic("match boom") }), To: good},
		multi.Rule{To: bad},
		multi.Rule{To: good},
	)
	err := h.Handle(context.Background(), slog.NewRecord(timeZero, slog.LevelInfo, "m", 0))
	if good.Len() != 1 {
		t.Errorf("good route got %d records; want 1", good.Len())
	}
	for _, want := range []string{"route[0] (*multitest.Recorder): match panicked: match boom", "route[1] (*multitest.Drill): multitest: drill"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Handle = %v; want it to contain %q", err, want)
		}
	}
}

func TestRouteRefusesBadInputNamingTheFix(t *testing.T) {
	var nilRec *multitest.Recorder
	r := multitest.NewRecorder(nil)
	for _, tc := range []struct {
		rules []multi.Rule
		want  string
	}{
		{nil, "multi.Route: no rules; write at least one"},
		{[]multi.Rule{{To: r}, {}}, "rules[1].To is nil; check the error"},
		{[]multi.Rule{{To: nilRec}}, "rules[0].To is nil (*multitest.Recorder)"},
		{[]multi.Rule{{When: multi.MatchLevel(nil), To: r}}, "rules[0].When: MatchLevel: level is nil; write a level"},
		{[]multi.Rule{{When: multi.MatchAll(multi.MatchAttr("")), To: r}}, `MatchAttr: path is empty; write the attribute's key`},
		{[]multi.Rule{{When: multi.MatchAny(nil), To: r}}, "matcher 0 of 1 is nil"},
		{[]multi.Rule{{When: multi.MatchContext(nil), To: r}}, "MatchContext: key is nil"},
		{[]multi.Rule{{When: multi.MatchFunc(nil), To: r}}, "MatchFunc: f is nil"},
	} {
		_, err := multi.Route(nil, tc.rules...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Route(%v) = %v; want an error containing %q", tc.rules, err, tc.want)
		}
	}
}

func TestRouteKeepsTheRecordBorrowerContract(t *testing.T) {
	var seen []int
	after := multitest.NewRecorder(nil)
	h := multi.New(mustRoute(t, nil, multi.Rule{To: nopBorrower{}}, multi.Rule{To: mutator{&seen}}), after)
	r := slog.NewRecord(timeZero, slog.LevelInfo, "m", 0)
	for i := range 8 {
		r.AddAttrs(slog.Int("i", i))
	}
	handle(t, h, r)
	if n := after.Records()[0].NumAttrs(); n != 8 {
		t.Errorf("child after a Route ending in a mutator saw %d attrs; want 8", n)
	}
	ctx := context.Background()
	borrowers := multi.New(mustRoute(t, nil, multi.Rule{To: nopBorrower{}}, multi.Rule{When: multi.MatchLevel(slog.LevelInfo), To: nopBorrower{}}), nopBorrower{})
	if n := testing.AllocsPerRun(200, func() { _ = borrowers.Handle(ctx, r) }); n != 0 {
		t.Errorf("a Route of borrowers in New allocates %v times per record; want 0", n)
	}
}

// Errors to a pager, one tenant to its own sink, everything else to the
// console.
func ExampleRoute() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	out := func(prefix string) slog.Handler {
		return format.New(os.Stdout, &format.Options{Format: format.Text, Name: prefix, ReplaceAttr: noTime})
	}
	h, err := multi.Route(&multi.RouteOptions{FirstMatch: true},
		multi.Rule{When: multi.MatchLevel(slog.LevelError), To: out("pager")},
		multi.Rule{When: multi.MatchAttr("tenant", "acme"), To: out("acme")},
		multi.Rule{To: out("console")},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	log := slog.New(h)
	log.With("tenant", "acme").Info("order placed")
	log.With("tenant", "acme").Error("payment failed")
	log.Info("cache warmed")
	// Output:
	// level=INFO msg="order placed" logger=acme tenant=acme
	// level=ERROR msg="payment failed" logger=pager tenant=acme
	// level=INFO msg="cache warmed" logger=console
}
