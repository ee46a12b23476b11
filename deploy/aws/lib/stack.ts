// MyClothes on AWS: the local region's parts as AWS's own services (docs/architecture.md, "On AWS").
//
//   internet ─80/443─► ALB (sg-lb, public subnets) ─8081─► Auto Scaling group of `myclothes serve`
//   (sg-app, private subnets) ─5432─► RDS PostgreSQL Multi-AZ + read replicas (sg-db, isolated subnets)
//                             ─6379─► ElastiCache Redis, Multi-AZ (sg-cache, isolated subnets)
//                             ─────► DynamoDB sessions table (session mode dynamodb), Secrets Manager, S3
//
// Environment-agnostic: no lookups, the zones are Fn::GetAZs, the image a public SSM parameter, so
// `cdk synth` needs no account, no credentials and no network.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  Annotations, Aws, CfnOutput, CfnParameter, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, StackProps, Tags,
} from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledgeFindings } from './nag';
import { AwsGroup, AwsRule, kAwsGroups, kLocalFile, readLocalGroups, translate, Translation } from './security-groups';
import { Settings } from './settings';
import { userData } from './user-data';

// Debian 12 (the binary is built on Debian 12 and links its libraries), amd64, the newest image.
export const kDebianImageParameter = '/aws/service/debian/release/bookworm/latest/amd64';
export const kZones = 3;
export const kDbName = 'myclothes';
export const kDbUser = 'myclothes';
// The local region's address block (ADR 11), so the same addresses mean the same tiers in both worlds.
export const kVpcCidr = '10.92.0.0/16';

export interface MyClothesStackProps extends StackProps {
  settings: Settings;
  securityGroupsFile: string; // deploy/local/security-groups.toml
  // false: no cdk-nag finding is acknowledged (test/nag.test.ts shows each acknowledgement is still needed)
  acknowledgeFindings?: boolean;
}

// The one port `to` admits from `from` in the translated rules: where each tier listens comes from the
// same file as who may reach it.
function portOf(rules: AwsRule[], to: AwsGroup, from: AwsGroup): number {
  const ports = [...new Set(rules.filter((r) => r.to === to && r.from === from).map((r) => r.port))];
  if (ports.length !== 1) {
    throw new Error(`${kLocalFile}: expected one port from ${from} to ${to}, found ${ports.length ? ports.join(', ') : 'none'}`);
  }
  return ports[0];
}

export class MyClothesStack extends Stack {
  readonly translation: Translation;

  constructor(scope: Construct, id: string, props: MyClothesStackProps) {
    const s = props.settings;
    super(scope, id, {
      description: 'MyClothes: ALB, an Auto Scaling group of myclothes serve over three zones, ElastiCache Redis, ' +
        'RDS PostgreSQL 15 Multi-AZ with read replicas (deploy/aws, docs/deploy-aws.md)',
      // Without assets the template needs nothing of `cdk bootstrap`: no version check, so that the
      // committed template deploys with plain `aws cloudformation deploy`.
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: s.artifact !== undefined }),
      ...props,
    });
    const zones = Array.from({ length: kZones }, (_, i) => Fn.select(i, Fn.getAzs()));

    // --- the network: public (ALB, NAT), private (instances), isolated (data) subnets in each zone
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(kVpcCidr),
      availabilityZones: zones,
      natGateways: s.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Emptying the default security group takes a Lambda-backed custom resource (an asset); nothing here
      // uses that group.
      restrictDefaultSecurityGroup: false,
      // Free gateway endpoints: the release and the SSM agent come from S3, sessions may go to DynamoDB,
      // without the NAT gateway's per-GB charge.
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        ...(s.sessionMode === 'dynamodb' ? { DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB } } : {}),
      },
    });

    // What the security groups turn away, for a week: the fence seen at work (`aws logs tail`, the console).
    vpc.addFlowLog('Rejected', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(new logs.LogGroup(this, 'RejectedFlows', {
        retention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      })),
    });

    // --- security groups, from deploy/local/security-groups.toml
    const listenerPorts = s.certificateArn ? [80, 443] : [80];
    this.translation = translate(readLocalGroups(props.securityGroupsFile), listenerPorts);
    const sg = {} as Record<AwsGroup, ec2.SecurityGroup>;
    for (const [name, description] of Object.entries(kAwsGroups) as [AwsGroup, string][]) {
      // Egress open, as on AWS by default and in the local region (ADR 11).
      sg[name] = new ec2.SecurityGroup(this, name.replace(/^sg-(.)/, (_, c: string) => `Sg${c.toUpperCase()}`), {
        vpc, description, allowAllOutbound: true,
      });
      Tags.of(sg[name]).add('Name', name);
    }
    for (const rule of this.translation.rules) {
      const peer = rule.from === 'anywhere' ? ec2.Peer.anyIpv4() : sg[rule.from];
      sg[rule.to].addIngressRule(peer, ec2.Port.tcp(rule.port), rule.description);
    }
    this.templateOptions.metadata = {
      'MyClothes::SecurityGroups': {
        source: kLocalFile,
        notOnAws: this.translation.dropped.map((d) => `${d.to} from ${d.from} ${d.ports.join(',')}: ${d.reason}`),
      },
    };
    const appPort = portOf(this.translation.rules, 'sg-app', 'sg-lb');
    const dbPort = portOf(this.translation.rules, 'sg-db', 'sg-app');
    const cachePort = portOf(this.translation.rules, 'sg-cache', 'sg-app');

    // --- secrets: generated by Secrets Manager, read by each instance at boot. No punctuation: the
    // password goes into a libpq connection string and db.replicas is split on commas.
    const dbSecret = new rds.DatabaseSecret(this, 'DbSecret', {
      username: kDbUser,
      excludeCharacters: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ ',
    });
    const cookieKeySecret = new secretsmanager.Secret(this, 'CookieKeySecret', {
      description: 'MyClothes session.cookie_keys: each instance derives key k1 as SHA-256 of this value',
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
    });
    const adminTokenSecret = new secretsmanager.Secret(this, 'AdminTokenSecret', {
      description: 'MyClothes admin.token: Authorization: Bearer for PUT /api/v1/admin/products/{id}',
      generateSecretString: { excludePunctuation: true, passwordLength: 40 },
    });

    // --- RDS PostgreSQL 15: Multi-AZ (a synchronous standby in another zone), TLS enforced by the server
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15 });
    const dbParameters = new rds.ParameterGroup(this, 'DbParameters', {
      engine,
      description: 'MyClothes: TLS required (the instances connect with sslmode=verify-full)',
      parameters: { 'rds.force_ssl': '1' },
    });
    const dbSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const dbClass = new ec2.InstanceType(s.dbInstanceClass.replace(/^db\./, ''));
    const db = new rds.DatabaseInstance(this, 'Db', {
      engine,
      instanceType: dbClass,
      vpc,
      vpcSubnets: dbSubnets,
      securityGroups: [sg['sg-db']],
      port: dbPort,
      multiAz: true,
      credentials: rds.Credentials.fromSecret(dbSecret),
      databaseName: kDbName,
      parameterGroup: dbParameters,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      storageType: rds.StorageType.GP3,
      allocatedStorage: 20,
      maxAllocatedStorage: 100,
      storageEncrypted: true,
      backupRetention: Duration.days(7), // read replicas need backups on
      deletionProtection: s.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      autoMinorVersionUpgrade: true,
    });
    const replicas = Array.from({ length: s.readReplicas }, (_, i) =>
      new rds.DatabaseInstanceReadReplica(this, `DbReplica${i + 1}`, {
        sourceDatabaseInstance: db,
        instanceType: dbClass,
        vpc,
        vpcSubnets: dbSubnets,
        securityGroups: [sg['sg-db']],
        port: dbPort,
        parameterGroup: dbParameters,
        caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
        // Spread over the zones, starting with the second: the primary's own zone is most likely the first.
        availabilityZone: zones[(i + 1) % kZones],
        storageType: rds.StorageType.GP3,
        // Encrypted because the primary is (a replica cannot choose otherwise).
        deletionProtection: s.deletionProtection,
        removalPolicy: RemovalPolicy.DESTROY, // a replica is a copy of the primary: nothing to keep
        autoMinorVersionUpgrade: true,
      }));

    // --- ElastiCache Redis: a primary and replicas over the zones, automatic failover (Multi-AZ)
    const cacheSubnets = new elasticache.CfnSubnetGroup(this, 'CacheSubnets', {
      description: 'MyClothes Redis: the isolated subnets of the three zones',
      subnetIds: vpc.isolatedSubnets.map((subnet) => subnet.subnetId),
    });
    const cacheParameters = new elasticache.CfnParameterGroup(this, 'CacheParameters', {
      cacheParameterGroupFamily: 'redis7',
      description: 'MyClothes Redis: evict least recently used keys, as the local region does',
      properties: { 'maxmemory-policy': 'allkeys-lru' },
    });
    const cacheNodes = 1 + s.cacheReplicas;
    const cache = new elasticache.CfnReplicationGroup(this, 'Cache', {
      replicationGroupDescription: 'MyClothes sessions, carts and the catalog cache',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: s.cacheNodeType,
      numCacheClusters: cacheNodes,
      preferredCacheClusterAZs: Array.from({ length: cacheNodes }, (_, i) => zones[i % kZones]),
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      port: cachePort,
      cacheSubnetGroupName: cacheSubnets.ref,
      cacheParameterGroupName: cacheParameters.ref,
      securityGroupIds: [sg['sg-cache'].securityGroupId],
      atRestEncryptionEnabled: true,
      // TLS is spoken by a local stunnel on each instance: Debian 12's hiredis has none (ADR 12).
      transitEncryptionEnabled: true,
      autoMinorVersionUpgrade: true,
    });

    // --- DynamoDB sessions (session mode dynamodb): items expire through the `ttl` attribute
    let sessions: dynamodb.Table | undefined;
    if (s.sessionMode === 'dynamodb') {
      sessions = new dynamodb.Table(this, 'Sessions', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: 'ttl',
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.DESTROY, // sessions and carts expire anyway
      });
    }

    // --- the instances' role: Session Manager, the secrets, the release, the table, the boot signal
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'MyClothes instances: SSM Session Manager, their secrets, the release, the sessions table',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    for (const secret of [dbSecret, cookieKeySecret, adminTokenSecret]) secret.grantRead(role);
    sessions?.grantReadWriteData(role);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [this.stackId] }));

    let artifactBucket: string;
    let artifactKey: string;
    if (s.artifact !== undefined) {
      const path = resolve(s.artifact);
      if (!existsSync(path)) throw new Error(`context artifact: no file at ${path} (make one with deploy/aws/package)`);
      const release = new s3assets.Asset(this, 'Release', { path });
      release.grantRead(role);
      artifactBucket = release.s3BucketName;
      artifactKey = release.s3ObjectKey;
    } else {
      artifactBucket = new CfnParameter(this, 'ArtifactBucket', {
        description: 'The S3 bucket holding the release tarball (deploy/aws/package)',
        allowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
        constraintDescription: 'an S3 bucket name',
      }).valueAsString;
      artifactKey = new CfnParameter(this, 'ArtifactKey', {
        description: 'The release tarball\'s key in that bucket',
        default: 'myclothes/myclothes-linux-amd64.tar.gz',
        minLength: 1,
      }).valueAsString;
      role.addToPolicy(new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${artifactBucket}/${artifactKey}`],
      }));
    }

    // --- the fleet: a launch template and an Auto Scaling group over the private subnets
    const image = new CfnParameter(this, 'ImageId', {
      type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
      default: kDebianImageParameter,
      description: 'The instances\' image: a public SSM parameter naming the newest Debian 12 amd64 AMI',
    });
    const machineImage: ec2.IMachineImage = {
      getImage: () => ({ imageId: image.valueAsString, osType: ec2.OperatingSystemType.LINUX, userData: ec2.UserData.forLinux() }),
    };
    const fleetId = 'Fleet';
    const launchTemplate = new ec2.LaunchTemplate(this, 'AppLaunchTemplate', {
      machineImage,
      instanceType: new ec2.InstanceType(s.instanceType),
      role,
      securityGroup: sg['sg-app'],
      requireImdsv2: true,
      blockDevices: [{
        deviceName: '/dev/xvda', // the Debian image's root device
        volume: ec2.BlockDeviceVolume.ebs(8, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }),
      }],
      userData: ec2.UserData.custom(userData({
        MC_REGION: Aws.REGION,
        MC_STACK: Aws.STACK_NAME,
        MC_SIGNAL_RESOURCE: fleetId,
        MC_ARTIFACT_BUCKET: artifactBucket,
        MC_ARTIFACT_KEY: artifactKey,
        MC_APP_PORT: String(appPort),
        MC_DB_HOST: db.dbInstanceEndpointAddress,
        MC_DB_PORT: String(dbPort),
        MC_DB_NAME: kDbName,
        MC_DB_REPLICA_HOSTS: replicas.map((r) => r.dbInstanceEndpointAddress).join(' '),
        MC_DB_SECRET_ARN: dbSecret.secretArn,
        MC_CACHE_HOST: cache.attrPrimaryEndPointAddress,
        MC_CACHE_PORT: String(cachePort),
        MC_COOKIE_SECRET_ARN: cookieKeySecret.secretArn,
        MC_ADMIN_SECRET_ARN: adminTokenSecret.secretArn,
        MC_SESSION_MODE: s.sessionMode,
        MC_SESSIONS_TABLE: sessions?.tableName ?? '',
        MC_SEED_PRODUCTS: String(s.seedProducts),
      })),
    });
    const signalTimeout = Duration.minutes(20); // a cold boot installs packages, migrates and seeds
    const fleet = new autoscaling.AutoScalingGroup(this, fleetId, {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: s.minCapacity,
      desiredCapacity: s.desiredCapacity,
      maxCapacity: s.maxCapacity,
      // An instance the ALB finds unhealthy is replaced, after the boot's grace. /readyz stays 200
      // ("degraded") when a dependency the whole fleet shares is down, so a database failover empties nothing.
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(10),
      }),
      // CloudFormation waits for each new instance's own word that it is ready (boot.sh's signal).
      signals: s.desiredCapacity > 0 ? autoscaling.Signals.waitForCount(s.desiredCapacity, { timeout: signalTimeout }) : undefined,
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: Math.min(s.minCapacity, s.maxCapacity - 1),
        pauseTime: signalTimeout,
      }),
    });
    if (fleet.node.defaultChild instanceof autoscaling.CfnAutoScalingGroup) {
      fleet.node.defaultChild.overrideLogicalId(fleetId); // the name boot.sh signals
    }

    // --- the load balancer
    const alb = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: sg['sg-lb'],
      dropInvalidHeaderFields: true,
    });
    const targets = new elbv2.ApplicationTargetGroup(this, 'AppTargets', {
      vpc,
      port: appPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.INSTANCE,
      targets: [fleet],
      healthCheck: {
        path: '/readyz',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
        healthyHttpCodes: '200',
      },
      // In-flight requests get this long after an instance leaves (scale-in, replacement) before the ALB
      // cuts them; the instance's own drain (SIGTERM) comes after.
      deregistrationDelay: Duration.seconds(s.deregistrationDelaySeconds),
      // Stickiness, to teach what it does: the AWSALB cookie holds a shopper to one instance for a day
      // (the local HAProxy's MCLB cookie); session mode sticky is correct only with it.
      stickinessCookieDuration: s.sticky ? Duration.days(1) : undefined,
    });
    if (s.sessionMode === 'sticky' && !s.sticky) {
      // Allowed, because it is one of the lessons (DESIGN.md, story 2), but never by accident.
      Annotations.of(targets).addWarningV2('myclothes:stickyModeWithoutStickiness',
        'session mode sticky keeps carts in each instance\'s memory; without -c sticky=true the ALB spreads a ' +
        'shopper\'s requests and the cart seems to come and go');
    }
    // Security groups are the file's (above), so no listener opens anything by itself (open: false).
    let serving: elbv2.ApplicationListener;
    if (s.certificateArn) {
      serving = alb.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(s.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups: [targets],
      });
      alb.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
    } else {
      serving = alb.addListener('Http', { port: 80, open: false, defaultTargetGroups: [targets] });
    }
    // The contract (API.md): the load balancer does not route /metrics from the internet.
    serving.addAction('NoMetrics', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
      action: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/json',
        messageBody: '{"error":{"code":"not_found","message":"not found"}}',
      }),
    });

    // Target tracking: the group adds or removes instances to keep each near this many requests a minute.
    fleet.scaleOnRequestCount('RequestsPerTarget', { targetRequestsPerMinute: s.requestsPerTarget });

    new CfnOutput(this, 'Url', { value: `${s.certificateArn ? 'https' : 'http'}://${alb.loadBalancerDnsName}/`, description: 'The store' });
    new CfnOutput(this, 'FleetName', { value: fleet.autoScalingGroupName, description: 'The Auto Scaling group' });
    new CfnOutput(this, 'DbEndpoint', { value: db.dbInstanceEndpointAddress, description: 'RDS primary' });
    new CfnOutput(this, 'CacheEndpoint', { value: cache.attrPrimaryEndPointAddress, description: 'ElastiCache primary endpoint' });
    new CfnOutput(this, 'AdminTokenSecretArn', { value: adminTokenSecret.secretArn, description: 'The admin token (Secrets Manager)' });
    new CfnOutput(this, 'DbSecretArn', { value: dbSecret.secretArn, description: 'The database user and password (Secrets Manager)' });
    if (sessions) new CfnOutput(this, 'SessionsTable', { value: sessions.tableName, description: 'DynamoDB sessions table' });

    if (props.acknowledgeFindings !== false) acknowledgeFindings({
      sgLb: sg['sg-lb'], secrets: [dbSecret, cookieKeySecret, adminTokenSecret], db, replicas, cache, role, fleet, alb,
      deletionProtection: s.deletionProtection, asset: s.artifact !== undefined,
    });
  }
}
