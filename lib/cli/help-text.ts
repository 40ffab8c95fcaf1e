/** What `cache-aside --help` prints; docs/cli.md says the same at length. */
export const HELP_TEXT = `Usage: cache-aside <command> [arguments] [options]

Look into and act on the entries a CacheAsideManager keeps in Redis.
Keys and patterns are given as the manager sees them, without the key prefix.

Commands:
  inspect <key>                  Everything about one entry: kind, codec, size, written at,
                                 fresh until, TTL, tags (still current?), a load in flight,
                                 and the decoded value (--raw: the payload bytes on stdout).
  ls [pattern]                   Matching keys with size, TTL and freshness, a page at a time
                                 (--limit, then --cursor with the cursor printed). SCAN only.
  stats [pattern]                Per namespace (the key up to its first ':'): entries, bytes,
                                 stale fraction, TTL left (p50), loads in flight, undecodable.
  invalidate <key|pattern...>    Removes entries through the library's own invalidation
                                 (lease-safe, heard by in-process tiers). --dry-run lists them.
  invalidate-tags <tag...>       Invalidates tags: every entry stamped with them stops being
                                 served. --dry-run shows each tag's current state.

Options:
  --url <url>        redis://[user:password@]host:port[/db] or rediss:// for TLS
                     (default: $REDIS_URL, else redis://127.0.0.1:6379)
  --ca <file>        rediss://: trust the CA(s) in this PEM file (default: Node's trust
                     store, which NODE_EXTRA_CA_CERTS extends)
  --cluster          --url is a seed node of a Redis Cluster
  --prefix <prefix>  the manager's keyPrefix (default: "cache:")
  --json             machine-readable output on stdout
  --limit <n>        ls: keys per page (default 100)
  --cursor <c>       ls: continue where the previous page stopped
  --count <n>        SCAN COUNT per step (default 1000)
  --raw              inspect: write the payload bytes to stdout, nothing else
  --max-chars <n>    inspect: characters of the decoded value to print (default 2000)
  --dry-run          invalidate, invalidate-tags: show what would go, change nothing
  --progress         draw the progress bar even when stderr is not a terminal
  --timeout <ms>     connection and command timeout (default 5000)
  -h, --help         this text

Exit codes:
  0  done            1  no such key / nothing matched     2  usage error
  3  cannot connect or authenticate                        4  inspect: not a readable entry
  5  Redis failed part-way: the result is incomplete
`;
