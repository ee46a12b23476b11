// The committed plain CloudFormation template (template/MyClothes.template.json, for `aws cloudformation
// deploy` without CDK) is what the app synthesizes today with the defaults.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { kCommittedTemplate, synth } from './helpers';

const kHowToFix = 'the committed template is not what the app synthesizes: run deploy/aws/check --update and commit it';

test('template: the committed template is current', () => {
  assert.ok(existsSync(kCommittedTemplate), `${kCommittedTemplate} is missing: run deploy/aws/check --update`);
  const committed = JSON.parse(readFileSync(kCommittedTemplate, 'utf8'));
  assert.deepStrictEqual(synth().json, committed, kHowToFix);
});

test('template: deterministic (two synths are the same) and small enough for aws cloudformation deploy without a bucket', () => {
  assert.deepStrictEqual(synth().json, synth().json);
  // CloudFormation takes a template body of up to 51,200 bytes; beyond that it must come from S3.
  assert.ok(readFileSync(kCommittedTemplate).length <= 51_200, 'the template outgrew 51,200 bytes: docs/deploy-aws.md must say --s3-bucket');
});
