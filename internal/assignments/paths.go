package assignments

import (
	"context"
	"strings"

	"github.com/upskill/upskill/internal/catalog"
)

// expandPath turns a request for a learning path into one request per
// module of the path, in the path's order, each tagged with the path; a
// request for a module is returned as it is.
func (s *Service) expandPath(ctx context.Context, r Request) ([]Request, error) {
	r.Path = strings.TrimSpace(r.Path)
	if r.Path == "" {
		return []Request{r}, nil
	}
	if strings.TrimSpace(r.Module) != "" {
		return nil, invalid("path", "give module or path, not both")
	}
	paths, err := catalog.Paths(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		if p.Slug != r.Path {
			continue
		}
		out := make([]Request, 0, len(p.Modules))
		for _, m := range p.Modules {
			one := r
			one.pathModule = m
			one.UserIDs = append([]string(nil), r.UserIDs...)
			one.Departments = append([]string(nil), r.Departments...)
			out = append(out, one)
		}
		return out, nil
	}
	return nil, invalid("path", "no published path %q", r.Path)
}

// optPath is the path tag stored with an assignment or rule: nil for a
// module assigned directly.
func optPath(p string) *string {
	if p == "" {
		return nil
	}
	return &p
}
