// coldwine-client: a small stand-in for Tandemonium/Coldwine's Go writers, for specsync's interop tests
// and lock benchmark. Written for this repository (no Coldwine code is copied); it behaves the way
// Coldwine's code does:
//
//   - loads specs with gopkg.in/yaml.v3, into map[string]interface{} (as Coldwine's review.go and
//     task commands do) or into a struct shaped like Coldwine's spec;
//   - saves like Coldwine's AtomicWriteFile: blocking flock(LOCK_EX) on "<spec>.lock" (no timeout),
//     temp file in the same folder, write, fsync, close, rename, fsync of the directory; the bytes are
//     yaml.v3's Marshal output (sorted map keys, 4-space indent, no comments);
//   - or writes in place without lock or temp, like Coldwine's `task` command (os.WriteFile), here in
//     two chunks so that a half-written file can be observed.
//
// Build (GOPATH mode, Debian's golang-go and golang-gopkg-yaml.v3-dev, no module proxy):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build -o coldwine-client .
//
// Subcommands (see usage()). Everything machine-readable is one JSON object per line on stdout.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// ---------------------------------------------------------------------------------------------
// The struct shaped like Coldwine's task spec. Pointers tell "absent" from a zero value; the
// inline maps keep keys the struct does not know (a Go struct cannot tell null from absent).

type Spec struct {
	ID                 *string                `yaml:"id,omitempty"`
	Title              *string                `yaml:"title,omitempty"`
	Status             *string                `yaml:"status,omitempty"`
	CreatedAt          *string                `yaml:"created_at,omitempty"`
	QuickMode          *bool                  `yaml:"quick_mode,omitempty"`
	StrategicContext   *StrategicContext      `yaml:"strategic_context,omitempty"`
	UserStory          *UserStory             `yaml:"user_story,omitempty"`
	Summary            *string                `yaml:"summary,omitempty"`
	Requirements       []string               `yaml:"requirements,omitempty"`
	AcceptanceCriteria []AcceptanceCriterion  `yaml:"acceptance_criteria,omitempty"`
	FilesToModify      []FileToModify         `yaml:"files_to_modify,omitempty"`
	Complexity         *string                `yaml:"complexity,omitempty"`
	EstimatedMinutes   *int                   `yaml:"estimated_minutes,omitempty"`
	Priority           *int                   `yaml:"priority,omitempty"`
	ReviewFeedback     []string               `yaml:"review_feedback,omitempty"`
	MVPExplanation     []string               `yaml:"mvp_explanation,omitempty"`
	MVPOverride        *string                `yaml:"mvp_override,omitempty"`
	Extra              map[string]interface{} `yaml:",inline"`
}

type StrategicContext struct {
	CUJID       *string                `yaml:"cuj_id,omitempty"`
	CUJName     *string                `yaml:"cuj_name,omitempty"`
	FeatureID   *string                `yaml:"feature_id,omitempty"`
	MVPIncluded *bool                  `yaml:"mvp_included,omitempty"`
	MVPStatus   *string                `yaml:"mvp_status,omitempty"`
	Extra       map[string]interface{} `yaml:",inline"`
}

type UserStory struct {
	Text  *string                `yaml:"text,omitempty"`
	Hash  *string                `yaml:"hash,omitempty"`
	Extra map[string]interface{} `yaml:",inline"`
}

type AcceptanceCriterion struct {
	ID          *string                `yaml:"id,omitempty"`
	Description *string                `yaml:"description,omitempty"`
	Extra       map[string]interface{} `yaml:",inline"`
}

// FileToModify is a path, or what to do with a path.
type FileToModify struct {
	Path   *string
	Change *FileChange
}

type FileChange struct {
	Action      *string                `yaml:"action,omitempty"`
	Path        *string                `yaml:"path,omitempty"`
	Description *string                `yaml:"description,omitempty"`
	Extra       map[string]interface{} `yaml:",inline"`
}

func (f *FileToModify) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		var s string
		if err := node.Decode(&s); err != nil {
			return err
		}
		f.Path = &s
		return nil
	}
	var c FileChange
	if err := node.Decode(&c); err != nil {
		return err
	}
	f.Change = &c
	return nil
}

// ---------------------------------------------------------------------------------------------
// Typed data: a JSON tree in which every scalar carries its type, so that the Swift side can
// compare it exactly with what specsync read ("s:text", "i:42", "f:<IEEE bits in hex>", "b:true",
// "n:"). Objects are JSON objects, sequences JSON arrays.

func typed(v interface{}) interface{} {
	switch x := v.(type) {
	case nil:
		return "n:"
	case string:
		return "s:" + x
	case bool:
		return "b:" + strconv.FormatBool(x)
	case int:
		return "i:" + strconv.Itoa(x)
	case int64:
		return "i:" + strconv.FormatInt(x, 10)
	case uint64:
		return "i:" + strconv.FormatUint(x, 10)
	case float64:
		return "f:" + strconv.FormatUint(math.Float64bits(x), 16)
	case time.Time:
		return "t:" + x.Format(time.RFC3339Nano)
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = typed(e)
		}
		return out
	case map[string]interface{}:
		out := map[string]interface{}{}
		for k, e := range x {
			out[k] = typed(e)
		}
		return out
	case map[interface{}]interface{}:
		out := map[string]interface{}{}
		for k, e := range x {
			out[fmt.Sprint(k)] = typed(e) // not a spec shape; shows up as a mismatch
		}
		return out
	default:
		return fmt.Sprintf("?:%T:%v", v, v)
	}
}

func putString(m map[string]interface{}, key string, v *string) {
	if v != nil {
		m[key] = "s:" + *v
	}
}

func putExtra(m map[string]interface{}, extra map[string]interface{}) {
	for k, v := range extra {
		if v != nil { // a struct cannot keep a null: it is absent, like a nil pointer
			m[k] = typedNoNull(v)
		}
	}
}

// typedNoNull is typed() with null members of mappings left out (the struct's view of nested data).
func typedNoNull(v interface{}) interface{} {
	switch x := v.(type) {
	case map[string]interface{}:
		out := map[string]interface{}{}
		for k, e := range x {
			if e != nil {
				out[k] = typedNoNull(e)
			}
		}
		return out
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			out[i] = typedNoNull(e)
		}
		return out
	default:
		return typed(v)
	}
}

func stringList(xs []string) []interface{} {
	out := make([]interface{}, len(xs))
	for i, s := range xs {
		out[i] = "s:" + s
	}
	return out
}

// typedStruct is the struct's data as typed JSON: every field that was set, nothing else.
func typedStruct(s *Spec) map[string]interface{} {
	m := map[string]interface{}{}
	putString(m, "id", s.ID)
	putString(m, "title", s.Title)
	putString(m, "status", s.Status)
	putString(m, "created_at", s.CreatedAt)
	if s.QuickMode != nil {
		m["quick_mode"] = "b:" + strconv.FormatBool(*s.QuickMode)
	}
	if c := s.StrategicContext; c != nil {
		o := map[string]interface{}{}
		putString(o, "cuj_id", c.CUJID)
		putString(o, "cuj_name", c.CUJName)
		putString(o, "feature_id", c.FeatureID)
		if c.MVPIncluded != nil {
			o["mvp_included"] = "b:" + strconv.FormatBool(*c.MVPIncluded)
		}
		putString(o, "mvp_status", c.MVPStatus)
		putExtra(o, c.Extra)
		m["strategic_context"] = o
	}
	if u := s.UserStory; u != nil {
		o := map[string]interface{}{}
		putString(o, "text", u.Text)
		putString(o, "hash", u.Hash)
		putExtra(o, u.Extra)
		m["user_story"] = o
	}
	putString(m, "summary", s.Summary)
	if s.Requirements != nil {
		m["requirements"] = stringList(s.Requirements)
	}
	if s.AcceptanceCriteria != nil {
		list := []interface{}{}
		for _, a := range s.AcceptanceCriteria {
			o := map[string]interface{}{}
			putString(o, "id", a.ID)
			putString(o, "description", a.Description)
			putExtra(o, a.Extra)
			list = append(list, o)
		}
		m["acceptance_criteria"] = list
	}
	if s.FilesToModify != nil {
		list := []interface{}{}
		for _, f := range s.FilesToModify {
			if f.Path != nil {
				list = append(list, "s:"+*f.Path)
				continue
			}
			o := map[string]interface{}{}
			if c := f.Change; c != nil {
				putString(o, "action", c.Action)
				putString(o, "path", c.Path)
				putString(o, "description", c.Description)
				putExtra(o, c.Extra)
			}
			list = append(list, o)
		}
		m["files_to_modify"] = list
	}
	putString(m, "complexity", s.Complexity)
	if s.EstimatedMinutes != nil {
		m["estimated_minutes"] = "i:" + strconv.Itoa(*s.EstimatedMinutes)
	}
	if s.Priority != nil {
		m["priority"] = "i:" + strconv.Itoa(*s.Priority)
	}
	if s.ReviewFeedback != nil {
		m["review_feedback"] = stringList(s.ReviewFeedback)
	}
	if s.MVPExplanation != nil {
		m["mvp_explanation"] = stringList(s.MVPExplanation)
	}
	putString(m, "mvp_override", s.MVPOverride)
	putExtra(m, s.Extra)
	return m
}

// ---------------------------------------------------------------------------------------------
// Coldwine's write paths.

// lockFile is Coldwine's LockFile: "<path>.lock", O_CREATE|O_RDWR 0644, blocking flock(LOCK_EX).
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func unlock(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}

// replaceFile is the body of Coldwine's AtomicWriteFile, for a caller that holds the lock.
func replaceFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-")
	if err != nil {
		return err
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return err
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// atomicWriteFile is Coldwine's AtomicWriteFile: lock, replace, unlock.
func atomicWriteFile(path string, data []byte) error {
	l, err := lockFile(path)
	if err != nil {
		return err
	}
	defer unlock(l)
	return replaceFile(path, data)
}

// writeInPlace is Coldwine's saveTask (os.WriteFile: open O_WRONLY|O_CREATE|O_TRUNC, write, close),
// with the write split at a line boundary into two chunks and `pause` between them.
func writeInPlace(path string, data []byte, pause time.Duration) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	cut := bytes.IndexByte(data[len(data)/2:], '\n')
	if cut < 0 {
		cut = len(data)
	} else {
		cut += len(data)/2 + 1
	}
	if _, err := f.Write(data[:cut]); err != nil {
		f.Close()
		return err
	}
	if pause > 0 {
		time.Sleep(pause)
	}
	if _, err := f.Write(data[cut:]); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func loadMap(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func storyHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])[:8]
}

// ---------------------------------------------------------------------------------------------

var out = bufio.NewWriter(os.Stdout)
var outMu sync.Mutex

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		die("json: %v", err)
	}
	outMu.Lock()
	out.Write(b)
	out.WriteByte('\n')
	outMu.Unlock()
}

func die(format string, args ...interface{}) {
	out.Flush()
	fmt.Fprintf(os.Stderr, "coldwine-client: "+format+"\n", args...)
	os.Exit(1)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		die("not a number: %q", s)
	}
	return n
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: coldwine-client COMMAND ARGS
  incr FILE N MAX_GAP_US        N locked read-modify-writes of the integer field "counter" (lock held
                                across read, edit and save), or fewer: SIGTERM ends the loop after the
                                increment under way; prints {"read": value} per increment
  edits FILE N MAX_GAP_MS SEED  N Coldwine-style saves (map load, edit, yaml.v3 Marshal, AtomicWriteFile)
                                with random 0..MAX_GAP_MS pauses; prints {"seq", "data"} per save
  inplace FILE N MAX_GAP_MS SEED  like edits, but written in place without lock or temp (truncate, first
                                half, pause 0..MAX_GAP_MS/4, second half, close); prints {"seq","content","data"}
  sample FILE OUT               records every version of FILE it can see (inotify on its folder) until
                                SIGTERM; writes {"content","ok","data"|"error"} lines to OUT
  roundtrip [FILE...]           loads each FILE (or each path read from stdin) with yaml.v3 into a map
                                and into the spec struct; prints PATH<TAB>MAP<TAB>STRUCT (typed JSON)
                                or PATH<TAB>ERROR<TAB>message
  genhashes DIR FILES PER_FILE SEED  writes FILES specs as Coldwine does (yaml.v3 Marshal of a map) with
                                random 8-hex hashes: user_story.hash and PER_FILE-1 more in requirements
  hold FILE SECONDS WORK_US     lock, work WORK_US, unlock, in a loop for SECONDS; prints {"holds": n}
`)
	os.Exit(2)
}

// The statuses Coldwine's task commands write. COLDWINE_STATUSES (comma-separated) overrides them.
var coldwineStatuses = []string{"pending", "in_progress", "completed", "blocked"}

func init() {
	if s := os.Getenv("COLDWINE_STATUSES"); s != "" {
		coldwineStatuses = strings.Split(s, ",")
	}
}

func main() {
	defer out.Flush()
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	need := func(n int) {
		if len(args) < n {
			usage()
		}
	}
	switch os.Args[1] {
	case "incr":
		need(3)
		incr(args[0], atoi(args[1]), atoi(args[2]))
	case "edits":
		need(4)
		edits(args[0], atoi(args[1]), atoi(args[2]), int64(atoi(args[3])), false)
	case "inplace":
		need(4)
		edits(args[0], atoi(args[1]), atoi(args[2]), int64(atoi(args[3])), true)
	case "sample":
		need(2)
		sample(args[0], args[1])
	case "roundtrip":
		roundtrip(args)
	case "genhashes":
		need(4)
		genhashes(args[0], atoi(args[1]), atoi(args[2]), int64(atoi(args[3])))
	case "hold":
		need(3)
		hold(args[0], atoi(args[1]), atoi(args[2]))
	default:
		usage()
	}
}

func incr(path string, n, maxGapMicros int) {
	rng := rand.New(rand.NewSource(time.Now().UnixNano() ^ int64(os.Getpid())))
	var stop int32
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)
	go func() {
		<-signals
		atomic.StoreInt32(&stop, 1)
	}()
	for i := 0; i < n && atomic.LoadInt32(&stop) == 0; i++ {
		l, err := lockFile(path)
		if err != nil {
			die("lock: %v", err)
		}
		doc, err := loadMap(path)
		if err != nil {
			die("load %s under the lock: %v", path, err)
		}
		value, ok := doc["counter"].(int)
		if !ok {
			die("counter is %T %v, not an int", doc["counter"], doc["counter"])
		}
		doc["counter"] = value + 1
		data, err := yaml.Marshal(doc)
		if err != nil {
			die("marshal: %v", err)
		}
		if err := replaceFile(path, data); err != nil {
			die("save: %v", err)
		}
		unlock(l)
		emit(map[string]interface{}{"read": value})
		if maxGapMicros > 0 {
			time.Sleep(time.Duration(rng.Intn(maxGapMicros+1)) * time.Microsecond)
		}
	}
}

// edits: each save changes what Coldwine's commands change (status, assignee, user story and its
// hash, review feedback) and sets "seq" so every version can be told apart and ordered.
func edits(path string, n, maxGapMS int, seed int64, inPlace bool) {
	rng := rand.New(rand.NewSource(seed))
	for i := 1; i <= n; i++ {
		// Coldwine reads without the lock: review.go locks only inside AtomicWriteFile, the task command never.
		doc, err := loadMap(path)
		if err != nil {
			die("load %s: %v", path, err)
		}
		doc["seq"] = i
		doc["status"] = coldwineStatuses[rng.Intn(len(coldwineStatuses))]
		doc["assignee"] = fmt.Sprintf("agent-%d", rng.Intn(5))
		text := fmt.Sprintf("As a user I want edit %d (%d) so that it is saved.", i, rng.Int63())
		doc["user_story"] = map[string]interface{}{"text": text, "hash": storyHash(text)}
		feedback, _ := doc["review_feedback"].([]interface{})
		if len(feedback) >= 3 {
			feedback = feedback[1:]
		}
		doc["review_feedback"] = append(feedback, fmt.Sprintf("review %d", i))
		// A long last key (yaml.v3 sorts map keys): cut in the middle, an in-place save is still a
		// well-formed, valid spec, just an incomplete one.
		worklog := []interface{}{}
		for k := 1; k <= 10; k++ {
			worklog = append(worklog, fmt.Sprintf("edit %d step %d: %s", i, k, strings.Repeat("x", rng.Intn(20))))
		}
		doc["work_log"] = worklog
		data, err := yaml.Marshal(doc)
		if err != nil {
			die("marshal: %v", err)
		}
		if inPlace {
			pause := time.Duration(0)
			if maxGapMS > 0 {
				pause = time.Duration(rng.Intn(maxGapMS*250+1)) * time.Microsecond
			}
			err = writeInPlace(path, data, pause)
		} else {
			err = atomicWriteFile(path, data)
		}
		if err != nil {
			die("save %d: %v", i, err)
		}
		record := map[string]interface{}{"seq": i, "data": typed(doc)}
		if inPlace {
			record["content"] = string(data)
		}
		emit(record)
		if maxGapMS > 0 {
			time.Sleep(time.Duration(rng.Intn(maxGapMS*1000+1)) * time.Microsecond)
		}
	}
}

func sample(path, outPath string) {
	dir, name := filepath.Dir(path), filepath.Base(path)
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		die("inotify_init1: %v", err)
	}
	mask := uint32(syscall.IN_MODIFY | syscall.IN_CLOSE_WRITE | syscall.IN_MOVED_TO | syscall.IN_CREATE)
	if _, err := syscall.InotifyAddWatch(fd, dir, mask); err != nil {
		die("inotify_add_watch %s: %v", dir, err)
	}
	var mu sync.Mutex
	var versions [][]byte
	var last []byte
	look := func() {
		data, err := os.ReadFile(path)
		if err != nil {
			return
		}
		mu.Lock()
		if last == nil || !bytes.Equal(data, last) {
			versions = append(versions, data)
			last = data
		}
		mu.Unlock()
	}
	finish := func() {
		look()
		mu.Lock()
		defer mu.Unlock()
		f, err := os.Create(outPath)
		if err != nil {
			die("create %s: %v", outPath, err)
		}
		w := bufio.NewWriter(f)
		for _, v := range versions {
			record := map[string]interface{}{"content": string(v)}
			doc := map[string]interface{}{}
			if err := yaml.Unmarshal(v, &doc); err != nil {
				record["ok"] = false
				record["error"] = err.Error()
			} else {
				record["ok"] = true
				record["data"] = typed(doc)
			}
			b, _ := json.Marshal(record)
			w.Write(b)
			w.WriteByte('\n')
		}
		w.Flush()
		f.Sync()
		f.Close()
		os.Exit(0)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-signals
		finish()
	}()
	look()
	fmt.Fprintln(os.Stderr, "sampler: ready")
	buf := make([]byte, 64*1024)
	for {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			die("read inotify: %v", err)
		}
		hit := false
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			length := int(uint32(buf[off+12]) | uint32(buf[off+13])<<8 | uint32(buf[off+14])<<16 | uint32(buf[off+15])<<24)
			nameBytes := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+length]
			if string(bytes.TrimRight(nameBytes, "\x00")) == name {
				hit = true
			}
			off += syscall.SizeofInotifyEvent + length
		}
		if hit {
			look()
		}
	}
}

// roundtrip prints one line per file: PATH, TAB, the map's typed JSON, TAB, the struct's typed JSON
// (encoding/json: sorted keys, no HTML escaping, so no TAB inside); or PATH, TAB, "ERROR", TAB, message.
func roundtrip(paths []string) {
	if len(paths) == 0 {
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Buffer(make([]byte, 1<<20), 1<<20)
		for scanner.Scan() {
			if line := strings.TrimSpace(scanner.Text()); line != "" {
				paths = append(paths, line)
			}
		}
	}
	compact := func(v interface{}) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			die("json: %v", err)
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	fail := func(path, message string) {
		fmt.Fprintf(out, "%s\tERROR\t%s\n", path, strings.ReplaceAll(message, "\n", " "))
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			fail(path, err.Error())
			continue
		}
		doc := map[string]interface{}{}
		if err := yaml.Unmarshal(data, &doc); err != nil {
			fail(path, "map: "+err.Error())
			continue
		}
		var spec Spec
		if err := yaml.Unmarshal(data, &spec); err != nil {
			fail(path, "struct: "+err.Error())
			continue
		}
		fmt.Fprintf(out, "%s\t%s\t%s\n", path, compact(typed(doc)), compact(typedStruct(&spec)))
	}
}

func genhashes(dir string, files, perFile int, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		die("mkdir: %v", err)
	}
	hash := func() string { return fmt.Sprintf("%08x", rng.Uint32()) }
	for i := 0; i < files; i++ {
		requirements := []interface{}{}
		for k := 1; k < perFile; k++ {
			requirements = append(requirements, hash())
		}
		doc := map[string]interface{}{
			"id":         fmt.Sprintf("HASH-%06d", i),
			"title":      "Random story hash",
			"status":     "blocked", // in every schema version: this test is about the hashes
			"user_story": map[string]interface{}{"text": fmt.Sprintf("story %d", i), "hash": hash()},
		}
		if len(requirements) > 0 {
			doc["requirements"] = requirements
		}
		data, err := yaml.Marshal(doc)
		if err != nil {
			die("marshal: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("HASH-%06d.yaml", i)), data, 0o644); err != nil {
			die("write: %v", err)
		}
	}
}

func hold(path string, seconds, workMicros int) {
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	holds := 0
	for time.Now().Before(deadline) {
		l, err := lockFile(path)
		if err != nil {
			die("lock: %v", err)
		}
		time.Sleep(time.Duration(workMicros) * time.Microsecond) // the "short work" under the lock
		unlock(l)
		holds++
	}
	emit(map[string]interface{}{"holds": holds})
}
