// The faults lab/az causes, in the order it causes them, each by one `myclothes region` verb; which data tier
// has it; what the architecture promises after it (the --assert targets); and what AWS publishes for the same
// event on its own services (lab/README.md names the sources).

export const FAULTS = [
  {
    name: 'kill-db-primary', verb: ['kill', 'db-primary'], tiers: ['replicated'],
    title: 'kill db-primary',
    what: "SIGKILL of PostgreSQL's primary; pg_auto_failover promotes the synchronous standby",
    writesWithin: 15,
    aws: 'RDS Multi-AZ failover: typically 60–120 s',
  },
  {
    name: 'kill-redis-primary', verb: ['kill', 'redis-primary'], tiers: ['replicated'],
    title: 'kill redis-primary',
    what: "SIGKILL of Redis's primary; the Sentinels promote a replica",
    writesWithin: 5,
    aws: 'ElastiCache Multi-AZ automatic failover: minutes at most (typically well under one)',
  },
  {
    name: 'fail-az-a', verb: ['fail-az', 'a'], tiers: ['replicated', 'single'],
    title: 'fail-az a',
    what: 'zone a cut off (a partition): its instances and data nodes keep running, nothing crosses',
    storeWithin: 30,
    aws: 'ASG replaces the capacity in the healthy zones within minutes (plus RDS failover, 60–120 s, if the primary was there)',
  },
  {
    name: 'restore-az-a', verb: ['restore-az', 'a'], tiers: ['replicated', 'single'], after: 'fail-az-a',
    title: 'restore-az a',
    what: 'zone a reconnected; the fleet rebalances (launch in a, then drain the surplus elsewhere)',
    aws: 'ASG rebalancing across zones: launches before it terminates, within minutes',
  },
];

export const FAULT_NAMES = FAULTS.map((f) => f.name);

export const byName = (name) => FAULTS.find((f) => f.name === name);

// Browsing serves again within this many seconds of any single fault.
export const kBrowseWithin = 5;
