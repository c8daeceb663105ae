package main

import (
	"bufio"
	"fmt"
	"math"
	"math/big"
	"os"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Reads one plain scalar per line; prints how Go's gopkg.in/yaml.v3 decodes it into interface{}, as
// Coldwine's map-based readers do. The oracle for specsync's ScalarReaders.goYAMLv3 (core tests).
func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var doc map[string]interface{}
		if err := yaml.Unmarshal([]byte("v: "+in.Text()+"\n"), &doc); err != nil {
			fmt.Fprintf(out, "error\n")
			continue
		}
		switch v := doc["v"].(type) {
		case nil:
			fmt.Fprintf(out, "null\n")
		case bool:
			fmt.Fprintf(out, "bool\t%v\n", v)
		case int:
			fmt.Fprintf(out, "int\t%d\n", v)
		case int64:
			fmt.Fprintf(out, "int\t%d\n", v)
		case uint64:
			fmt.Fprintf(out, "int\t%s\n", new(big.Int).SetUint64(v).String())
		case float64:
			if math.IsNaN(v) {
				fmt.Fprintf(out, "float\tnan\n")
			} else {
				fmt.Fprintf(out, "float\t%s\n", strconv.FormatFloat(v, 'g', -1, 64))
			}
		case string:
			fmt.Fprintf(out, "string\n")
		case time.Time:
			fmt.Fprintf(out, "timestamp\n")
		default:
			fmt.Fprintf(out, "other\t%T\n", v)
		}
	}
}
