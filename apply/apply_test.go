package apply_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kilnhq/kiln/apply"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/meta/metatest"
	"github.com/kilnhq/kiln/meta/sqlitemeta"
	"github.com/kilnhq/kiln/project"
)

// replayTx runs each transaction body twice, the first time rolled back,
// as the Postgres store does with a deadlock victim.
type replayTx struct{ *sqlitemeta.Store }

func (r replayTx) InTx(ctx context.Context, fn func(tx meta.Store) error) error {
	return metatest.Replay(ctx, r.Store.InTx, fn)
}

// An apply whose transaction runs again reports each task once.
func TestApply_SameResultWhenTheTransactionRunsAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, problems := project.Load(os.DirFS("../examples/edu"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	results := make([]*apply.Result, 2)
	for i := range results {
		st, err := sqlitemeta.Open(ctx, filepath.Join(t.TempDir(), "meta.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var store meta.Store = st
		if i == 1 {
			store = replayTx{st}
		}
		if results[i], err = apply.Apply(ctx, store, nil, p, apply.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	once, replayed := results[0], results[1]
	if len(once.Added) == 0 || !slices.Equal(once.Added, replayed.Added) || !slices.Equal(once.DataSources, replayed.DataSources) ||
		len(replayed.Versions) != len(once.Versions) || replayed.ProjectCreated != once.ProjectCreated {
		t.Fatalf("replayed %+v\nonce %+v", replayed, once)
	}
}
