// cdk-nag's AwsSolutions pack as a gate: no finding is left unacknowledged in any shape of the stack, and
// every acknowledgement (lib/nag.ts) answers a finding that is really there, with its reason.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { kReasons } from '../lib/nag';
import { scratchDir, synth } from './helpers';

const release = join(scratchDir('release'), 'myclothes-linux-amd64.tar.gz');
writeFileSync(release, 'a stand-in for the release');

const kShapes: Record<string, Record<string, unknown>> = {
  'the defaults (the committed template)': {},
  'HTTPS, sticky, dynamodb, 5 replicas': {
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b6f7a2e-1111-2222-3333-444455556666',
    sticky: true, sessionMode: 'dynamodb', readReplicas: 5, natGateways: 3,
  },
  'no replicas, deletion protection': { readReplicas: 0, deletionProtection: true },
  'the release as an asset': { artifact: release },
};

// The ids acknowledged anywhere in the construct tree (Validations.acknowledge records them as metadata);
// CDK's own constructs acknowledge some of CloudFormation's checks, which are not this deployment's.
function acknowledgedIds(root: IConstruct): string[] {
  const ids = new Set<string>();
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        for (const id of Object.keys(entry.data)) if (/^(AwsSolutions|Annotation)::/.test(id)) ids.add(id);
      }
    }
  }
  return [...ids].sort();
}

// What there is to acknowledge when nothing is: cdk-nag's findings (its report, written where the synth
// says) and CDK's own acknowledgeable warnings ("[ack: ID]" in their text).
function findings(context: Record<string, unknown>): string[] {
  const ids = new Set<string>();
  try {
    synth(context, { nag: true, acknowledgeFindings: false });
  } catch (e) {
    const path = (e as Error).message.match(/found in: (\S+)/)?.[1];
    if (!path) throw e;
    for (const plugin of JSON.parse(readFileSync(path, 'utf8')).pluginReports) {
      for (const v of plugin.violations) ids.add(`${plugin.pluginName}::${v.ruleName}`);
    }
  }
  for (const c of synth(context, { acknowledgeFindings: false }).app.node.findAll()) {
    for (const entry of c.node.metadata) {
      const ack = entry.type === 'aws:cdk:warning' ? String(entry.data).match(/\[ack: ([^\]]+)\]/) : null;
      if (ack) ids.add(`Annotation::${ack[1]}`);
    }
  }
  return [...ids].sort();
}

for (const [shape, context] of Object.entries(kShapes)) {
  test(`cdk-nag: AwsSolutions passes with ${shape}`, () => {
    assert.doesNotThrow(() => synth(context, { nag: true }));
  });

  test(`cdk-nag: with ${shape}, each acknowledgement answers a finding that is there`, () => {
    assert.deepEqual(acknowledgedIds(synth(context).app), findings(context));
  });
}

test('cdk-nag: every acknowledgement has a reason that says why', () => {
  for (const [id, reason] of Object.entries(kReasons)) {
    assert.ok(reason.length >= 40, `${id}: "${reason}" is too short to be a reason`);
  }
});
