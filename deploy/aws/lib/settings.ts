// The deployment's settings: CDK context (`cdk synth -c key=value`, or "context" in cdk.json), each with a
// default, checked once here so that a bad value fails the synth with a message naming its key.
// Values given with -c arrive as strings, values from cdk.json as JSON: both are accepted.

export const kSessionModes = ['sticky', 'cookie', 'redis', 'dynamodb'] as const;
export type SessionMode = (typeof kSessionModes)[number];

export interface Settings {
  // The fleet (an Auto Scaling group of `myclothes serve` instances over the private subnets).
  instanceType: string;
  minCapacity: number;
  desiredCapacity: number;
  maxCapacity: number;
  // Target tracking on ALBRequestCountPerTarget: requests per instance per minute.
  requestsPerTarget: number;
  // The load balancer.
  certificateArn?: string; // given: HTTPS on 443 with it, and HTTP on 80 redirects there
  sticky: boolean; // the AWSALB cookie (the local --sticky)
  deregistrationDelaySeconds: number;
  // Where sessions and carts live (the instances' session.mode); dynamodb also creates the table.
  sessionMode: SessionMode;
  // The data tier.
  dbInstanceClass: string;
  readReplicas: number;
  cacheNodeType: string;
  cacheReplicas: number;
  deletionProtection: boolean;
  // The network: NAT gateways for the private subnets' way out (1 to 3; each costs by the hour).
  natGateways: number;
  // The release: a local tarball (deploy/aws/package) uploaded as an S3 asset; unset, the stack takes the
  // artifact's S3 location as parameters and the template stays the same from one synth to the next.
  artifact?: string;
  // Products `myclothes seed --if-empty` loads on the first boot (0: no seeding).
  seedProducts: number;
}

export const kDefaults: Settings = {
  instanceType: 't3.micro',
  minCapacity: 2,
  desiredCapacity: 2,
  maxCapacity: 6,
  requestsPerTarget: 1000,
  sticky: false,
  deregistrationDelaySeconds: 30,
  sessionMode: 'redis',
  dbInstanceClass: 'db.t4g.micro',
  readReplicas: 1,
  cacheNodeType: 'cache.t4g.micro',
  cacheReplicas: 1,
  deletionProtection: false,
  natGateways: 1,
  seedProducts: 10000,
};

export type ContextReader = (key: string) => unknown;

function fail(key: string, expected: string, value: unknown): never {
  throw new Error(`context ${key}: expected ${expected}, got ${JSON.stringify(value)} (cdk synth -c ${key}=...)`);
}

function integer(get: ContextReader, key: keyof Settings, min: number, max: number): number {
  const value = get(key);
  if (value === undefined) return kDefaults[key] as number;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) fail(key, `an integer from ${min} to ${max}`, value);
  return n;
}

function boolean(get: ContextReader, key: keyof Settings): boolean {
  const value = get(key);
  if (value === undefined) return kDefaults[key] as boolean;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return fail(key, 'true or false', value);
}

function text(get: ContextReader, key: keyof Settings, pattern: RegExp, expected: string): string | undefined {
  const value = get(key);
  if (value === undefined || value === '') return kDefaults[key] as string | undefined;
  if (typeof value !== 'string' || !pattern.test(value)) fail(key, expected, value);
  return value;
}

// The release binary is built for amd64 on Debian 12: an Arm (Graviton) instance type cannot run it.
// Graviton families carry a "g" after the generation digit: t4g, m7g, c6gn, r8g.
const kArmFamily = /^[a-z]+\d+[a-z]*g[a-z]*\./;

export function readSettings(get: ContextReader): Settings {
  const instanceType = text(get, 'instanceType', /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as t3.micro')!;
  if (kArmFamily.test(instanceType)) {
    fail('instanceType', 'an x86_64 instance type (the release binary is built for amd64 on Debian 12)', instanceType);
  }
  const minCapacity = integer(get, 'minCapacity', 0, 50);
  const maxCapacity = integer(get, 'maxCapacity', 1, 50);
  const desiredCapacity = integer(get, 'desiredCapacity', 0, 50);
  if (!(minCapacity <= desiredCapacity && desiredCapacity <= maxCapacity)) {
    throw new Error(
      `context minCapacity, desiredCapacity, maxCapacity: expected min <= desired <= max, got ` +
        `${minCapacity} <= ${desiredCapacity} <= ${maxCapacity}`,
    );
  }
  const sessionMode = get('sessionMode') ?? kDefaults.sessionMode;
  if (!kSessionModes.includes(sessionMode as SessionMode)) fail('sessionMode', kSessionModes.join(' | '), sessionMode);

  return {
    instanceType,
    minCapacity,
    desiredCapacity,
    maxCapacity,
    requestsPerTarget: integer(get, 'requestsPerTarget', 1, 1_000_000),
    certificateArn: text(get, 'certificateArn', /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/,
      'an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)'),
    sticky: boolean(get, 'sticky'),
    deregistrationDelaySeconds: integer(get, 'deregistrationDelaySeconds', 0, 3600),
    sessionMode: sessionMode as SessionMode,
    dbInstanceClass: text(get, 'dbInstanceClass', /^db\.[a-z0-9]+\.[a-z0-9]+$/, 'an RDS instance class such as db.t4g.micro')!,
    // The architecture's 0 to 5 (DESIGN.md); RDS itself would allow more.
    readReplicas: integer(get, 'readReplicas', 0, 5),
    cacheNodeType: text(get, 'cacheNodeType', /^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'an ElastiCache node type such as cache.t4g.micro')!,
    // Multi-AZ with automatic failover needs at least one replica; a replication group holds at most 5.
    cacheReplicas: integer(get, 'cacheReplicas', 1, 5),
    deletionProtection: boolean(get, 'deletionProtection'),
    natGateways: integer(get, 'natGateways', 1, 3),
    artifact: text(get, 'artifact', /\.tar\.gz$/, 'the path of a release tarball (*.tar.gz, made by deploy/aws/package)'),
    seedProducts: integer(get, 'seedProducts', 0, 1_000_000),
  };
}
