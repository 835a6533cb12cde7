package main

import (
	"os"

	"mutexlab/runtime/repl"
)

func init() {
	c := &command{
		name:    "repl",
		usage:   "repl [SCENARIO]",
		summary: "the interactive REPL (also what plain `mutexlab` runs); reads a session script from a pipe",
	}
	c.run = func(args []string) error {
		fs := newFlags(c)
		var sf scenarioFlags
		sf.register(fs)
		arg, err := parseScenarioArgs(fs, args)
		if err != nil {
			return err
		}
		if sf.scripts != "" {
			if st, err := os.Stat(sf.scripts); err != nil || !st.IsDir() {
				return usageErr("--scripts %s: expected a folder of Lua scripts", sf.scripts)
			}
		}
		code, err := repl.Run(repl.Options{Scenario: arg, Rounds: sf.rounds, Speed: sf.speed, Scripts: sf.dirs(),
			Version: Version, Color: colorOut(), Explore: replExplore})
		if err != nil {
			return classify(err)
		}
		if code != exitOK {
			return &exitError{code: code}
		}
		return nil
	}
	register(c)
}
