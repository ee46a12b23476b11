// The security groups on AWS come from the local region's file, deploy/local/security-groups.toml: one
// source of truth for who may reach whom. This module reads it and says, rule by rule, what each becomes
// on AWS — an ingress rule that references a security group (or 0.0.0.0/0), or nothing, with the reason.
// A group or port this module does not know fails the synth: a new local rule needs a decision here.
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';

export interface LocalRule {
  from: string; // a group name or "anywhere"
  ports: number[];
  why: string;
}

export interface LocalGroup {
  name: string;
  description: string;
  members: string[];
  ingress: LocalRule[];
}

// The groups that have a counterpart on AWS, with the description their EC2 security group carries.
export const kAwsGroups = {
  'sg-lb': 'sg-lb: the Application Load Balancer',
  'sg-app': 'sg-app: the instances of the Auto Scaling group (myclothes serve)',
  'sg-db': 'sg-db: RDS PostgreSQL (the primary, its Multi-AZ standby, the read replicas)',
  'sg-cache': 'sg-cache: ElastiCache Redis (sessions, carts, the catalog cache)',
} as const;
export type AwsGroup = keyof typeof kAwsGroups;

// The local groups that become nothing on AWS, and why.
export const kNoAwsCounterpart: Record<string, string> = {
  'sg-ops':
    'no bastion on AWS: operators reach an instance with SSM Session Manager (no SSH port anywhere) and the ' +
    'data tier by port forwarding through that session, as an instance (sg-app)',
  'sg-internet': 'the internet is "anywhere" (0.0.0.0/0) on AWS, not a group',
};

// The data tier's own traffic (streaming replication, the HA manager, Sentinel) is inside the managed
// services on AWS: RDS and ElastiCache replicate over their own links, so a group admitting itself is not needed.
const kManaged: ReadonlySet<string> = new Set(['sg-db', 'sg-cache']);

export interface AwsRule {
  to: AwsGroup;
  from: AwsGroup | 'anywhere';
  port: number;
  description: string; // EC2's allowed characters only (ruleDescription)
}

export interface DroppedRule {
  to: string;
  from: string;
  ports: number[];
  reason: string;
}

export interface Translation {
  rules: AwsRule[];
  dropped: DroppedRule[];
}

export const kLocalFile = 'deploy/local/security-groups.toml';

export function readLocalGroups(path: string): LocalGroup[] {
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${kLocalFile}: ${(e as Error).message}`);
  }
  return Object.entries(doc).map(([name, value]) => {
    const g = value as Partial<LocalGroup>;
    const bad = (what: string) => new Error(`${kLocalFile}: [${name}] ${what}`);
    if (typeof g !== 'object' || g === null) throw bad('is not a table');
    if (typeof g.description !== 'string') throw bad('needs description = "..."');
    if (!Array.isArray(g.members)) throw bad('needs members = [...]');
    if (!Array.isArray(g.ingress)) throw bad('needs ingress = [...]');
    const ingress = g.ingress.map((r, i) => {
      if (typeof r.from !== 'string' || typeof r.why !== 'string' || !Array.isArray(r.ports) ||
          !r.ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) {
        throw bad(`ingress rule ${i + 1}: expected { from = "...", ports = [N, ...], why = "..." }`);
      }
      return { from: r.from, ports: r.ports.map(Number), why: r.why };
    });
    return { name, description: g.description, members: g.members.map(String), ingress };
  });
}

// EC2 accepts a-z A-Z 0-9, spaces and ._-:/()#,@[]+=&;{}!$* in security group and rule descriptions (at
// most 255 characters): the file's reasons are English prose with apostrophes and backticks.
export const kEc2DescriptionChars = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
export function ruleDescription(text: string): string {
  return text.replace(/[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, '').slice(0, 255);
}

// What a local port is on AWS. The load balancer's 8080 is its listeners' ports: 80, and 443 with a
// certificate. The others are the same numbers: the instances listen on 8081 in both worlds, RDS and
// ElastiCache on PostgreSQL's and Redis's usual ports. Sentinel has no counterpart: ElastiCache elects a
// new primary by itself and moves the primary endpoint's DNS name to it.
function portsOnAws(port: number, listenerPorts: number[]): number[] | string {
  switch (port) {
    case 8080: return listenerPorts;
    case 8081: case 5432: case 6379: return [port];
    case 26379: return 'Sentinel: ElastiCache fails over by itself (no Sentinel to reach)';
    default:
      throw new Error(`${kLocalFile}: port ${port} has no AWS counterpart in deploy/aws/lib/security-groups.ts; say what it is on AWS`);
  }
}

function isAwsGroup(name: string): name is AwsGroup {
  return Object.hasOwn(kAwsGroups, name);
}

export function translate(groups: LocalGroup[], listenerPorts: number[]): Translation {
  const rules: AwsRule[] = [];
  const dropped: DroppedRule[] = [];
  const known = new Set(groups.map((g) => g.name));
  for (const name of Object.keys(kAwsGroups)) {
    if (!known.has(name)) throw new Error(`${kLocalFile}: group ${name} is missing; the AWS stack needs it`);
  }
  for (const group of groups) {
    if (!isAwsGroup(group.name) && !Object.hasOwn(kNoAwsCounterpart, group.name)) {
      throw new Error(`${kLocalFile}: group ${group.name} has no AWS counterpart in deploy/aws/lib/security-groups.ts; say what it is on AWS`);
    }
    for (const rule of group.ingress) {
      const drop = (ports: number[], reason: string) => dropped.push({ to: group.name, from: rule.from, ports, reason });
      if (rule.from !== 'anywhere' && !known.has(rule.from)) {
        throw new Error(`${kLocalFile}: [${group.name}] admits ${rule.from}, which is not a group of the file`);
      }
      if (!isAwsGroup(group.name)) { drop(rule.ports, kNoAwsCounterpart[group.name]); continue; }
      if (rule.from !== 'anywhere' && !isAwsGroup(rule.from)) { drop(rule.ports, kNoAwsCounterpart[rule.from]); continue; }
      if (rule.from === group.name && kManaged.has(group.name)) {
        drop(rule.ports, 'replication and failover are inside the managed service (RDS, ElastiCache)');
        continue;
      }
      for (const port of rule.ports) {
        const mapped = portsOnAws(port, listenerPorts);
        if (typeof mapped === 'string') { drop([port], mapped); continue; }
        for (const p of mapped) {
          rules.push({ to: group.name, from: rule.from as AwsGroup | 'anywhere', port: p,
            description: ruleDescription(`${group.name} from ${rule.from}: ${rule.why}`) });
        }
      }
    }
  }
  return { rules, dropped };
}
