package catalog_test

import (
	"fmt"
	"testing"

	"github.com/kilnhq/kiln/catalog"
	"github.com/kilnhq/kiln/meta"
)

func searchFixture() *catalog.Index {
	return catalog.NewIndex([]*meta.CatalogTable{
		{Engine: "wh", Schema: "dwd", Name: "user_orders", Layer: "dwd", Owner: "alice", Tags: []string{"core"},
			Columns: []meta.CatalogColumn{{Name: "user_id"}, {Name: "amount", Comment: "paid by the user"}}},
		{Engine: "wh", Schema: "ods", Name: "users", Layer: "ods", Owner: "bob",
			Columns: []meta.CatalogColumn{{Name: "user"}, {Name: "name"}}},
		{Engine: "crm", Schema: "public", Name: "user", Comment: "crm accounts", Tags: []string{"user"}},
	})
}

func TestIndex_Search(t *testing.T) {
	ix := searchFixture()
	tests := []struct {
		q    catalog.Query
		want []string
	}{
		// exact before prefix before substring; tables before columns before tags before comments
		{catalog.Query{Text: "user"}, []string{
			"public.user table exact", "ods.users column exact user", "public.user tag exact",
			"dwd.user_orders table prefix", "ods.users table prefix", "dwd.user_orders column prefix user_id",
			"dwd.user_orders comment substring amount"}},
		{catalog.Query{Text: "USER", Layer: "dwd"}, []string{"dwd.user_orders table prefix", "dwd.user_orders column prefix user_id", "dwd.user_orders comment substring amount"}},
		{catalog.Query{Text: "user", Engine: "crm"}, []string{"public.user table exact", "public.user tag exact"}},
		{catalog.Query{Text: "user", Owner: "bob", Limit: 1}, []string{"ods.users column exact user"}},
		{catalog.Query{Text: "", Tag: "core", Limit: 1}, []string{"dwd.user_orders table exact"}},
		{catalog.Query{Text: "ods.us"}, []string{"ods.users table prefix"}},
		{catalog.Query{Text: "nothing"}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, h := range ix.Search(tt.q) {
			s := h.Table + " " + h.Field + " " + h.Match
			if h.Column != "" {
				s += " " + h.Column
			}
			got = append(got, s)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Search(%+v)\n got %q\nwant %q", tt.q, got, tt.want)
		}
	}
}
