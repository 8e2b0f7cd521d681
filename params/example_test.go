package params_test

import (
	"fmt"
	"time"

	"github.com/kilnhq/kiln/params"
)

func Example_render() {
	c := &params.Context{
		Bizdate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		Project: "edu",
		Values:  map[string]string{"lookback": "7", "src": "${project}_${bizdate_nodash}"},
	}
	sql := `SELECT * FROM ods.orders
WHERE dt BETWEEN '${bizdate-7d}' AND '${bizdate}'  -- last ${lookback} days
  AND month = '${month_end-1m}' AND file = '${src}' AND note = '$${not_a_param}'`
	out, err := params.Render(sql, c)
	fmt.Println(out, err)

	_, err = params.Render("SELECT '${bizdat}'", c)
	fmt.Println(err)
	// Output:
	// SELECT * FROM ods.orders
	// WHERE dt BETWEEN '2024-02-23' AND '2024-03-01'  -- last 7 days
	//   AND month = '2024-02-29' AND file = 'edu_20240301' AND note = '${not_a_param}' <nil>
	// 1:9: unknown parameter ${bizdat}
}
