package main

import (
	"context"
	"fmt"
	"io"
)

// statsRebuild recomputes the statistics of one workspace, or of every
// workspace, from the history (sessions, ratings, votes, messages).
func statsRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("stats rebuild", stderr)
	db := dbFlag(fs)
	wsID := fs.String("workspace", "", "workspace id (every workspace when omitted)")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	ids := []string{*wsID}
	if *wsID == "" {
		all, err := st.ListWorkspaces(ctx)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, w := range all {
			ids = append(ids, w.ID)
		}
	} else if _, err := st.GetWorkspace(ctx, *wsID); err != nil {
		return err
	}
	for _, id := range ids {
		if err := st.RebuildStats(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rebuilt the statistics of workspace %s\n", id)
	}
	return nil
}

// workspaceSetTimezone sets the zone whose days a workspace's statistics
// count in; the figures are recomputed in it.
func workspaceSetTimezone(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("workspace set-timezone", stderr)
	db := dbFlag(fs)
	wsID := fs.String("workspace", "", "workspace id (may be omitted when there is one workspace)")
	zone := fs.String("timezone", "", "IANA time zone such as Europe/Moscow (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *zone == "" {
		return usageErr("--timezone is required")
	}
	st, ws, err := openWorkspace(ctx, *db, *wsID)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetWorkspaceTimezone(ctx, ws.ID, *zone); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "workspace %s counts its statistics in %s\n", ws.ID, *zone)
	return nil
}
