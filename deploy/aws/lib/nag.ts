// cdk-nag's AwsSolutions pack is a gate (bin/myclothes.ts): an unacknowledged finding fails the synth.
// These are the findings this deployment accepts, each on the construct it is about, with the reason.
// Everything else the pack checks holds (encryption at rest, Multi-AZ, TLS, IMDSv2, no SSH, ...).
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

// One place for the reasons, so that test/nag.test.ts and docs/adr/0012 can list them.
export const kReasons = {
  'AwsSolutions-EC23':
    'sg-lb is the public store: deploy/local/security-groups.toml admits "anywhere" to the load balancer, on AWS ' +
    'on the listener ports only (80, and 443 with a certificate)',
  'AwsSolutions-SMG4':
    'instances read their secrets once, at boot; rotating them means a new value and an instance refresh ' +
    '(docs/deploy-aws.md), not a rotation Lambda the instances would not notice',
  'AwsSolutions-RDS10':
    'deletion protection follows context deletionProtection (default false, so that a teaching stack tears ' +
    'down with one command; the primary leaves a final snapshot)',
  'AwsSolutions-RDS11':
    'PostgreSQL listens on 5432 as in deploy/local/security-groups.toml (one source of truth); sg-db admits only ' +
    'sg-app, a port number hides nothing from a host that may connect',
  'AwsSolutions-RDS3':
    'a read replica is a single-AZ copy, spread over the zones; the primary is Multi-AZ, and the instances take ' +
    'a replica that is gone out of their round robin and read from the others or the primary',
  'AwsSolutions-RDS2':
    'a read replica\'s storage is encrypted because the primary\'s is: CloudFormation takes StorageEncrypted from the ' +
    'source and warns when a replica names it (test/stack.test.ts checks the primary)',
  'AwsSolutions-AEC5':
    'Redis listens on 6379 as in deploy/local/security-groups.toml (one source of truth); sg-cache admits only ' +
    'sg-app, a port number hides nothing from a host that may connect',
  'AwsSolutions-AEC6':
    'the instances\' Redis client has no password setting yet (redis.* in src/core/config.cpp); sg-cache admits ' +
    'only sg-app and traffic is TLS (stunnel); AUTH is listed as work left in docs/adr/0012-aws-deployment.md',
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]':
    'AmazonSSMManagedInstanceCore is the policy AWS documents for Session Manager, the only way in (no SSH)',
  'AwsSolutions-AS3':
    'scaling notifications would need an SNS topic and a subscriber; the group\'s activity history and ' +
    'CloudWatch metrics show every launch and termination (docs/deploy-aws.md)',
  'AwsSolutions-ELB2':
    'access logs need an S3 bucket with its own lifecycle and logging; the ALB\'s CloudWatch metrics and the ' +
    'instances\' JSON logs (journald) serve this deployment; add alb.logAccessLogs(bucket) for an audit trail',
  'Annotation::@aws-cdk/aws-autoscaling:desiredCapacitySet':
    'desired capacity is a setting of this deployment (context desiredCapacity): each deploy sets the fleet to it, ' +
    'as region up --instances does locally; target tracking moves it between min and max in between',
  // Asset mode only (-c artifact=FILE): CDK's grant on the asset bucket.
  'AwsSolutions-IAM5[Action::s3:GetObject*]': 'CDK\'s read grant on its asset bucket, limited to that bucket',
  'AwsSolutions-IAM5[Action::s3:GetBucket*]': 'CDK\'s read grant on its asset bucket, limited to that bucket',
  'AwsSolutions-IAM5[Action::s3:List*]': 'CDK\'s read grant on its asset bucket, limited to that bucket',
  'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]':
    'the asset bucket\'s objects: CDK names each asset by its hash, so the grant cannot name one key',
} as const;
export type Finding = keyof typeof kReasons;

// The id a finding is acknowledged by: cdk-nag's findings carry their plugin's name in front
// ("AwsSolutions::AwsSolutions-EC23"); CDK's own warnings are "Annotation::…" already.
export function acknowledgementId(finding: Finding): string {
  return finding.startsWith('AwsSolutions-') ? `AwsSolutions::${finding}` : finding;
}

function acknowledge(construct: IConstruct, ...findings: Finding[]): void {
  Validations.of(construct).acknowledge(...findings.map((f) => ({ id: acknowledgementId(f), reason: kReasons[f] })));
}

export interface Parts {
  sgLb: IConstruct;
  secrets: IConstruct[];
  db: IConstruct;
  replicas: IConstruct[];
  cache: IConstruct;
  role: IConstruct;
  fleet: IConstruct;
  alb: IConstruct;
  deletionProtection: boolean;
  asset: boolean;
}

export function acknowledgeFindings(p: Parts): void {
  acknowledge(p.sgLb, 'AwsSolutions-EC23');
  for (const secret of p.secrets) acknowledge(secret, 'AwsSolutions-SMG4');
  for (const db of [p.db, ...p.replicas]) {
    acknowledge(db, 'AwsSolutions-RDS11');
    if (!p.deletionProtection) acknowledge(db, 'AwsSolutions-RDS10');
  }
  for (const replica of p.replicas) acknowledge(replica, 'AwsSolutions-RDS3', 'AwsSolutions-RDS2');
  acknowledge(p.cache, 'AwsSolutions-AEC5', 'AwsSolutions-AEC6');
  acknowledge(p.role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]');
  acknowledge(p.fleet, 'AwsSolutions-AS3', 'Annotation::@aws-cdk/aws-autoscaling:desiredCapacitySet');
  acknowledge(p.alb, 'AwsSolutions-ELB2');
  if (p.asset) {
    acknowledge(p.role, 'AwsSolutions-IAM5[Action::s3:GetObject*]', 'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]');
  }
}
