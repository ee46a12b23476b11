// The context settings: defaults, values from -c (strings) and cdk.json (JSON), and one clear error each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kDefaults, readSettings } from '../lib/settings';

const read = (context: Record<string, unknown>) => readSettings((key) => context[key]);

test('settings: without context every setting has its default', () => {
  assert.deepEqual(read({}), { ...kDefaults, certificateArn: undefined, artifact: undefined });
});

test('settings: -c strings and cdk.json values mean the same', () => {
  const fromCli = read({ readReplicas: '3', sticky: 'true', minCapacity: '1', desiredCapacity: '2', maxCapacity: '4' });
  const fromJson = read({ readReplicas: 3, sticky: true, minCapacity: 1, desiredCapacity: 2, maxCapacity: 4 });
  assert.deepEqual(fromCli, fromJson);
  assert.equal(fromCli.readReplicas, 3);
  assert.equal(fromCli.sticky, true);
});

test('settings: a bad value is an error naming its context key', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ readReplicas: 6 }, /^context readReplicas: expected an integer from 0 to 5, got 6/],
    [{ readReplicas: 'two' }, /^context readReplicas: expected an integer from 0 to 5, got "two"/],
    [{ cacheReplicas: 0 }, /^context cacheReplicas: expected an integer from 1 to 5/],
    [{ minCapacity: 3, desiredCapacity: 2 }, /^context minCapacity, desiredCapacity, maxCapacity: expected min <= desired <= max, got 3 <= 2 <= 6/],
    [{ desiredCapacity: 7 }, /expected min <= desired <= max, got 2 <= 7 <= 6/],
    [{ sessionMode: 'memcached' }, /^context sessionMode: expected sticky \| cookie \| redis \| dynamodb, got "memcached"/],
    [{ sticky: 'yes' }, /^context sticky: expected true or false, got "yes"/],
    [{ instanceType: 't4g.micro' }, /^context instanceType: expected an x86_64 instance type/],
    [{ instanceType: 'micro' }, /^context instanceType: expected an EC2 instance type/],
    [{ dbInstanceClass: 't4g.micro' }, /^context dbInstanceClass: expected an RDS instance class such as db.t4g.micro/],
    [{ certificateArn: 'my-cert' }, /^context certificateArn: expected an ACM certificate ARN/],
    [{ natGateways: 0 }, /^context natGateways: expected an integer from 1 to 3/],
    [{ artifact: 'myclothes.zip' }, /^context artifact: expected the path of a release tarball/],
  ];
  for (const [context, message] of cases) {
    assert.throws(() => read(context), { message }, JSON.stringify(context));
  }
});

test('settings: instance types of x86_64 families pass, Graviton ones do not', () => {
  for (const ok of ['t3.micro', 't3a.small', 'm7i.large', 'c6in.xlarge', 'm5.large']) assert.equal(read({ instanceType: ok }).instanceType, ok);
  for (const arm of ['t4g.small', 'm7g.large', 'c6gn.large', 'r8g.medium', 'm6gd.large']) assert.throws(() => read({ instanceType: arm }), /x86_64/);
});
