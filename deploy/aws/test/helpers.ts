// Synthesizes the stack in the test's own process, as `cdk synth` would with the given context.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readSettings } from '../lib/settings';
import { MyClothesStack } from '../lib/stack';

export const kAppDir = join(__dirname, '..');
export const kRepoRoot = join(kAppDir, '..', '..');
export const kSecurityGroupsFile = join(kRepoRoot, 'deploy', 'local', 'security-groups.toml');
export const kCommittedTemplate = join(kAppDir, 'template', 'MyClothes.template.json');

// Each test file's scratch space (cloud assemblies, stand-in releases), removed when it ends.
const scratch = mkdtempSync(join(tmpdir(), 'myclothes-aws-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
export function scratchDir(name: string): string {
  return mkdtempSync(join(scratch, `${name}-`));
}

export interface Synth {
  app: App;
  stack: MyClothesStack;
  template: Template;
  json: any; // the template as CloudFormation JSON
}

export interface SynthOptions {
  nag?: boolean; // run cdk-nag's AwsSolutions pack (a finding left unacknowledged throws)
  acknowledgeFindings?: boolean;
}

export function synth(context: Record<string, unknown> = {}, options: SynthOptions = {}): Synth {
  const cdkJson = JSON.parse(readFileSync(join(kAppDir, 'cdk.json'), 'utf8'));
  const app = new App({
    outdir: scratchDir('cdk.out'),
    context: { ...cdkJson.context, 'aws:cdk:enable-path-metadata': false, ...context },
    analyticsReporting: false, // as cdk.json's versionReporting: false
    // CloudFormation's own template checks take ~10 s a synth: `deploy/aws/check` runs them once, with `cdk synth`.
    builtinCloudFormationValidation: false,
  });
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const stack = new MyClothesStack(app, 'MyClothes', {
    settings, securityGroupsFile: kSecurityGroupsFile, acknowledgeFindings: options.acknowledgeFindings,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth(); // throws on an unacknowledged finding when nag is on
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() };
}

// Resources of one type, by logical id.
export function resources(json: any, type: string): Record<string, any> {
  return Object.fromEntries(Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type));
}

export function countOf(json: any, type: string): number {
  return Object.keys(resources(json, type)).length;
}

// The security groups' ingress as "to <- from:port" edges, with groups by their Name tag (sg-lb, ...) and
// CIDR peers as they are. Both forms count: rules inline in the group and AWS::EC2::SecurityGroupIngress.
export function ingressEdges(json: any): string[] {
  const names: Record<string, string> = {};
  for (const [id, sg] of Object.entries(resources(json, 'AWS::EC2::SecurityGroup'))) {
    names[id] = sg.Properties.Tags?.find((t: any) => t.Key === 'Name')?.Value ?? id;
  }
  const group = (ref: any) => {
    const id = ref?.['Fn::GetAtt']?.[0] ?? ref?.Ref;
    if (!id || !(id in names)) throw new Error(`unexpected security group reference ${JSON.stringify(ref)}`);
    return names[id];
  };
  const edge = (to: string, rule: any) => {
    const from = rule.CidrIp ?? rule.CidrIpv6 ?? (rule.SourceSecurityGroupId ? group(rule.SourceSecurityGroupId) : '?');
    const ports = rule.FromPort === rule.ToPort ? `${rule.FromPort}` : `${rule.FromPort}-${rule.ToPort}`;
    return `${to} <- ${from}:${rule.IpProtocol}/${ports}`;
  };
  const edges: string[] = [];
  for (const [id, sg] of Object.entries(resources(json, 'AWS::EC2::SecurityGroup'))) {
    for (const rule of sg.Properties.SecurityGroupIngress ?? []) edges.push(edge(names[id], rule));
  }
  for (const rule of Object.values(resources(json, 'AWS::EC2::SecurityGroupIngress'))) {
    edges.push(edge(group(rule.Properties.GroupId), rule.Properties));
  }
  return edges.sort();
}

// The name (Name tag) of each security group a property lists.
export function groupNames(json: any, refs: any[]): string[] {
  return refs.map((ref) => {
    const id = ref?.['Fn::GetAtt']?.[0] ?? ref?.Ref;
    return json.Resources[id]?.Properties?.Tags?.find((t: any) => t.Key === 'Name')?.Value ?? `?${id}`;
  });
}

// The user data as text, each CloudFormation token replaced by a placeholder (so a shell can parse it).
export function userDataText(json: any, placeholder = 'TOKEN'): string {
  const [lt] = Object.values(resources(json, 'AWS::EC2::LaunchTemplate'));
  const encoded = lt.Properties.LaunchTemplateData.UserData['Fn::Base64'];
  if (typeof encoded === 'string') return encoded;
  const [sep, parts] = encoded['Fn::Join'];
  return parts.map((p: unknown) => (typeof p === 'string' ? p : placeholder)).join(sep);
}
