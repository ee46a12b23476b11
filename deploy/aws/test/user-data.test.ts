// The instances' boot (instance/boot.sh behind the stack's values): a shell parses it, shellcheck finds
// nothing, it reads exactly the values the stack gives, and it configures myclothes only through settings
// that exist (src/core/config.cpp). The release tarball it unpacks has the layout it expects.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kBootScript } from '../lib/user-data';
import { kAppDir, kRepoRoot, scratchDir, synth, userDataText } from './helpers';

const boot = readFileSync(kBootScript, 'utf8');
const shapes = { plain: synth(), dynamodb: synth({ sessionMode: 'dynamodb', readReplicas: 3 }) };
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

test('user data: bash parses it', () => {
  for (const [name, { json }] of Object.entries(shapes)) {
    const r = spawnSync('bash', ['-n'], { input: userDataText(json) });
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  }
});

test('user data: shellcheck finds nothing in boot.sh or in the whole user data', { skip: !hasShellcheck && 'shellcheck is not installed' }, () => {
  const r = spawnSync('shellcheck', ['--shell=bash', kBootScript], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout);
  const whole = spawnSync('shellcheck', ['--shell=bash', '-'], { input: userDataText(shapes.dynamodb.json), encoding: 'utf8' });
  assert.equal(whole.status, 0, whole.stdout);
});

test('user data: fits EC2\'s 16 KB even with five replicas and long values in every token', () => {
  const widest = synth({ sessionMode: 'dynamodb', readReplicas: 5 }).json;
  assert.ok(Buffer.byteLength(userDataText(widest, 'x'.repeat(200))) < 16 * 1024);
});

test('user data: boot.sh reads exactly the MC_* values the stack sets', () => {
  const required = [...boot.matchAll(/"\$\{(MC_[A-Z_]+)\??:?\?\}"/g)].map((m) => m[1]).sort();
  const given = [...userDataText(shapes.plain.json).matchAll(/^(MC_[A-Z_]+)='/gm)].map((m) => m[1]).sort();
  assert.deepEqual(required, given);
  const used = [...new Set([...boot.matchAll(/\$\{?(MC_[A-Z_]+)/g)].map((m) => m[1]))].sort();
  assert.deepEqual(used, given, 'boot.sh uses an MC_ value it does not declare, or declares one it never uses');
});

test('user data: every MYCLOTHES_ variable it writes is a setting of src/core/config.cpp', () => {
  const config = readFileSync(join(kRepoRoot, 'src', 'core', 'config.cpp'), 'utf8');
  const settings = new Set([...config.matchAll(/\{"([a-z_]+\.[a-z_]+)",/g)].map((m) => `MYCLOTHES_${m[1].replace('.', '_').toUpperCase()}`));
  assert.ok(settings.has('MYCLOTHES_DB_PRIMARY') && settings.has('MYCLOTHES_SESSION_COOKIE_KEYS'), 'config.cpp changed shape');
  const written = [...new Set([...boot.matchAll(/\b(MYCLOTHES_[A-Z_]+)=/g)].map((m) => m[1]))].sort();
  // Session mode dynamodb's settings are the C++ side's to add (ADR 12 names them); nothing else may be unknown.
  const pending = ['MYCLOTHES_DYNAMODB_REGION', 'MYCLOTHES_DYNAMODB_TABLE'];
  assert.deepEqual(written.filter((name) => !settings.has(name)), pending.filter((name) => !settings.has(name)));
  for (const name of ['MYCLOTHES_SERVER_HOST', 'MYCLOTHES_SERVER_PORT', 'MYCLOTHES_DB_PRIMARY', 'MYCLOTHES_DB_REPLICAS',
    'MYCLOTHES_REDIS_HOST', 'MYCLOTHES_REDIS_PORT', 'MYCLOTHES_SESSION_MODE', 'MYCLOTHES_ADMIN_TOKEN']) {
    assert.ok(written.includes(name), name);
  }
});

test('user data: the release tarball (deploy/aws/package) has the layout boot.sh unpacks, byte for byte the same each time', () => {
  const dir = scratchDir('package');
  const binary = join(dir, 'myclothes');
  writeFileSync(binary, '#!/bin/sh\necho a stand-in\n');
  chmodSync(binary, 0o755);
  const pack = (out: string) => execFileSync(join(kAppDir, 'package'), ['--binary', binary, '--out', out], { encoding: 'utf8' });
  pack(join(dir, 'a.tar.gz'));
  pack(join(dir, 'b.tar.gz'));
  assert.ok(readFileSync(join(dir, 'a.tar.gz')).equals(readFileSync(join(dir, 'b.tar.gz'))), 'the same inputs made different bytes');
  const names = execFileSync('tar', ['-tzf', join(dir, 'a.tar.gz')], { encoding: 'utf8' }).split('\n');
  for (const expected of ['myclothes/bin/myclothes', 'myclothes/db/migrations/0001_catalog.sql']) assert.ok(names.includes(expected), expected);
  assert.ok(names.some((n) => n.startsWith('myclothes/web/templates/')), 'web/templates');
  assert.ok(boot.includes('--strip-components=1') && boot.includes('"$app/bin/myclothes"'));
});
