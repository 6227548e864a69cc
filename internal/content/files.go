package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

const maxAsset = 5 << 20 // bytes per image

var assetExts = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp",
}

// CheckUploadPath accepts only the paths a module may hold: module.md,
// quiz.md, lessons/<name>.md and assets/<name>.<png|jpg|jpeg|gif|webp>,
// written as clean relative paths with forward slashes.
func CheckUploadPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty file path")
	case strings.Contains(p, `\`):
		return fmt.Errorf("%q: use forward slashes in file paths", p)
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q: file paths must be relative to the module folder", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%q: file paths may not contain empty, '.' or '..' parts", p)
		}
	}
	if kindOf(p) == "" {
		return fmt.Errorf("%q: a module holds only module.md, quiz.md, lessons/<name>.md and assets/<name>.png|jpg|jpeg|gif|webp", p)
	}
	if dir, name := path.Split(p); dir == "lessons/" && !strings.HasSuffix(name, ".md") {
		return fmt.Errorf("%q: lessons are .md files", p)
	}
	if dir, name := path.Split(p); dir == "assets/" && assetExts[strings.ToLower(path.Ext(name))] == "" {
		return fmt.Errorf("%q: assets must be .png, .jpg, .jpeg, .gif or .webp images", p)
	}
	return nil
}

// kindOf places a clean relative path in the module layout: "module",
// "quiz", "lesson", "asset", or "" for a file that has no place.
func kindOf(p string) string {
	switch p {
	case "module.md":
		return "module"
	case "quiz.md":
		return "quiz"
	}
	dir, name := path.Split(p)
	switch {
	case name == "" || strings.HasPrefix(name, "."):
		return ""
	case dir == "lessons/":
		return "lesson"
	case dir == "assets/":
		return "asset"
	}
	return ""
}

// readFiles collects the module's files from fsys. Hidden files (editor and
// OS litter such as .DS_Store) are skipped; anything else out of place is a
// problem rather than silently ignored, so a trainer notices a misnamed file.
func readFiles(fsys fs.FS) (files map[string][]byte, probs []Problem, oversize map[string]bool) {
	files, oversize = map[string][]byte{}, map[string]bool{}
	bad := func(p, msg string) { probs = append(probs, Problem{File: p, Message: msg}) }
	count := 0
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			bad(p, err.Error())
			return nil
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != "lessons" && p != "assets" {
				bad(p, "unexpected folder: a module holds module.md, quiz.md, lessons/ and assets/")
				return fs.SkipDir
			}
			return nil
		}
		if count++; count > MaxFiles {
			bad(".", fmt.Sprintf("more than %d files; a module may hold at most %d", MaxFiles, MaxFiles))
			return fs.SkipAll
		}
		if data, msg, big := readOne(fsys, p, d); msg != "" {
			bad(p, msg)
			if big && kindOf(p) != "asset" {
				oversize[p] = true
			}
		} else {
			files[p] = data
		}
		return nil
	})
	if err != nil {
		bad(".", err.Error())
	}
	return files, probs, oversize
}

// readOne reads one file; msg says why it cannot be used, and big that the
// reason is its size.
func readOne(fsys fs.FS, p string, d fs.DirEntry) (data []byte, msg string, big bool) {
	kind := kindOf(p)
	if kind == "" {
		return nil, "unexpected file: a module holds module.md, quiz.md, lessons/*.md and assets/*", false
	}
	if !d.Type().IsRegular() {
		return nil, "not a regular file (symbolic links are not allowed)", false
	}
	limit := int64(MaxMarkdownBytes)
	if kind == "asset" {
		limit = maxAsset
	}
	if info, err := d.Info(); err == nil && info.Size() > limit {
		return nil, tooBig(info.Size(), limit), true
	}
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil, err.Error(), false
	}
	if int64(len(data)) > limit {
		return nil, tooBig(int64(len(data)), limit), true
	}
	if kind != "asset" && !utf8.Valid(data) {
		return nil, "not valid UTF-8 text", false
	}
	return data, "", false
}

func tooBig(size, limit int64) string {
	return fmt.Sprintf("file is %d bytes, more than the %d allowed", size, limit)
}

// hashFiles is the content hash that names a revision. Each path and each
// content is length-prefixed so no two different file sets can produce the
// same byte stream, and paths are sorted so map order does not matter.
func hashFiles(files map[string][]byte) string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	var n [8]byte
	for _, p := range paths {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		io.WriteString(h, p)
		binary.BigEndian.PutUint64(n[:], uint64(len(files[p])))
		h.Write(n[:])
		h.Write(files[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// FilesFS serves an uploaded module (path -> content) as an fs.FS so that
// uploads and folders on disk go through one parser. Paths that are not
// valid fs paths are left out: check uploads with CheckUploadPath first.
func FilesFS(files map[string][]byte) fs.FS {
	m := mapFS{files: map[string][]byte{}, dirs: map[string][]string{".": nil}}
	for p, data := range files {
		if !fs.ValidPath(p) || p == "." {
			continue
		}
		m.files[p] = data
		for child := p; child != "."; child = path.Dir(child) {
			parent := path.Dir(child)
			_, known := m.dirs[parent]
			m.dirs[parent] = append(m.dirs[parent], path.Base(child))
			if known {
				break
			}
		}
	}
	for d, names := range m.dirs {
		sort.Strings(names)
		m.dirs[d] = compactStrings(names)
	}
	return m
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// mapFS is a read-only in-memory tree. A name that is both a file and a
// folder counts as a folder.
type mapFS struct {
	files map[string][]byte
	dirs  map[string][]string // folder -> sorted child names
}

func (m mapFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if _, ok := m.dirs[name]; ok {
		entries, _ := m.ReadDir(name)
		return &mapDir{info: mapInfo{name: path.Base(name), dir: true}, entries: entries}, nil
	}
	if data, ok := m.files[name]; ok {
		return &mapFile{info: mapInfo{name: path.Base(name), size: int64(len(data))}, r: bytes.NewReader(data)}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (m mapFS) ReadDir(name string) ([]fs.DirEntry, error) {
	names, ok := m.dirs[name]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	out := make([]fs.DirEntry, 0, len(names))
	for _, n := range names {
		full := path.Join(name, n)
		_, dir := m.dirs[full]
		out = append(out, fs.FileInfoToDirEntry(mapInfo{name: n, dir: dir, size: int64(len(m.files[full]))}))
	}
	return out, nil
}

func (m mapFS) ReadFile(name string) ([]byte, error) {
	if _, dir := m.dirs[name]; !dir {
		if data, ok := m.files[name]; ok {
			return bytes.Clone(data), nil
		}
	}
	return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
}

type mapInfo struct {
	name string
	size int64
	dir  bool
}

func (i mapInfo) Name() string       { return i.name }
func (i mapInfo) Size() int64        { return i.size }
func (i mapInfo) ModTime() time.Time { return time.Time{} }
func (i mapInfo) IsDir() bool        { return i.dir }
func (i mapInfo) Sys() any           { return nil }
func (i mapInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o555
	}
	return 0o444
}

type mapFile struct {
	info mapInfo
	r    *bytes.Reader
}

func (f *mapFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *mapFile) Read(b []byte) (int, error) { return f.r.Read(b) }
func (f *mapFile) Close() error               { return nil }

type mapDir struct {
	info    mapInfo
	entries []fs.DirEntry
}

func (d *mapDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *mapDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: fs.ErrInvalid}
}
func (d *mapDir) Close() error { return nil }

// ReadDir follows fs.ReadDirFile: n <= 0 returns the rest at once.
func (d *mapDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		rest := d.entries
		d.entries = nil
		return rest, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.entries))
	out := d.entries[:n]
	d.entries = d.entries[n:]
	return out, nil
}

// HashDir is the content hash Parse would give the module in fsys, read
// without parsing it; ok is false when a file cannot be read or is over
// the limits (Parse says why). An import compares it with the published
// hash to skip parsing a module that has not changed.
func HashDir(fsys fs.FS) (hash string, ok bool) {
	files, probs, oversize := readFiles(fsys)
	if len(probs) > 0 || len(oversize) > 0 {
		return "", false
	}
	return hashFiles(files), true
}

// loadDocs parses every <sub>/<slug>.md under the content root dir with
// parse, the one-file kinds (paths, pulses, policies) alike. Problems name
// files relative to dir; a missing folder means none of that kind. keep
// says whether a parsed document joins the result given its problems.
func loadDocs[T any](dir, sub string, parse func(file, slug string, src []byte) (T, []Problem), keep func([]Problem) bool) ([]T, []Problem) {
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		return nil, nil
	}
	var out []T
	var probs []Problem
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".md") {
			continue
		}
		file := sub + "/" + name
		src, err := os.ReadFile(filepath.Join(dir, sub, name))
		if err != nil {
			probs = append(probs, Problem{File: file, Message: err.Error()})
			continue
		}
		doc, ps := parse(file, strings.TrimSuffix(name, ".md"), src)
		if keep(ps) {
			out = append(out, doc)
		}
		probs = append(probs, ps...)
	}
	return out, probs
}

func always([]Problem) bool { return true }
