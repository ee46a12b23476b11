// deploy/local/security-groups.toml read and translated to AWS: what each local rule becomes, and why
// the ones that become nothing do.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { kEc2DescriptionChars, LocalGroup, readLocalGroups, ruleDescription, translate } from '../lib/security-groups';

const local = readLocalGroups(join(__dirname, '..', '..', 'local', 'security-groups.toml'));
const edges = (listenerPorts: number[]) =>
  translate(local, listenerPorts).rules.map((r) => `${r.to} <- ${r.from}:${r.port}`).sort();

test('security groups: the local file has the groups the AWS stack maps', () => {
  assert.deepEqual(local.map((g) => g.name).sort(), ['sg-app', 'sg-cache', 'sg-db', 'sg-internet', 'sg-lb', 'sg-ops']);
});

test('security groups: on AWS the load balancer takes 80 (and 443 with a certificate) for the local 8080', () => {
  assert.deepEqual(edges([80]), ['sg-app <- sg-lb:8081', 'sg-cache <- sg-app:6379', 'sg-db <- sg-app:5432', 'sg-lb <- anywhere:80']);
  assert.deepEqual(edges([80, 443]),
    ['sg-app <- sg-lb:8081', 'sg-cache <- sg-app:6379', 'sg-db <- sg-app:5432', 'sg-lb <- anywhere:443', 'sg-lb <- anywhere:80']);
});

test('security groups: sg-ops, self-references and Sentinel become nothing on AWS, each with its reason', () => {
  const dropped = translate(local, [80]).dropped;
  const summary = dropped.map((d) => `${d.to} <- ${d.from}:${d.ports.join(',')}`).sort();
  assert.deepEqual(summary, [
    'sg-app <- sg-ops:8081',
    'sg-cache <- sg-app:26379',
    'sg-cache <- sg-cache:6379,26379',
    'sg-cache <- sg-ops:6379,26379',
    'sg-db <- sg-db:5432',
    'sg-db <- sg-ops:5432',
  ]);
  for (const d of dropped) assert.ok(d.reason.length > 20, `${d.to} <- ${d.from} needs a reason`);
  assert.match(dropped.find((d) => d.from === 'sg-ops')!.reason, /SSM Session Manager/);
});

test('security groups: a group or port with no AWS counterpart fails, naming it', () => {
  const withGroup: LocalGroup[] = [...local, { name: 'sg-mail', description: 'smtp', members: ['mail'], ingress: [] }];
  assert.throws(() => translate(withGroup, [80]), { message: /group sg-mail has no AWS counterpart/ });
  const withPort = local.map((g) => (g.name === 'sg-app' ? { ...g, ingress: [{ from: 'sg-lb', ports: [9090], why: 'x' }] } : g));
  assert.throws(() => translate(withPort, [80]), { message: /port 9090 has no AWS counterpart/ });
  const unknownPeer = local.map((g) => (g.name === 'sg-db' ? { ...g, ingress: [{ from: 'sg-web', ports: [5432], why: 'x' }] } : g));
  assert.throws(() => translate(unknownPeer, [80]), { message: /\[sg-db\] admits sg-web, which is not a group of the file/ });
  assert.throws(() => translate(local.filter((g) => g.name !== 'sg-cache'), [80]), { message: /group sg-cache is missing/ });
});

test('security groups: rule descriptions keep only the characters EC2 accepts', () => {
  for (const rule of translate(local, [80, 443]).rules) assert.match(rule.description, kEc2DescriptionChars);
  assert.equal(ruleDescription("the load balancer's `checks` ü"), 'the load balancers checks ');
});
