// What the stack promises, read from the synthesized template: three zones, the load balancer and its
// health checks, the fleet and its scaling, Multi-AZ data, the sessions table, the security groups' graph.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Token } from 'aws-cdk-lib';
import { countOf, groupNames, ingressEdges, resources, scratchDir, synth, userDataText } from './helpers';

const kCertificate = 'arn:aws:acm:us-east-1:123456789012:certificate/0b6f7a2e-1111-2222-3333-444455556666';
const plain = synth();
const full = synth({
  certificateArn: kCertificate, sticky: true, sessionMode: 'dynamodb', readReplicas: 5, cacheReplicas: 2,
  minCapacity: 3, desiredCapacity: 4, maxCapacity: 9, requestsPerTarget: 500, deregistrationDelaySeconds: 10,
});
const none = synth({ readReplicas: '0' });
const getAzs = (i: number) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] });

test('stack: environment-agnostic (no account, no region, no lookups)', () => {
  assert.ok(Token.isUnresolved(plain.stack.account) && Token.isUnresolved(plain.stack.region));
  assert.deepEqual(Object.keys(plain.app.node.tryGetContext('aws:cdk:lookup') ?? {}), []);
  // A lookup would have left missing context in the manifest.
  assert.equal(plain.app.synth().manifest.missing, undefined);
  // The image is a public SSM parameter resolved at deploy time: Debian 12 amd64.
  assert.equal(plain.json.Parameters.ImageId.Type, 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
  assert.equal(plain.json.Parameters.ImageId.Default, '/aws/service/debian/release/bookworm/latest/amd64');
});

test('stack: a VPC over three zones, each with a public, a private and an isolated subnet', () => {
  const subnets = Object.values(resources(plain.json, 'AWS::EC2::Subnet'));
  assert.equal(subnets.length, 9);
  for (const i of [0, 1, 2]) {
    const inZone = subnets.filter((s) => JSON.stringify(s.Properties.AvailabilityZone) === JSON.stringify(getAzs(i)));
    const kinds = inZone.map((s) => s.Properties.Tags.find((t: any) => t.Key === 'aws-cdk:subnet-name').Value).sort();
    assert.deepEqual(kinds, ['isolated', 'private', 'public'], `zone ${i}`);
  }
  plain.template.resourceCountIs('AWS::EC2::NatGateway', 1);
  full.template.resourceCountIs('AWS::EC2::VPCEndpoint', 2); // S3, and DynamoDB for mode dynamodb
});

test('stack: the ALB checks /readyz on the instances, drains for the deregistration delay, stickiness only on request', () => {
  plain.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing', Type: 'application' });
  const healthCheck = { HealthCheckPath: '/readyz', Port: 8081, Protocol: 'HTTP', Matcher: { HttpCode: '200' } };
  plain.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
    ...healthCheck,
    TargetGroupAttributes: Match.arrayWith([
      { Key: 'deregistration_delay.timeout_seconds', Value: '30' }, { Key: 'stickiness.enabled', Value: 'false' },
    ]),
  });
  full.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
    ...healthCheck,
    TargetGroupAttributes: Match.arrayWith([
      { Key: 'deregistration_delay.timeout_seconds', Value: '10' },
      { Key: 'stickiness.enabled', Value: 'true' },
      { Key: 'stickiness.type', Value: 'lb_cookie' },
      { Key: 'stickiness.lb_cookie.duration_seconds', Value: '86400' },
    ]),
  });
});

test('stack: session mode sticky without ALB stickiness is allowed, with a warning', () => {
  const warnings = (context: Record<string, unknown>) => Annotations.fromStack(synth(context).stack)
    .findWarning('*', Match.stringLikeRegexp('session mode sticky')).length;
  assert.equal(warnings({ sessionMode: 'sticky' }), 1);
  assert.equal(warnings({ sessionMode: 'sticky', sticky: true }), 0);
  assert.equal(warnings({}), 0);
});

test('stack: HTTP forwards without a certificate; with one, HTTP redirects to HTTPS', () => {
  const listeners = (json: any) => Object.values(resources(json, 'AWS::ElasticLoadBalancingV2::Listener')).map((l) => l.Properties);
  const [http] = listeners(plain.json);
  assert.equal(listeners(plain.json).length, 1);
  assert.equal(http.Port, 80);
  assert.equal(http.DefaultActions[0].Type, 'forward');
  const byPort = Object.fromEntries(listeners(full.json).map((l) => [l.Port, l]));
  assert.deepEqual(Object.keys(byPort).sort(), ['443', '80']);
  assert.deepEqual(byPort[80].DefaultActions[0], {
    Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' },
  });
  assert.equal(byPort[443].Protocol, 'HTTPS');
  assert.deepEqual(byPort[443].Certificates, [{ CertificateArn: kCertificate }]);
  assert.equal(byPort[443].DefaultActions[0].Type, 'forward');
});

test('stack: the load balancer does not route /metrics (API.md)', () => {
  for (const { template } of [plain, full]) {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } }],
      Actions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) })],
    });
  }
});

test('stack: the Auto Scaling group spans the private subnets with min/desired/max from context and ELB health checks', () => {
  const asg = (json: any) => Object.values(resources(json, 'AWS::AutoScaling::AutoScalingGroup'))[0];
  const privateSubnets = Object.entries(resources(plain.json, 'AWS::EC2::Subnet'))
    .filter(([, s]) => s.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Private'))
    .map(([id]) => ({ Ref: id }));
  assert.equal(privateSubnets.length, 3);
  assert.deepEqual(asg(plain.json).Properties.VPCZoneIdentifier, privateSubnets);
  assert.deepEqual([asg(plain.json).Properties.MinSize, asg(plain.json).Properties.DesiredCapacity, asg(plain.json).Properties.MaxSize], ['2', '2', '6']);
  assert.deepEqual([asg(full.json).Properties.MinSize, asg(full.json).Properties.DesiredCapacity, asg(full.json).Properties.MaxSize], ['3', '4', '9']);
  assert.equal(asg(plain.json).Properties.HealthCheckType, 'ELB');
  // CloudFormation waits for the instances' own signal (boot.sh) on create and on rolling updates.
  assert.deepEqual(asg(full.json).CreationPolicy.ResourceSignal, { Count: 4, Timeout: 'PT20M' });
  assert.equal(asg(full.json).UpdatePolicy.AutoScalingRollingUpdate.WaitOnResourceSignals, true);
});

test('stack: target tracking on ALBRequestCountPerTarget with the context target', () => {
  for (const [{ template }, target] of [[plain, 1000], [full, 500]] as const) {
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 1);
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: Match.anyValue() },
        TargetValue: target,
      },
    });
  }
});

test('stack: the launch template asks for IMDSv2, an encrypted root volume, the Debian image, and runs myclothes serve under systemd', () => {
  plain.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
    LaunchTemplateData: Match.objectLike({
      ImageId: { Ref: 'ImageId' },
      InstanceType: 't3.micro',
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 8, VolumeType: 'gp3' } }],
    }),
  });
  const script = userDataText(plain.json);
  assert.match(script, /^#!\/bin\/bash\n/);
  assert.match(script, /ExecStart=\$app\/bin\/myclothes serve/);
  assert.match(script, /EnvironmentFile=\$etc\/myclothes\.env/);
  assert.match(script, /aws s3 cp .*"s3:\/\/\$MC_ARTIFACT_BUCKET\/\$MC_ARTIFACT_KEY"/);
  assert.match(script, /aws secretsmanager get-secret-value/);
  assert.match(script, /sslmode=verify-full sslrootcert=/);
  // The release comes from the parameters by default: nothing in the template changes between synths.
  assert.deepEqual(Object.keys(plain.json.Parameters).sort(), ['ArtifactBucket', 'ArtifactKey', 'ImageId']);
});

test('stack: RDS PostgreSQL 15 is Multi-AZ, encrypted, TLS-only, with the read replicas context asks for', () => {
  for (const [{ json }, replicas] of [[plain, 1], [full, 5], [none, 0]] as const) {
    const dbs = Object.values(resources(json, 'AWS::RDS::DBInstance'));
    const primaries = dbs.filter((d) => !d.Properties.SourceDBInstanceIdentifier);
    assert.equal(primaries.length, 1);
    assert.equal(dbs.length - 1, replicas);
    const [primary] = primaries;
    assert.equal(primary.Properties.Engine, 'postgres');
    assert.equal(primary.Properties.EngineVersion, '15');
    assert.equal(primary.Properties.MultiAZ, true);
    assert.equal(primary.Properties.StorageEncrypted, true);
    assert.equal(primary.Properties.PubliclyAccessible, false);
    for (const replica of dbs.filter((d) => d.Properties.SourceDBInstanceIdentifier)) {
      assert.ok(JSON.stringify(replica.Properties.SourceDBInstanceIdentifier).includes(Object.keys(json.Resources).find((k) => json.Resources[k] === primary)!));
    }
  }
  plain.template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres15', Parameters: { 'rds.force_ssl': '1' } });
  // The replicas are spread over the zones (the second, third, first, ...).
  const zones = Object.values(resources(full.json, 'AWS::RDS::DBInstance'))
    .filter((d) => d.Properties.SourceDBInstanceIdentifier).map((d) => d.Properties.AvailabilityZone['Fn::Select'][0]);
  assert.deepEqual(zones, [1, 2, 0, 1, 2]);
  // Each replica's endpoint is in the instances' db.replicas.
  assert.equal((userDataText(full.json, '@').match(/^MC_DB_REPLICA_HOSTS=.*$/m)![0].match(/@/g) ?? []).length, 5);
});

test('stack: ElastiCache Redis is Multi-AZ with automatic failover, encrypted at rest and in transit', () => {
  for (const [{ template }, nodes] of [[plain, 2], [full, 3]] as const) {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis', MultiAZEnabled: true, AutomaticFailoverEnabled: true, NumCacheClusters: nodes,
      AtRestEncryptionEnabled: true, TransitEncryptionEnabled: true, Port: 6379,
    });
  }
  const [group] = Object.values(resources(full.json, 'AWS::ElastiCache::ReplicationGroup'));
  assert.deepEqual(group.Properties.PreferredCacheClusterAZs, [getAzs(0), getAzs(1), getAzs(2)]);
});

test('stack: the DynamoDB sessions table (TTL on ttl) exists in session mode dynamodb only', () => {
  plain.template.resourceCountIs('AWS::DynamoDB::Table', 0);
  full.template.resourceCountIs('AWS::DynamoDB::Table', 1);
  full.template.hasResourceProperties('AWS::DynamoDB::Table', {
    BillingMode: 'PAY_PER_REQUEST',
    TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  });
  assert.match(userDataText(full.json), /^MC_SESSION_MODE='dynamodb'$/m);
  assert.match(userDataText(full.json), /^MC_SESSIONS_TABLE='TOKEN'$/m);
  assert.match(userDataText(plain.json), /^MC_SESSIONS_TABLE=''$/m);
});

test('stack: the secrets (database password, cookie key, admin token) are in Secrets Manager and only the instances read them', () => {
  plain.template.resourceCountIs('AWS::SecretsManager::Secret', 3);
  const policy = JSON.stringify(Object.values(resources(plain.json, 'AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument));
  for (const id of Object.keys(resources(plain.json, 'AWS::SecretsManager::Secret'))) assert.ok(policy.includes(`"Ref":"${id}"`), id);
  // Passwords and tokens are never in the template itself.
  assert.doesNotMatch(JSON.stringify(plain.json), /MasterUserPassword":"[^{]/);
});

test('stack: the security groups are the local file\'s: nothing but the ALB reaches the app, nothing but the app the data', () => {
  assert.deepEqual(ingressEdges(plain.json), [
    'sg-app <- sg-lb:tcp/8081', 'sg-cache <- sg-app:tcp/6379', 'sg-db <- sg-app:tcp/5432', 'sg-lb <- 0.0.0.0/0:tcp/80',
  ]);
  assert.deepEqual(ingressEdges(full.json), [
    'sg-app <- sg-lb:tcp/8081', 'sg-cache <- sg-app:tcp/6379', 'sg-db <- sg-app:tcp/5432',
    'sg-lb <- 0.0.0.0/0:tcp/443', 'sg-lb <- 0.0.0.0/0:tcp/80',
  ]);
  // Each group is worn by its tier only: the ALB sg-lb, the instances sg-app, RDS sg-db, ElastiCache sg-cache.
  for (const { json } of [plain, full]) {
    const wearers = [
      ...Object.values(resources(json, 'AWS::ElasticLoadBalancingV2::LoadBalancer')).map((r) => groupNames(json, r.Properties.SecurityGroups)),
      ...Object.values(resources(json, 'AWS::EC2::LaunchTemplate')).map((r) => groupNames(json, r.Properties.LaunchTemplateData.SecurityGroupIds)),
      ...Object.values(resources(json, 'AWS::RDS::DBInstance')).map((r) => groupNames(json, r.Properties.VPCSecurityGroups)),
      ...Object.values(resources(json, 'AWS::ElastiCache::ReplicationGroup')).map((r) => groupNames(json, r.Properties.SecurityGroupIds)),
    ].map((names) => names.join(','));
    const dbs = countOf(json, 'AWS::RDS::DBInstance');
    assert.deepEqual(wearers, ['sg-lb', 'sg-app', ...Array(dbs).fill('sg-db'), 'sg-cache']);
    // No other resource names a group (an interface endpoint or a lone instance would show up here).
    const groups = Object.keys(resources(json, 'AWS::EC2::SecurityGroup'));
    const users = Object.values(json.Resources as Record<string, any>)
      .filter((r) => groups.some((g) => JSON.stringify(r.Properties ?? {}).includes(`"${g}"`))).map((r) => r.Type);
    assert.deepEqual([...new Set(users)].sort(), [
      'AWS::EC2::LaunchTemplate', 'AWS::EC2::SecurityGroupIngress', 'AWS::ElastiCache::ReplicationGroup',
      'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::RDS::DBInstance',
    ]);
  }
});

test('stack: no SSH anywhere, and nothing but the load balancer open to the internet', () => {
  for (const { json } of [plain, full, none]) {
    const edges = ingressEdges(json);
    assert.ok(!edges.some((e) => /:tcp\/22$|-1/.test(e)), edges.join('\n'));
    assert.deepEqual(edges.filter((e) => /0\.0\.0\.0\/0|::\/0/.test(e)).map((e) => e.split(' ')[0]).filter((g) => g !== 'sg-lb'), []);
    assert.equal(JSON.stringify(json).includes('KeyName'), false); // no key pair on the instances
  }
  // Session Manager instead: the instances' role has AWS's policy for it.
  plain.template.hasResourceProperties('AWS::IAM::Role', {
    ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
  });
});

test('stack: the release from a local tarball is an S3 asset (-c artifact=FILE), with the bootstrap check', () => {
  const file = join(scratchDir('release'), 'myclothes-linux-amd64.tar.gz');
  writeFileSync(file, 'not really a tarball');
  const asset = synth({ artifact: file });
  assert.equal(asset.json.Parameters.ArtifactBucket, undefined);
  assert.ok(asset.json.Parameters.BootstrapVersion, 'an asset needs cdk bootstrap, and the template checks for it');
  assert.match(userDataText(asset.json), /^MC_ARTIFACT_BUCKET='TOKEN'$/m);
  assert.match(JSON.stringify(asset.json), /cdk-hnb659fds-assets/);
  assert.equal(plain.json.Parameters.BootstrapVersion, undefined);
  assert.equal(plain.json.Rules, undefined);
  assert.throws(() => synth({ artifact: join(scratchDir('none'), 'no-such-release.tar.gz') }), { message: /^context artifact: no file at/ });
});
