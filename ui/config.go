package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/charmbracelet/bubbles/key"
)

// Config is the dashboard's config file, <config dir>/maskdash/config.toml
// (MASKDASH_CONFIG names another). The zero value is the default: the
// terminal's own theme, the overview first, the keys of DefaultKeyMap.
//
//	theme = "colorblind"        # dark, light or colorblind
//	view = "runs"               # overview, confusion, runs, system or layers
//	[keys]
//	checkpoint = "C"            # an action (see ActionNames) and its keys, comma-separated
//	quit = "q,ctrl+q"
type Config struct {
	Theme string            `toml:"theme"`
	View  string            `toml:"view"`
	Keys  map[string]string `toml:"keys"`
}

// ConfigPath is where the config file is read from.
func ConfigPath() string {
	if p := os.Getenv("MASKDASH_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "maskdash", "config.toml")
}

// LoadConfig reads a config file; a missing file is the default config.
// A file that does not parse, or names an unknown theme, view or action,
// is an error that names it.
func LoadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return c, fmt.Errorf("config %s: %q is not a setting (theme, view, [keys])", path, u[0].String())
	}
	if err := c.Check(); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Check refuses unknown themes, views and actions, and keys given twice.
func (c Config) Check() error {
	if c.Theme != "" && !contains(Themes, c.Theme) {
		return fmt.Errorf("theme %q is not one of %s", c.Theme, strings.Join(Themes, ", "))
	}
	if c.View != "" && !contains(viewNames, c.View) {
		return fmt.Errorf("view %q is not one of %s", c.View, strings.Join(viewNames, ", "))
	}
	_, err := DefaultKeyMap().With(c.Keys)
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// bindings maps action names (KeyMap's field names in lower case) to the
// bindings.
func (k *KeyMap) bindings() map[string]*key.Binding {
	out := map[string]*key.Binding{}
	v := reflect.ValueOf(k).Elem()
	for i := range v.NumField() {
		if b, ok := v.Field(i).Addr().Interface().(*key.Binding); ok {
			out[strings.ToLower(v.Type().Field(i).Name)] = b
		}
	}
	return out
}

// ActionNames lists the actions a config's [keys] may rebind.
func ActionNames() []string {
	k := DefaultKeyMap()
	var out []string
	for n := range k.bindings() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// With returns the keymap with actions rebound ("checkpoint" = "C,ctrl+s").
func (k KeyMap) With(over map[string]string) (KeyMap, error) {
	bs := k.bindings()
	for name, keys := range over {
		b, ok := bs[strings.ToLower(name)]
		if !ok {
			return k, fmt.Errorf("[keys] %s is not an action (%s)", name, strings.Join(ActionNames(), ", "))
		}
		var ks []string
		for _, s := range strings.Split(keys, ",") {
			if s = strings.TrimSpace(s); s != "" {
				ks = append(ks, s)
			}
		}
		if len(ks) == 0 {
			return k, fmt.Errorf("[keys] %s has no key", name)
		}
		b.SetKeys(ks...)
		b.SetHelp(ks[0], b.Help().Desc)
	}
	return k, nil
}
